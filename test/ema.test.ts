// The exponential moving average of the weights: hand-computed averages on one BatchNorm layer, and a
// run trained with it, uninterrupted and stopped then resumed, whose saved averages agree exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSynth } from '../src/data/synth/generate.js';
import { loadSafetensors } from '../src/io/safetensors.js';
import { BatchNorm2d } from '../src/nn/layers.js';
import { resolveConfig } from '../src/run/config.js';
import { fromArray, noGrad, tensor } from '../src/torch/index.js';
import { ModelEma } from '../src/train/ema.js';
import { train } from '../src/train/trainer.js';

const root = mkdtempSync(join(tmpdir(), 'halite-ema-'));

test('ModelEma averages parameters and BatchNorm statistics per update, copies the batch count, and swaps in and out', () => {
  const bn = new BatchNorm2d(2);
  const set = (w: number[], mean: number[], n: number) => noGrad(() => {
    bn.weight!.copy_(tensor(w));
    bn.runningMean!.copy_(tensor(mean));
    bn.numBatchesTracked!.copy_(fromArray(new BigInt64Array([BigInt(n)]), []));
  });
  set([1, 2], [0, 0], 0);
  const ema = new ModelEma(bn, 0.75);
  const avg = (k: string) => [...ema.shadow.get(k)!.toArray()].map(Number);
  set([3, 6], [4, -4], 5);
  ema.update(bn);
  assert.deepEqual(avg('weight'), [1.5, 3], '0.75 · [1, 2] + 0.25 · [3, 6]');
  assert.deepEqual(avg('running_mean'), [1, -1]);
  assert.deepEqual(avg('num_batches_tracked'), [5]);
  set([5, 10], [4, -4], 9);
  ema.update(bn);
  assert.deepEqual(avg('weight'), [2.375, 4.75], '0.75 · [1.5, 3] + 0.25 · [5, 10]');
  assert.deepEqual(avg('running_var'), [1, 1]);
  ema.swap(bn);
  assert.deepEqual([...bn.weight!.toArray()], [2.375, 4.75]);
  assert.deepEqual(avg('weight'), [5, 10]);
  ema.swap(bn);
  assert.deepEqual([...bn.weight!.toArray()], [5, 10]);
  assert.equal(bn.weight!.requiresGrad, true, 'the parameter stays a trainable leaf');
  assert.throws(() => new ModelEma(bn, 1), /EMA decay must be in \(0, 1\), got 1/);
  assert.throws(() => resolveConfig([{ ema: { decay: 0 } }], 'f.json'), /f\.json\.ema\.decay: must be in \(0, 1\)/);
  ema.dispose();
});

test('a run with an EMA validates and saves the average, and a resumed run continues the same average', async () => {
  const data = join(root, 'data');
  writeSynth({ out: data, train: 40, test: 2, seed: 7 });
  const config = (name: string) => resolveConfig([{ data, runsDir: join(root, 'runs'), name, model: 'resunet', modelOptions: { startFilters: 2 }, batchSize: 16,
    valFraction: 0.25, threads: 2, phases: [{ loss: 'bce', epochs: 2 }, { loss: 'lovasz', epochs: 1, lr: 5e-4, snapshots: 1 }], ema: { decay: 0.9 },
    sweep: { from: 0.4, to: 0.6, steps: 3 } }]);
  const whole = await train(config('whole'), { log: () => {} });
  const part = await train(config('part'), { log: () => {}, stopAfterEpochs: 1 });
  const resumed = await train({ resume: part.run }, { log: () => {} });
  assert.equal(resumed.stopped, 'finished');
  for (const f of ['snapshot-e3.safetensors', 'best.safetensors']) {
    const a = loadSafetensors(join(whole.run, f)).tensors, b = loadSafetensors(join(resumed.run, f)).tensors;
    for (const [k, t] of a) assert.deepEqual(b.get(k)!.toArray(), t.toArray(), `${f} ${k}: the resumed run's average`);
  }
  // The last epoch's snapshot is the average the checkpoint keeps, not the raw weights it trains on.
  const snap = loadSafetensors(join(whole.run, 'snapshot-e3.safetensors')).tensors;
  const ckpt = loadSafetensors(join(whole.run, 'last.ckpt.safetensors')).tensors;
  let differs = 0;
  for (const [k, t] of snap) {
    assert.deepEqual(ckpt.get(`extra.ema.${k}`)!.toArray(), t.toArray(), k);
    if (t.dtype === 'float32' && String(ckpt.get(`model.${k}`)!.toArray()) !== String(t.toArray())) differs++;
  }
  assert.ok(differs > 0, 'the raw weights differ from their average');
  assert.match(readFileSync(join(whole.run, 'config.json'), 'utf8'), /"decay": 0\.9/);
});
