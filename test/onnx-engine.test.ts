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

test('--engine auto takes the faster engine, remembers it per machine and ensemble, and replaces a cache file that is not JSON', async () => {
  const { chooseEngine, engineKey } = await import('../src/cli/engine-choice.js');
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  manualSeed(7);
  const model = createModel('resunet', { startFilters: 2 });
  const members = [{ label: 'r', weight: 1, run: { ...asRun(model), config: { model: 'resunet', modelOptions: { startFilters: 2 } } as TrainConfig } }];
  const o = { batchSize: 4, tta: false };
  // Stand-ins for onnxruntime, one far slower and one far faster than libtorch on 4 tiny tiles.
  let calls = 0;
  const engine = (ms: number) => ({ tiles: async () => { calls++; await new Promise((r) => setTimeout(r, ms)); return { probs: new Float32Array(0), salt: null }; } });
  const dir = mkdtempSync(join(tmpdir(), 'halite-engine-choice-'));
  const slow = await chooseEngine(members, o, engine(300), 'test', join(dir, 'a.json'));
  assert.equal(slow.engine, 'libtorch');
  assert.ok(slow.libtorch_tiles_s > slow.onnxruntime_tiles_s && slow.onnxruntime_tiles_s > 0 && !slow.cached);
  assert.equal(calls, 4, 'a warm-up pass and three timed passes');
  const fast = await chooseEngine(members, o, engine(0), 'test', join(dir, 'b.json'));
  assert.equal(fast.engine, 'onnxruntime');
  // Remembered under the key of this machine, libraries, ensemble, batch and TTA: no pass the second time.
  calls = 0;
  const again = await chooseEngine(members, o, engine(0), 'test', join(dir, 'a.json'));
  assert.deepEqual({ ...again, cached: false }, slow);
  assert.ok(again.cached && calls === 0);
  const saved = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(saved), [engineKey(members, o, 'test')]);
  // Another batch size is another key, measured and added beside the first.
  await chooseEngine(members, { ...o, batchSize: 2 }, engine(300), 'test', join(dir, 'a.json'));
  assert.equal(Object.keys(JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'))).length, 2);
  // A cache that cannot be written (its folder is a file) costs the memory, not the prediction.
  const unwritable = await chooseEngine(members, o, engine(300), 'test', join(dir, 'a.json', 'engines.json'));
  assert.equal(unwritable.engine, 'libtorch');
  assert.match(unwritable.unsaved ?? '', /a\.json is not a folder/);
  // Under /proc no folder can be made: said at once (Node's recursive mkdirSync never returns there).
  const proc = await chooseEngine(members, o, engine(300), 'test', '/proc/halite-no/halite/engines.json');
  assert.match(proc.unsaved ?? '', /cannot create the folder \/proc\/halite-no: \/proc takes no new files or folders/);
  // A corrupt cache is measured over and replaced, and the choice says so.
  writeFileSync(join(dir, 'bad.json'), '{"half');
  const over = await chooseEngine(members, o, engine(0), 'test', join(dir, 'bad.json'));
  assert.equal(over.engine, 'onnxruntime');
  assert.match(over.replaced ?? '', /JSON/);
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(dir, 'bad.json'), 'utf8'))), [engineKey(members, o, 'test')]);
  model.dispose();
});

test('a run loaded fused (folded BatchNorms, sub-pixel transposed convolutions) exports as trained and stays fused', async () => {
  const { fuseForInference } = await import('../src/infer/fuse.js');
  const tiles = await tilesPromise;
  manualSeed(11);
  const model = createModel('resunet', { startFilters: 4 });
  perturbBatchNorms(model);
  const fused = fuseForInference(model, { channelsLast: true });
  assert.ok(fused.folded > 0 && fused.subPixel > 0, JSON.stringify(fused));
  const before = predictTiles(model, tiles, { tta: true });
  const runner = new OnnxRunner({ ...asRun(model), fused }, 2);
  try {
    const d = maxDiff(before.probs, (await runner.predictTiles(tiles, { tta: true })).probs);
    assert.ok(d <= TOL, `onnxruntime differs by ${d}`);
  } finally {
    await runner.release();
  }
  // Fused again after the trace: the same probabilities, bit for bit.
  assert.deepEqual(predictTiles(model, tiles, { tta: true }).probs, before.probs);
  model.dispose();
});
