// Synthetic seismic: a valid TGS layout, about 40% empty tiles, repeatable under a seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSynth, synthTiles } from '../src/data/synth/generate.js';
import { readTgs } from '../src/data/tgs.js';
import { ricker } from '../src/data/synth/seismic.js';
import { PIXELS } from '../src/data/rle.js';

const root = mkdtempSync(join(tmpdir(), 'halite-synth-'));

test('synth output passes the reader, with ~40% empty masks and salt of many coverages', async () => {
  const out = join(root, 'a');
  const r = writeSynth({ out, train: 240, test: 30, seed: 3 });
  assert.deepEqual(readdirSync(root), ['a'], 'written whole: no temporary folder left');
  const d = await readTgs(out);
  assert.equal(d.train.ids.length, 240);
  assert.equal(d.test!.ids.length, 30);
  assert.equal(d.submissionIds!.length, 30);
  const empty = d.train.rle.filter((x) => x === '').length;
  assert.equal(empty, r.empty);
  assert.ok(empty / 240 > 0.3 && empty / 240 < 0.5, `empty fraction ${empty / 240}`);
  const cov = d.train.ids.map((_, i) => d.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS).reduce((a, b) => a + b, 0) / PIXELS);
  const classes = new Set(cov.map((c) => (c === 0 ? 0 : Math.ceil(c * 10))));
  assert.ok(classes.size >= 8, `coverage classes present: ${[...classes].sort((a, b) => a - b)}`);
  const mean = d.train.images.reduce((a, b) => a + b, 0) / d.train.images.length;
  assert.ok(mean > 0.35 && mean < 0.65, `mean intensity ${mean}`);
  assert.ok(d.train.depths.every((z) => z > 0 && z < 1200));
  assert.throws(() => writeSynth({ out, train: 1, test: 1, seed: 0 }), /: --out .* already exists; name a new folder, or pass --force to replace it \(nothing was written\)$/);
  writeSynth({ out, train: 2, test: 1, seed: 0, force: true });
  assert.equal((await readTgs(out)).train.ids.length, 2, 'replaced');
  assert.deepEqual(readdirSync(root), ['a'], 'no temporary or old folder left');
});

test('synth repeats exactly under a seed and differs across seeds', () => {
  writeSynth({ out: join(root, 'b'), train: 20, test: 2, seed: 9 });
  writeSynth({ out: join(root, 'c'), train: 20, test: 2, seed: 9 });
  assert.equal(readFileSync(join(root, 'b/train.csv'), 'utf8'), readFileSync(join(root, 'c/train.csv'), 'utf8'));
  const id = readdirSync(join(root, 'b/train/images'))[0]!;
  assert.ok(readFileSync(join(root, 'b/train/images', id)).equals(readFileSync(join(root, 'c/train/images', id))));
  assert.notDeepEqual(synthTiles(5, 1).map((t) => t.id), synthTiles(5, 2).map((t) => t.id));
});

test('the Ricker wavelet matches its formula: peak 1 at t=0, zero crossing at t = 1/(π f √2)', () => {
  const f = 0.05, w = ricker(f, 30);
  assert.equal(w[30], 1);
  // (1 - 2a) e^{-a} with a = (π f t)^2 is zero where a = 1/2, i.e. t = 1/(π f √2) ≈ 4.50 samples.
  const t0 = 1 / (Math.PI * f * Math.SQRT2);
  assert.ok(w[30 + Math.floor(t0)]! > 0 && w[30 + Math.ceil(t0)]! < 0);
  assert.ok(Math.abs(w[25]! - w[35]!) < 1e-7, 'symmetric');
});
