// The one overlay convention, the one number format, the .npy and mask downloads, the report's
// "best" picks and a data folder's source, against hand-computed values and numpy's own reading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { dataSource } from '../src/data/source.js';
import { writeSynth } from '../src/data/synth/generate.js';
import { lr, num, percent, score, threshold } from '../src/report/format.js';
import { legendHtml, legendKeys, OVERLAY, OVERLAY_ALPHA, overlayPixels } from '../src/report/overlay.js';
import { bestByClass } from '../src/report/report.js';
import { maskPng, npyFloat32 } from '../web/download.js';

const python = '/usr/bin/python3';
const numpy = existsSync(python) && spawnSync(python, ['-c', 'import numpy']).status === 0;

test('overlay: found blue, false vermillion, missed yellow, blended at OVERLAY_ALPHA over the grey; a lone mask in the salt colour', () => {
  const image = [100, 100, 100, 100], truth = [1, 0, 1, 0], pred = [1, 1, 0, 0];
  const px = overlayPixels(image, truth, pred);
  const blend = (c: number) => Math.round(100 * (1 - OVERLAY_ALPHA) + c * OVERLAY_ALPHA);
  assert.deepEqual([...px.subarray(0, 3)], [blend(0x00), blend(0x72), blend(0xb2)]); // 45+0, 45+63, 45+98
  assert.deepEqual([...px.subarray(0, 3)], [45, 108, 143]);
  assert.deepEqual([...px.subarray(3, 6)], [blend(0xd5), blend(0x5e), blend(0x00)]);
  assert.deepEqual([...px.subarray(6, 9)], [blend(0xf0), blend(0xe4), blend(0x42)]);
  assert.deepEqual([...px.subarray(9, 12)], [100, 100, 100]);
  // A lone mask (explore's labels, Try it's prediction) is drawn as salt, never as "false" or "missed".
  assert.deepEqual([...overlayPixels(image, null, pred).subarray(3, 6)], [45, 108, 143]);
  assert.deepEqual([...overlayPixels(image, truth, null).subarray(6, 9)], [45, 108, 143]);
  // Floats in [0, 1] and RGBA for a canvas.
  const rgba = overlayPixels(Float32Array.of(1, 0), null, null, { unit: true, channels: 4 });
  assert.deepEqual([...rgba], [255, 255, 255, 255, 0, 0, 0, 255]);
  assert.throws(() => overlayPixels(image, [1], null), /truth mask has 1 pixels, the image 4/);
  // No mask colour is grey or white, where a bright reflector could pass for it.
  for (const k of Object.values(OVERLAY)) assert.ok(Math.max(...k.rgb) - Math.min(...k.rgb) > 150, `${k.hex} is saturated`);
  assert.deepEqual(legendKeys('compare').map((k) => k.label), ['salt found (true positive)', 'false salt (false positive)', 'missed salt (false negative)']);
  assert.match(legendHtml('compare'), /background:#D55E00"><\/i>false salt \(false positive\)/);
});

test('numbers: a stored threshold reads 0.5, scores keep four decimals, learning rates read 5e-4', () => {
  assert.equal(threshold(0.49999999999999994), '0.5');
  assert.equal(threshold(0.45), '0.45');
  assert.equal(threshold(null), '—');
  assert.equal(score(0.7), '0.7000');
  assert.equal(score(NaN), '—');
  assert.equal(num(-0.00001, 3), '0');
  assert.equal(num(12, 2), '12');
  assert.equal(lr(5e-4), '5e-4');
  assert.equal(lr(0.0015), '1.5e-3');
  assert.equal(lr(1e-3), '1e-3');
  assert.equal(percent(0.1234), '12.3%');
});

test('the report\'s best gallery takes the best tile of each coverage class with salt, not empty tiles predicted empty', () => {
  //            tile: 0  1    2    3    4    5    6
  const classes = [0, 0, 3, 3, 7, 0, 10];
  const scores = [1, 1, 0.4, 0.9, 0.2, 1, 0.6];
  assert.deepEqual(bestByClass(scores, classes, 3), [3, 4, 6]);
  assert.deepEqual(bestByClass(scores, classes, 5), [0, 3, 2, 4, 6]); // topped up with the next salt tile, then an empty one; in class order
});

test('downloads: the probabilities as a .npy numpy reads back exactly, the mask as 8-bit 0/255 PNG', { skip: !numpy && 'no python3 with numpy' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'halite-npy-'));
  const values = Float32Array.from({ length: 3 * 5 }, (_, i) => Math.fround(i / 7));
  writeFileSync(join(dir, 'p.npy'), npyFloat32(values, 3, 5));
  const r = spawnSync(python, ['-c', `import numpy as np, json; a = np.load('${join(dir, 'p.npy')}'); print(json.dumps([a.dtype.str, list(a.shape), [float(x) for x in a.ravel()]]))`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [dtype, shape, back] = JSON.parse(r.stdout) as [string, number[], number[]];
  assert.deepEqual([dtype, shape], ['<f4', [3, 5]]);
  assert.deepEqual(back, [...values]);
  assert.equal(npyFloat32(values, 3, 5).length % 64, (values.byteLength) % 64, 'header padded to 64 bytes');
  assert.throws(() => npyFloat32(values, 4, 4), /15 values for shape \(4, 4\)/);
  const png = decode(maskPng(Uint8Array.of(1, 0, 0, 1, 1, 0), 3, 2));
  assert.deepEqual([png.width, png.height, png.channels, png.depth, ...png.data], [3, 2, 1, 8, 255, 0, 0, 255, 255, 0]);
});

test('a folder halite synth wrote says it is synthetic; another folder is a folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'halite-source-'));
  writeSynth({ out: join(root, 's'), train: 4, test: 1, seed: 3 });
  const s = dataSource(join(root, 's'));
  assert.equal(s.kind, 'synthetic');
  assert.match(s.text, /^synthetic seismic \(halite synth, seed 3, 4 training tiles\): /);
  assert.equal(dataSource(root).kind, 'folder');
  assert.equal(dataSource(join(root, 'gone')).kind, 'missing');
});
