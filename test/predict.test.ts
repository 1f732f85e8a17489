// Prediction: a Kaggle-valid submission with every id in order, flip TTA, minimum area, mask PNGs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '../src/torch/index.js';
import * as nn from '../src/nn/index.js';
import { writeSynth } from '../src/data/synth/generate.js';
import { rleDecode, PIXELS } from '../src/data/rle.js';
import { predictProbabilities } from '../src/infer/predict.js';
import { toMask, writeSubmission } from '../src/infer/submission.js';
import { resolveConfig } from '../src/run/config.js';
import { train } from '../src/train/trainer.js';
import { writeReport } from '../src/report/report.js';
import { firstColumn, halite } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'halite-predict-'));

test('flip TTA averages the prediction with the mirrored prediction of the mirrored tile', () => {
  // A 1x1 conv is mirror-equivariant, so TTA changes nothing; a left-biased model is made symmetric.
  class Left extends nn.Module {
    forward(x: T.Tensor): T.Tensor {
      const ramp = T.arange(101, undefined, 1, { dtype: 'float32' }).div(-10).reshape(1, 1, 1, 101);
      return x.mul(0).add(ramp);
    }
  }
  const images = new Float32Array(2 * PIXELS).fill(0.5);
  const plain = predictProbabilities(new Left(), images, { tta: false });
  const tta = predictProbabilities(new Left(), images, { tta: true });
  assert.ok(plain[0]! > plain[100]!, 'without TTA the left edge is likelier');
  for (let x = 0; x < 101; x++) assert.ok(Math.abs(tta[x]! - tta[100 - x]!) < 1e-6, 'with TTA the map is mirror-symmetric');
  assert.ok(Math.abs(tta[0]! - (plain[0]! + plain[100]!) / 2) < 1e-6);
});

test('minimum area empties small masks; submissions carry every id in order with valid RLE', () => {
  const prob = new Float32Array(PIXELS);
  prob.fill(0.9, 0, 30);
  assert.equal(toMask(prob, { threshold: 0.5 }).reduce((a, b) => a + b, 0), 30);
  assert.equal(toMask(prob, { threshold: 0.5, minArea: 31 }).reduce((a, b) => a + b, 0), 0);
  const ids = ['b', 'a', 'c'];
  const probs = new Float32Array(3 * PIXELS);
  probs.fill(0.8, PIXELS, PIXELS + 500);
  const f = join(root, 'sub.csv');
  const { empty } = writeSubmission(f, ids, probs, { threshold: 0.5, masksDir: join(root, 'masks') });
  assert.equal(empty, 2);
  const lines = readFileSync(f, 'utf8').trim().split('\n');
  assert.deepEqual(firstColumn(f), ['id', 'b', 'a', 'c']);
  assert.equal(rleDecode(lines[2]!.split(',')[1]!).reduce((a, b) => a + b, 0), 500);
  assert.deepEqual(readdirSync(join(root, 'masks')).sort(), ['a.png', 'b.png', 'c.png']);
});

test('halite predict writes a submission for the sample ids and halite evaluate scores it', async () => {
  const data = join(root, 'data');
  writeSynth({ out: data, train: 48, test: 6, seed: 8 });
  const cfg = resolveConfig([{ data, runsDir: join(root, 'runs'), name: 'r', model: 'resunet', modelOptions: { startFilters: 4 }, batchSize: 16,
    valFraction: 0.25, seed: 2, threads: 2, phases: [{ loss: 'bce', epochs: 1 }], sweep: { from: 0.4, to: 0.6, steps: 3 } }]);
  const r = await train(cfg, { log: () => {} });
  const sub = join(root, 'test.csv');
  let p = halite('predict', '--run', r.run, '--images', join(data, 'test/images'), '--sample', join(data, 'sample_submission.csv'), '--out', sub, '--min-area', '10');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /wrote .*test\.csv: 6 tiles, \d+ without salt, 1 model, threshold 0\.\d+, minimum area 10, flip TTA/);
  assert.deepEqual(firstColumn(sub), firstColumn(join(data, 'sample_submission.csv')));
  const trainSub = join(root, 'train.csv');
  p = halite('predict', '--run', r.run, '--images', join(data, 'train/images'), '--out', trainSub, '--no-tta', '--threshold', '0.5');
  assert.equal(p.status, 0, p.stderr);
  const e = halite('evaluate', '--data', data, '--submission', trainSub, '--json');
  assert.equal(e.status, 0, e.stderr);
  const m = JSON.parse(e.stdout.trim().split('\n').pop()!).map;
  assert.ok(m >= 0 && m <= 1);
  // The run's own validation tiles: evaluate --run scores exactly what the threshold sweep scored.
  const valSub = join(root, 'val.csv');
  p = halite('predict', '--run', r.run, '--val', '--out', valSub);
  assert.equal(p.status, 0, p.stderr);
  const ev = halite('evaluate', '--data', data, '--submission', valSub, '--run', r.run, '--json');
  assert.equal(ev.status, 0, ev.stderr);
  const tuned = JSON.parse(readFileSync(join(r.run, 'threshold.json'), 'utf8')).score;
  assert.ok(Math.abs(JSON.parse(ev.stdout.trim().split('\n').pop()!).map - tuned) < 1e-12, 'evaluate --run reproduces the tuned validation score');
  // The report: every section, with the run's own numbers.
  const rep = await writeReport(r.run);
  const html = readFileSync(rep.path, 'utf8');
  for (const h of ['Summary', 'Configuration', 'Training curves', 'Threshold', 'Scores by coverage class', 'Validation gallery', 'Data']) assert.ok(html.includes(`<h2>${h}</h2>`), h);
  assert.ok(Math.abs(rep.map - tuned) < 1e-12);
  assert.ok(html.includes(`<strong>${tuned.toFixed(4)}</strong>`), 'the summary shows the validation mAP');
  assert.ok(html.includes('<h3>best of each coverage class</h3>') && html.includes('<h3>worst</h3>') && html.includes('<h3>random</h3>'));
  assert.ok(html.indexOf('<h2>Configuration</h2>') > html.indexOf('<h2>Data</h2>') && html.includes('<details><summary>config.json</summary>'), 'the config comes last, folded');
  assert.ok(html.includes('salt found (true positive)') && html.includes('missed salt (false negative)'), 'the gallery has its legend');
  assert.match(html, /<dt>trained on<\/dt><dd>synthetic seismic \(halite synth, seed 8, 48 training tiles\)/);
  assert.ok((html.match(/<svg/g) ?? []).length >= 8, 'curves, sweep and exploration figures are inlined');
  assert.ok(!/(src|href)="(https?:|\/)/.test(html), 'nothing is loaded from outside the file');
  writeFileSync(join(root, 'bad.csv'), 'id,rle_mask\nnope,\n');
  p = halite('predict', '--run', r.run, '--images', join(data, 'test/images'), '--sample', join(root, 'bad.csv'), '--out', join(root, 'x.csv'));
  assert.notEqual(p.status, 0);
  assert.match(p.stderr, /bad\.csv:2: id nope has no image/);
  p = halite('predict', '--run', join(root, 'nowhere'), '--images', data, '--out', join(root, 'x.csv'));
  assert.match(p.stderr, /'--run <dir>' argument '.*nowhere' is invalid\. No such run directory/);
});
