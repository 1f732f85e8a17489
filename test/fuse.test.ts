// halite's inference path with BatchNorm folded into the convolutions (issue 24): on real tiles the
// fused model gives the unfused model's probabilities to 1e-5 for several model kinds, in both memory
// layouts; exactly the BatchNorms that follow a convolution alone are folded; the parameters, state
// dict and training-mode forward stay as they were; and a fusion whose check fails is undone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImages } from '../src/data/decode-pool.js';
import { fuseForInference, unfuse } from '../src/infer/fuse.js';
import { predictProbabilities, predictTiles } from '../src/infer/predict.js';
import { isMultiHead } from '../src/models/heads.js';
import { createModel } from '../src/models/registry.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d } from '../src/nn/layers.js';
import { Module } from '../src/nn/module.js';
import * as F from '../src/torch/functional.js';
import { fromArray, manualSeed, tidy, type Tensor } from '../src/torch/index.js';
import { buildInfo, liveTensors } from '../src/torch/runtime.js';
import { maxDiff, perturbBatchNorms } from './helpers/batchnorm.js';

const TGS = join(import.meta.dirname, '..', '..', 'shared', 'tgs');
const TOL = 1e-5;

/** Four real training tiles (N x 101 x 101 in [0, 1]), read as halite reads them. */
async function realTiles(): Promise<Float32Array> {
  const imgDir = join(TGS, 'train', 'images');
  const files = readdirSync(imgDir).filter((f) => f.endsWith('.png')).sort().slice(10, 14).map((f) => join(imgDir, f));
  return decodeImages(files);
}
const tilesPromise = realTiles();



const dc = [16, 8, 8, 8, 4];
/** `folds`: whether a BatchNorm, by name, reads a Conv2d's output alone, from the model's structure (undefined: not checked). */
const CASES: { name: string; model: string; options: Record<string, unknown>; folds: (bn: string) => boolean | undefined }[] = [
  // The Keras write-up's plain U-Net has no BatchNorm: nothing to fold, the channels-last weights still apply.
  { name: 'unet', model: 'unet', options: { startNeurons: 4 }, folds: () => undefined },
  // Pre-activation residual blocks: only the BatchNorm between the two convolutions (act2) reads a
  // convolution alone; act1 reads the block's input, which the residual sum reads too, act_out the sum.
  { name: 'resunet', model: 'resunet', options: { startFilters: 4 }, folds: (bn) => /\.act2\.bn$/.test(bn) },
  {
    name: 'resnet18 + scSE, FPA, hypercolumns, deep supervision, threshold gate', model: 'encoder-unet',
    options: { encoder: 'resnet18', decoderChannels: dc, scse: true, center: 'fpa', hypercolumn: true, deepSupervision: true, upsample: 'transpose', classifier: true, gate: 'threshold' },
    folds: (bn) => (bn.startsWith('encoder.') ? true : undefined),
  },
  {
    name: 'resnet50 + scSE, classifier', model: 'encoder-unet', options: { encoder: 'resnet50', decoderChannels: dc, scse: true, classifier: true },
    folds: (bn) => (bn.startsWith('encoder.') ? true : undefined),
  },
];

for (const [k, c] of CASES.entries()) {
  test(`${c.name}: the fused model gives the unfused probabilities to ${TOL} on real tiles, contiguous and channels-last`, async () => {
    const tiles = await tilesPromise;
    manualSeed(200 + k);
    const m = createModel(c.model, c.options);
    perturbBatchNorms(m);
    const before = new Map([...m.stateDict()].map(([n, t]) => [n, [...(t.toArray() as Float32Array)]] as const));
    const plain = predictTiles(m, tiles, { tta: true, batchSize: 3 });
    const plainProbs = predictProbabilities(m, tiles, { tta: false });
    for (const channelsLast of [false, true]) {
      const r = fuseForInference(m, { channelsLast });
      assert.ok(r.maxDiff <= TOL, `check ${r.maxDiff}`);
      assert.equal(r.channelsLast, channelsLast);
      for (const [name, l] of m.namedModules()) {
        if (!(l instanceof BatchNorm2d)) continue;
        const expected = c.folds(name);
        if (expected !== undefined) assert.equal(l.foldedIntoConv, expected, `${name} folded: ${l.foldedIntoConv}`);
      }
      const bns = [...m.namedModules()].filter(([, l]) => l instanceof BatchNorm2d).length;
      assert.equal(r.folded + r.kept, bns);
      assert.equal(r.folded > 0, bns > 0, `folded ${r.folded} of ${bns}`);
      // Every stride-2 transposed convolution runs as conv2d + pixel shuffle where libtorch has oneDNN.
      const ups = [...m.namedModules()].filter(([, l]) => l instanceof ConvTranspose2d).length;
      assert.equal(r.subPixel, buildInfo().mkldnn ? ups : 0, `sub-pixel ${r.subPixel} of ${ups}`);
      const fused = predictTiles(m, tiles, { tta: true, batchSize: 3 });
      const d = maxDiff(plain.probs, fused.probs);
      assert.ok(d <= TOL, `probabilities differ by ${d}`);
      if (plain.salt) assert.ok(maxDiff(plain.salt, fused.salt!) <= TOL, 'salt differs');
      assert.ok(maxDiff(plainProbs, predictProbabilities(m, tiles, { tta: false })) <= TOL);
    }
    // The parameters and buffers are untouched: state dicts and training see the model as it was.
    for (const [n, t] of m.stateDict()) assert.deepEqual([...(t.toArray() as Float32Array)], before.get(n), `${n} changed`);
    m.dispose();
  });
}

// predict --precision bf16: the forward under bfloat16 autocast, the logits back in float32. Bounds from
// bfloat16's unit roundoff u = 2^-8 (8-bit significand): a probability is σ(logit) with σ' ≤ 1/4, so an
// error of a few u in the logits moves it by about u; the mean stays below u and no pixel moves 8u.
const BF16_U = 2 ** -8;
for (const c of [CASES[1]!, CASES[2]!]) {
  test(`${c.name}: predicting in bf16 gives float32 probabilities within bfloat16's rounding of fp32's`, async () => {
    const tiles = await tilesPromise;
    manualSeed(300);
    const m = createModel(c.model, c.options);
    perturbBatchNorms(m);
    fuseForInference(m, { channelsLast: true });
    const fp32 = predictTiles(m, tiles, { tta: true, batchSize: 3 });
    const bf16 = predictTiles(m, tiles, { tta: true, batchSize: 3, precision: 'bf16' });
    for (const [what, a, b] of [['mask', fp32.probs, bf16.probs], ...(fp32.salt ? [['salt', fp32.salt, bf16.salt!]] : [])] as [string, Float32Array, Float32Array][]) {
      assert.ok(b instanceof Float32Array && b.every((v) => v >= 0 && v <= 1), `${what}: float32 probabilities in [0, 1]`);
      const d = maxDiff(a, b), mean = a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
      assert.ok(d > 0, `${what}: bf16 gave fp32's probabilities exactly, so it did not run in bfloat16`);
      assert.ok(d < 8 * BF16_U && mean < BF16_U, `${what}: largest difference ${d}, mean ${mean}`);
    }
    assert.ok(maxDiff(bf16.probs, predictProbabilities(m, tiles, { tta: true, batchSize: 3, precision: 'bf16' })) < 8 * BF16_U);
    m.dispose();
  });
}

test('in training mode a fused model runs its parameters and batch statistics, as before fusing', async () => {
  const tiles = (await tilesPromise).subarray(0, 2 * 101 * 101);
  manualSeed(7);
  const m = createModel('resunet', { startFilters: 4, dropout: 0 });
  perturbBatchNorms(m);
  const run = () => tidy(() => { m.train(); const x = fromArray(tiles, [2, 1, 101, 101]); return m.call(x).toArray() as Float32Array; });
  // Running statistics move in training mode: compare two fresh copies' first step.
  const sd = new Map([...m.stateDict()].map(([n, t]) => [n, t.clone()] as const));
  const unfused = run();
  m.loadStateDict(sd);
  fuseForInference(m, { channelsLast: true });
  const fused = run();
  assert.deepEqual([...fused], [...unfused]);
  for (const t of sd.values()) t.dispose();
  m.dispose();
});

/** Calls its convolution's weights directly (not through Conv2d.forward), so folding into the Conv2d cannot take effect. */
class Bypass extends Module {
  readonly conv = this.module('conv', new Conv2d(1, 3, 3, { padding: 1 }));
  readonly bn = this.module('bn', new BatchNorm2d(3));
  readonly head = this.module('head', new Conv2d(3, 1, 1));
  forward(x: Tensor): Tensor { return this.head.call(this.bn.call(F.conv2d(x, this.conv.weight, this.conv.bias, { padding: [1, 1] }))); }
}

test('a fusion that changes the probabilities is undone: a model that bypasses Conv2d.forward keeps its BatchNorm', async () => {
  manualSeed(3);
  const m = new Bypass();
  perturbBatchNorms(m);
  const tiles = (await tilesPromise).subarray(0, 101 * 101);
  const before = predictProbabilities(m, tiles, { tta: false });
  const r = fuseForInference(m);
  assert.equal(r.folded, 0);
  assert.ok(r.maxDiff > TOL, `the check saw ${r.maxDiff}`);
  assert.equal(m.bn.foldedIntoConv, false);
  assert.deepEqual([...predictProbabilities(m, tiles, { tta: false })], [...before]);
  m.dispose();
});

test('the sub-pixel weights are replaced by a second fusion, freed by unfuse and by dispose', () => {
  manualSeed(6);
  const live = liveTensors();
  const m = createModel('resunet', { startFilters: 4 });
  const params = liveTensors() - live;
  const a = fuseForInference(m, { channelsLast: true, subPixel: true });
  const held = liveTensors();
  assert.equal(a.subPixel, 4);
  fuseForInference(m, { channelsLast: true, subPixel: true });
  assert.equal(liveTensors(), held, 'a second fusion leaked the sub-pixel weights');
  unfuse(m);
  assert.equal(liveTensors(), live + params, 'unfuse kept eval or sub-pixel weights');
  assert.equal(fuseForInference(m, { subPixel: false }).subPixel, 0);
  fuseForInference(m, { subPixel: true });
  m.dispose();
  assert.equal(liveTensors(), live);
});

test('fusing again replaces the eval weights, and disposing the model frees them', () => {
  manualSeed(5);
  const live = liveTensors();
  const m = createModel('encoder-unet', { encoder: 'resnet18', decoderChannels: dc, classifier: true, gate: 'multiply' });
  const params = liveTensors() - live;
  const a = fuseForInference(m, { channelsLast: true });
  const held = liveTensors();
  const b = fuseForInference(m, { channelsLast: true });
  assert.equal(a.folded, b.folded);
  assert.equal(liveTensors(), held, 'a second fusion leaked the first one\'s eval weights');
  assert.ok(held - live > params, 'the eval weights are held besides the parameters');
  assert.ok(isMultiHead(m) && m.hasClassifier);
  m.dispose();
  assert.equal(liveTensors(), live);
});
