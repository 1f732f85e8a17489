// halite predict --engine onnxruntime (issue 24): onnxruntime-node on a model exported in memory gives
// what halite's libtorch path gives, to 1e-4 on real tiles: predictTiles' ungated mask and salt for a
// threshold-gated model, predictProbabilities' own gated mask, with and without flip TTA, across batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImages } from '../src/data/decode-pool.js';
import { OnnxRunner } from '../src/export/onnx-runner.js';
import { predictProbabilities, predictTiles } from '../src/infer/predict.js';
import type { LoadedRun } from '../src/infer/run.js';
import { isMultiHead } from '../src/models/heads.js';
import { createModel } from '../src/models/registry.js';
import type { Module } from '../src/nn/module.js';
import type { TrainConfig } from '../src/run/config.js';
import { manualSeed } from '../src/torch/index.js';
import { maxDiff, perturbBatchNorms } from './helpers/batchnorm.js';

const TGS = join(import.meta.dirname, '..', '..', 'shared', 'tgs');
const TOL = 1e-4;

const tilesPromise = (async () => {
  const imgDir = join(TGS, 'train', 'images');
  return decodeImages(readdirSync(imgDir).filter((f) => f.endsWith('.png')).sort().slice(20, 25).map((f) => join(imgDir, f)));
})();



/** A loaded run around a model (only what the engine reads). */
const asRun = (model: Module): LoadedRun => ({ dir: '/nowhere', config: {} as TrainConfig, model, post: { threshold: 0.5, minArea: 0, gate: null }, epoch: null, fused: null });

const CASES = [
  { name: 'resunet', model: 'resunet', options: { startFilters: 4 } },
  { name: 'resnet18 with scSE and a threshold salt gate', model: 'encoder-unet', options: { encoder: 'resnet18', decoderChannels: [16, 8, 8, 8, 4], scse: true, classifier: true, gate: 'threshold' } },
];

for (const [k, c] of CASES.entries()) {
  test(`onnxruntime engine: ${c.name} gives libtorch's probabilities to ${TOL} on real tiles`, async () => {
    const tiles = await tilesPromise;
    manualSeed(300 + k);
    const m = createModel(c.model, c.options);
    perturbBatchNorms(m);
    const runner = new OnnxRunner(asRun(m), 2);
    try {
      for (const tta of [true, false]) {
        const want = predictTiles(m, tiles, { tta, batchSize: 2 });
        const got = await runner.predictTiles(tiles, { tta, batchSize: 2 });
        assert.ok(maxDiff(want.probs, got.probs) <= TOL, `tta ${tta}: probabilities differ by ${maxDiff(want.probs, got.probs)}`);
        assert.equal(got.salt === null, want.salt === null);
        if (want.salt) assert.ok(maxDiff(want.salt, got.salt!) <= TOL, 'salt differs');
      }
      if (isMultiHead(m)) {
        // The model's own gate empties some tiles: the gated probabilities come from a second graph.
        const salt = predictTiles(m, tiles, { tta: false }).salt!;
        // Halfway between two tiles' values, so that neither runtime's rounding decides a tile.
        const sorted = [...salt].sort((a, b) => a - b);
        assert.ok(sorted[2]! - sorted[1]! > 1e-5, `salt values ${sorted.join(', ')} leave no room for a gate`);
        m.gateThreshold = (sorted[1]! + sorted[2]!) / 2;
        const gated = predictProbabilities(m, tiles, { tta: false });
        assert.ok(gated.some((v) => v < 1e-10), 'the gate emptied no tile');
        assert.ok(maxDiff(gated, await runner.predictProbabilities(tiles, { tta: false })) <= TOL);
      }
    } finally {
      await runner.release();
      m.dispose();
    }
  });
}
