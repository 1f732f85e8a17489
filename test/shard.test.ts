// cv and predict spread over ranks (issue 23, "Beyond training"): `halite cv --nproc 2` trains fold k
// on rank k mod 2 and writes the same cv.json and fold weights as one process; `halite predict
// --nproc 2` splits real tiles (and larger images) into blocks and writes the same bytes as one process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { writeSynth } from '../src/data/synth/generate.js';
import { packParts, shardRange, unpackParts } from '../src/distributed/collect.js';

const TGS = join(import.meta.dirname, '..', '..', 'shared', 'tgs');
const dir = mkdtempSync(join(tmpdir(), 'halite-shard-'));
const data = join(dir, 'data');
writeSynth({ out: data, train: 40, test: 2, seed: 5 });

// One thread in every process: the comparison is of the work's split, not of libtorch's intra-op reductions.
const env = { ...process.env, HALITE_FROM_SOURCE: '1', HALITE_THREADS: '1', GLOO_SOCKET_IFNAME: '' };
const halite = (...args: string[]) => spawnSync(process.execPath, ['bin/halite.js', ...args], { encoding: 'utf8', env });
const cvArgs = ['cv', '--data', data, '--folds', '2', '--model', 'resunet', '--model-options', '{"startFilters":4}', '--epochs', '1', '--losses', 'bce', '--batch-size', '8'];

test('shardRange deals contiguous blocks that differ by at most one; packParts round-trips JSON and arrays', () => {
  assert.deepEqual([0, 1, 2].map((r) => shardRange(31, r, 3)), [[0, 10], [10, 20], [20, 31]]);
  assert.deepEqual([0, 1, 2].map((r) => shardRange(2, r, 3)), [[0, 0], [0, 1], [1, 2]]);
  const f = Float32Array.from([1.5, -2, Number.NaN]), u = Uint8Array.from([0, 1, 255, 7, 9]);
  const { meta, parts } = unpackParts<{ a: string }>(packParts({ a: 'fold' }, [u, f, new Uint8Array(0)]));
  assert.deepEqual(meta, { a: 'fold' });
  assert.deepEqual(parts, [u, f, new Uint8Array(0)]);
  const packed = packParts({}, [f]);
  assert.throws(() => unpackParts(packed.subarray(0, packed.length - 1)), /end inside a f32 array of 3/);
  assert.throws(() => unpackParts(packed.subarray(0, 6)), /end inside the \d+-byte JSON header/);
});

const one = join(dir, 'cv-1'), two = join(dir, 'cv-2');

test('halite cv --nproc 2: fold k on rank k mod 2, the same weights, cv.json and summary as one process', () => {
  const a = halite(...cvArgs, '--out', one);
  assert.equal(a.status, 0, a.stderr.slice(-3000));
  const b = halite(...cvArgs, '--out', two, '--nproc', '2');
  assert.equal(b.status, 0, b.stderr.slice(-3000));
  assert.match(b.stdout, /^\[rank 1\] fold 2\/2: .*fold-1$/m, 'rank 1 trains fold 1');
  assert.doesNotMatch(b.stdout, /^fold 2\/2/m, 'rank 0 does not');
  assert.match(b.stdout, /^folds trained over 2 processes/m);
  assert.doesNotMatch(b.stdout, /note: fold-/, 'one machine: no run directory is elsewhere');
  // The summary lines rank 0 prints are one process's.
  const summary = (s: string) => s.split('\n').filter((l) => /^(fold \d+:|out-of-fold:|\{)/.test(l));
  assert.equal(summary(a.stdout).length, 4);
  assert.deepEqual(summary(b.stdout), summary(a.stdout));
  assert.equal(readFileSync(join(two, 'cv.json'), 'utf8'), readFileSync(join(one, 'cv.json'), 'utf8'));
  for (const k of [0, 1]) {
    assert.ok(readFileSync(join(two, `fold-${k}`, 'best.safetensors')).equals(readFileSync(join(one, `fold-${k}`, 'best.safetensors'))), `fold ${k} weights`);
  }
});

test('halite predict --nproc 2 writes the same submission and masks as one process (real tiles, an ensemble, larger images)', { skip: !existsSync(TGS) && 'no ../shared/tgs' }, () => {
  assert.ok(existsSync(join(one, 'cv.json')), 'needs the cv test');
  const images = join(dir, 'images');
  mkdirSync(images);
  const names = readdirSync(join(TGS, 'train', 'images')).sort().slice(0, 31);
  for (const n of names) copyFileSync(join(TGS, 'train', 'images', n), join(images, n));
  // Three larger images, split 1 + 2 over the ranks: cut into tiles, stitched, written as mask PNGs.
  for (const [i, w, h] of [[0, 160, 130], [1, 101, 220], [2, 250, 101]] as const) {
    const px = Uint8Array.from({ length: w * h }, (_, k) => (Math.floor(k / w) * 3 + (k % w) * (i + 2)) % 256);
    writeFileSync(join(images, `section-${i}.png`), encode({ width: w, height: h, data: px, channels: 1, depth: 8 }));
  }
  const run = (n: number) => {
    const out = join(dir, `pred-${n}`);
    const p = halite('predict', '--run', one, '--images', images, '--out', join(out, 'sub.csv'), '--masks', join(out, 'masks'), '--threshold', '0.503', '--min-area', '20', ...(n > 1 ? ['--nproc', String(n)] : []));
    assert.equal(p.status, 0, p.stderr.slice(-3000));
    return { out, stdout: p.stdout };
  };
  const a = run(1), b = run(2);
  assert.match(b.stdout, /wrote .*sub\.csv: 31 tiles, \d+ without salt, 2 models, .* \(2 processes\)/);
  assert.match(b.stdout, /3 images are not 101x101 .*: cut into \d+ overlapping tiles/);
  assert.equal(a.stdout.match(/cut into (\d+) overlapping/)![1], b.stdout.match(/cut into (\d+) overlapping/)![1]);
  const csv = readFileSync(join(a.out, 'sub.csv'), 'utf8');
  assert.deepEqual(csv.trim().split('\n').map((l) => l.split(',')[0]), ['id', ...names.map((n) => n.replace(/\.png$/, ''))]);
  // The probabilities of this 1-epoch ensemble lie near 0.5: a threshold amid them makes every tile's
  // mask hang on the last digits, so a prediction that differed at all would show.
  const rows = csv.trim().split('\n').slice(1);
  assert.ok(rows.filter((l) => /^\w+,\d+ \d+/.test(l)).length >= 10, 'tiles hold salt, so the comparison can fail');
  assert.ok(readFileSync(join(b.out, 'sub.csv')).equals(readFileSync(join(a.out, 'sub.csv'))), 'byte-identical submission');
  const masks = readdirSync(join(a.out, 'masks')).sort();
  assert.equal(masks.length, 34);
  assert.deepEqual(readdirSync(join(b.out, 'masks')).sort(), masks);
  for (const m of masks) assert.ok(readFileSync(join(b.out, 'masks', m)).equals(readFileSync(join(a.out, 'masks', m))), m);
});

test('halite predict --nproc 2: a rank that fails stops the job, and the launcher and the rank name it', { skip: !existsSync(TGS) && 'no ../shared/tgs' }, () => {
  const images = join(dir, 'broken');
  mkdirSync(images);
  const names = readdirSync(join(TGS, 'train', 'images')).sort().slice(0, 6);
  for (const n of names) copyFileSync(join(TGS, 'train', 'images', n), join(images, n));
  // The last tile, in rank 1's block, keeps its header (so the listing sees a 101x101 tile) but loses its pixels.
  const last = join(images, names[5]!);
  writeFileSync(last, readFileSync(last).subarray(0, 60));
  const p = halite('predict', '--run', one, '--images', images, '--out', join(dir, 'broken.csv'), '--nproc', '2');
  assert.equal(p.status, 1, p.stderr.slice(-3000));
  assert.match(p.stderr, new RegExp(`\\[rank 1\\] halite: rank 1: .*${names[5]!.replace('.png', '')}`));
  assert.match(p.stderr, /halite: rank 1 \(pid \d+\) exited with code 1; stopping the other ranks/);
  assert.match(p.stderr, /the job failed: rank 1 exited with code 1 \(its output above says why\); run the same halite predict again/);
  assert.ok(!existsSync(join(dir, 'broken.csv')), 'no submission');
});

test('halite predict --segy --nproc 2 writes the same probability and mask volumes and previews as one process', () => {
  assert.ok(existsSync(join(one, 'cv.json')), 'needs the cv test');
  const vol = join(dir, 'vol');
  // Odd counts: the last round of each direction has a section for rank 0 alone.
  const s = halite('synth', '--volume', '--out', vol, '--inlines', '7', '--crosslines', '9', '--samples', '130', '--seed', '3');
  assert.equal(s.status, 0, s.stderr);
  const run = (n: number) => {
    const out = join(dir, `segy-${n}`);
    mkdirSync(out);
    const p = halite('predict', '--run', one, '--segy', join(vol, 'seismic.sgy'), '--out', join(out, 'p.sgy'), '--mask-out', join(out, 'm.sgy'),
      '--threshold', '0.503', '--png', join(out, 'png'), ...(n > 1 ? ['--nproc', String(n)] : []));
    assert.equal(p.status, 0, p.stderr.slice(-3000));
    return { out, stdout: p.stdout };
  };
  const a = run(1), b = run(2);
  assert.match(b.stdout, /salt probability of 7 inlines × 9 crosslines × 130 samples .* 32 tiles, 2 models, flip TTA, libtorch in .*2 processes\)/);
  assert.equal(a.stdout.match(/(\d+\.\d+)% of samples/)![1], b.stdout.match(/(\d+\.\d+)% of samples/)![1]);
  const pct = Number(a.stdout.match(/(\d+\.\d+)% of samples/)![1]);
  assert.ok(pct > 5 && pct < 95, `the mask is mixed (${pct}%), so the comparison can fail`);
  for (const f of ['p.sgy', 'm.sgy', 'png/inline-103.png', 'png/crossline-504.png']) {
    assert.ok(readFileSync(join(b.out, f)).equals(readFileSync(join(a.out, f))), f);
  }
  assert.deepEqual(readdirSync(b.out).sort(), ['m.sgy', 'p.sgy', 'png'], 'no scratch file is left');
});
