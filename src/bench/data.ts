// `halite bench data`: loading a TGS training set (tiles, masks, CSV cross-checks) beside the
// PIL + numpy loading of the Kaggle kernels, in the same run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readTgs } from '../data/tgs.js';

export interface DataBenchResult { tiles: number; load_s: number; tiles_s: number; peer_load_s: number; ratio: number; salt_pixels: number }

export async function benchData(dir: string, python: string, threads?: number): Promise<DataBenchResult> {
  const t0 = performance.now();
  const d = await readTgs(dir, { test: false, threads });
  const load = (performance.now() - t0) / 1000;
  let salt = 0;
  for (const v of d.train.masks) salt += v;
  const script = fileURLToPath(new URL('../../bench/peer/load_tgs.py', import.meta.url));
  const r = spawnSync(python, [script, dir], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`the PIL/numpy peer failed: ${r.error?.message ?? r.stderr}`);
  const peer = JSON.parse(r.stdout.trim().split('\n').pop()!) as { tiles: number; load_s: number; salt_pixels: number };
  if (peer.tiles !== d.train.ids.length || peer.salt_pixels !== salt) {
    throw new Error(`halite and the peer disagree: ${d.train.ids.length} vs ${peer.tiles} tiles, ${salt} vs ${peer.salt_pixels} salt pixels`);
  }
  return { tiles: d.train.ids.length, load_s: load, tiles_s: d.train.ids.length / load, peer_load_s: peer.load_s, ratio: peer.load_s / load, salt_pixels: salt };
}
