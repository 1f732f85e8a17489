// `halite synth`: a TGS-layout data set cut from synthetic seismic sections at random depths,
// with about 40% of tiles holding no salt, as in the competition data.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { rng } from '../random.js';
import { rleEncode, TILE, PIXELS } from '../rle.js';
import { SYNTH_MARKER, type SynthMarker } from '../source.js';
import { buildSection } from './earth.js';
import { seismicImage } from './seismic.js';
import { makeFolders, prepareOutputFolder, writeFolderWhole } from '../../io/folders.js';

export interface SynthOptions {
  out: string;
  train: number;
  test: number;
  seed: number;
  /** Fraction of tiles without salt (competition data: 0.39). */
  emptyFraction?: number;
  /** Replace an existing folder (only once the new one is complete). */
  force?: boolean;
  log?: (line: string) => void;
}

export interface Tile { id: string; image: Uint8Array; mask: Uint8Array; z: number }

const SECTION_DEPTH = 420, SECTION_WIDTH = 640, TILES_PER_SECTION = 60;

/** Makes n tiles; the first `empty` share has no salt. Deterministic in the seed. */
export function synthTiles(n: number, seed: number, emptyFraction = 0.4): Tile[] {
  const random = rng(seed);
  const hex = () => Array.from({ length: 10 }, () => Math.floor(random() * 16).toString(16)).join('');
  const tiles: Tile[] = [];
  const ids = new Set<string>();
  let section: ReturnType<typeof buildSection> | undefined;
  let image: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    if (i % TILES_PER_SECTION === 0) {
      section = buildSection(SECTION_DEPTH, SECTION_WIDTH, random, 1 + Math.floor(random() * 3));
      image = seismicImage(section, { peakFrequency: 0.025 + random() * 0.05, noise: random() ** 2, gain: 0.75 + random() * 0.5 }, random);
    }
    const wantEmpty = random() < emptyFraction;
    let best: { top: number; left: number; salt: number } | undefined;
    // Rejection sampling for the wanted kind of tile; fall back to the last draw if a section has none.
    for (let attempt = 0; attempt < 200; attempt++) {
      const top = Math.floor(random() * (SECTION_DEPTH - TILE)), left = Math.floor(random() * (SECTION_WIDTH - TILE));
      let salt = 0;
      for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) salt += section!.salt[(top + y) * SECTION_WIDTH + left + x]!;
      best = { top, left, salt };
      if ((salt === 0) === wantEmpty) break;
    }
    const img = new Uint8Array(PIXELS), mask = new Uint8Array(PIXELS);
    for (let y = 0; y < TILE; y++) {
      for (let x = 0; x < TILE; x++) {
        const k = (best!.top + y) * SECTION_WIDTH + best!.left + x;
        img[y * TILE + x] = image![k]!;
        mask[y * TILE + x] = section!.salt[k]!;
      }
    }
    let id = hex();
    while (ids.has(id)) id = hex();
    ids.add(id);
    tiles.push({ id, image: img, mask, z: Math.round(51 + best!.top * 2.8 + random() * 8) });
  }
  return tiles;
}

function png(data: Uint8Array, rgb: boolean): Uint8Array {
  if (!rgb) return encode({ width: TILE, height: TILE, data, channels: 1, depth: 8 });
  const d = new Uint8Array(PIXELS * 3);
  for (let i = 0; i < PIXELS; i++) d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = data[i]!;
  return encode({ width: TILE, height: TILE, data: d, channels: 3, depth: 8 });
}

/** Writes the layout into a temporary folder beside `out`, then renames it into place. */
export function writeSynth(o: SynthOptions): { train: number; test: number; empty: number } {
  for (const [k, v] of [['--train', o.train], ['--test', o.test]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${k} must be a whole number, got ${v}`);
  }
  prepareOutputFolder(o.out, '--out', { force: o.force });
  return writeFolderWhole(o.out, (tmp) => {
    for (const d of ['train/images', 'train/masks', 'test/images']) makeFolders(join(tmp, d));
    const train = synthTiles(o.train, o.seed, o.emptyFraction);
    const test = synthTiles(o.test, o.seed + 7919, o.emptyFraction);
    const rows = ['id,rle_mask'], depths = ['id,z'];
    let empty = 0;
    for (const t of train) {
      writeFileSync(join(tmp, 'train/images', `${t.id}.png`), png(t.image, true));
      writeFileSync(join(tmp, 'train/masks', `${t.id}.png`), png(Uint8Array.from(t.mask, (v) => v * 255), false));
      const rle = rleEncode(t.mask);
      if (rle === '') empty++;
      rows.push(`${t.id},${rle}`);
      depths.push(`${t.id},${t.z}`);
    }
    const sub = ['id,rle_mask'];
    for (const t of test) {
      writeFileSync(join(tmp, 'test/images', `${t.id}.png`), png(t.image, true));
      depths.push(`${t.id},${t.z}`);
      sub.push(`${t.id},1 1`);
    }
    writeFileSync(join(tmp, 'train.csv'), rows.join('\n') + '\n');
    writeFileSync(join(tmp, 'depths.csv'), depths.join('\n') + '\n');
    writeFileSync(join(tmp, 'sample_submission.csv'), sub.join('\n') + '\n');
    // Marks the folder as synthetic, so runs trained on it can say so (src/data/source.ts).
    const marker: SynthMarker = { generator: 'halite synth', seed: o.seed, train: o.train, test: o.test, emptyFraction: o.emptyFraction ?? null, written: new Date().toISOString() };
    writeFileSync(join(tmp, SYNTH_MARKER), JSON.stringify(marker, null, 2) + '\n');
    return { train: train.length, test: test.length, empty };
  });
}
