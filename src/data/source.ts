// What a data folder is, for people reading a run: halite's synthetic seismic (halite synth and
// the demo leave SYNTH_MARKER beside the tiles) or a folder of someone's own tiles.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The file halite synth writes into the folders it makes: its options, as JSON. */
export const SYNTH_MARKER = 'halite-synth.json';

export interface SynthMarker { generator: 'halite synth'; seed: number; train: number; test: number; emptyFraction: number | null; written: string }

export interface DataSource {
  /** The folder, absolute. */
  path: string;
  kind: 'synthetic' | 'folder' | 'missing';
  /** The synth marker's contents, for synthetic data. */
  synth: SynthMarker | null;
  /** One line for pages: "synthetic (halite synth, seed 0, 1000 train tiles): /x/data". */
  text: string;
}

/** Reads what `dir` is; never throws (an unreadable marker reads as a plain folder). */
export function dataSource(dir: string): DataSource {
  const path = resolve(dir);
  if (!existsSync(path)) return { path, kind: 'missing', synth: null, text: `${path} (no longer there)` };
  let synth: SynthMarker | null = null;
  try {
    const m = JSON.parse(readFileSync(join(path, SYNTH_MARKER), 'utf8')) as SynthMarker;
    if (m && m.generator === 'halite synth') synth = m;
  } catch { /* no marker: someone's own folder */ }
  return synth
    ? { path, kind: 'synthetic', synth, text: `synthetic seismic (halite synth, seed ${synth.seed}, ${synth.train} training tiles): ${path}` }
    : { path, kind: 'folder', synth: null, text: `the folder ${path}` };
}
