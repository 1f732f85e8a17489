// The exponential moving average of the weights: hand-computed bias-corrected averages on one BatchNorm layer, and a
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
import { EmaWeights, type TrainContext } from '../src/train/callbacks/index.js';
import { preset } from '../src/train/presets.js';
import { train } from '../src/train/trainer.js';

const root = mkdtempSync(join(tmpdir(), 'halite-ema-'));

test('ModelEma keeps the bias-corrected average of parameters and BatchNorm statistics, copies the batch count, and swaps in and out', () => {
  const bn = new BatchNorm2d(2);
  const set = (w: number[], mean: number[], n: number) => noGrad(() => {
    bn.weight!.copy_(tensor(w));
    bn.runningMean!.copy_(tensor(mean));
    bn.numBatchesTracked!.copy_(fromArray(new BigInt64Array([BigInt(n)]), []));
  });
  set([1, 2], [0, 0], 0);
  const ema = new ModelEma(bn, 0.75);
  const avg = (k: string) => [...ema.shadow.get(k)!.toArray()].map(Number);
  const near = (a: number[], b: number[], what: string) => assert.ok(a.every((x, i) => Math.abs(x - b[i]!) < 1e-6), `${what}: ${a}, expected ${b}`);
  // Step s's weights count 0.75^(t − s), over the sum of those weights; the initial [1, 2] count nothing.
  set([3, 6], [4, -4], 5);
  ema.update(bn);
  assert.deepEqual(avg('weight'), [3, 6], 'the first step is the weights themselves');
  assert.deepEqual(avg('running_mean'), [4, -4]);
  assert.deepEqual(avg('num_batches_tracked'), [5]);
  set([5, 10], [4, -4], 9);
  ema.update(bn);
  near(avg('weight'), [(0.75 * 3 + 5) / 1.75, (0.75 * 6 + 10) / 1.75], 'step 2');
  assert.deepEqual(avg('num_batches_tracked'), [9]);
  set([7, 14], [0, 0], 10);
  ema.update(bn);
  near(avg('weight'), [(0.5625 * 3 + 0.75 * 5 + 7) / 2.3125, (0.5625 * 6 + 0.75 * 10 + 14) / 2.3125], 'step 3');
  near(avg('running_mean'), [(0.5625 * 4 + 0.75 * 4) / 2.3125, (0.5625 * -4 + 0.75 * -4) / 2.3125], 'step 3 running mean');
  assert.deepEqual(avg('running_var'), [1, 1]);
  assert.equal(ema.steps, 3);
  const averaged = avg('weight');
  ema.swap(bn);
  assert.deepEqual([...bn.weight!.toArray()], averaged);
  assert.deepEqual(avg('weight'), [7, 14]);
  ema.swap(bn);
  assert.deepEqual([...bn.weight!.toArray()], [7, 14]);
  assert.equal(bn.weight!.requiresGrad, true, 'the parameter stays a trainable leaf');
  // Long past the start the rate is the decay itself: one more step from a count of 10^6.
  ema.steps = 1e6;
  set([11, 22], [0, 0], 11);
  ema.update(bn);
  near(avg('weight'), [0.75 * averaged[0]! + 0.25 * 11, 0.75 * averaged[1]! + 0.25 * 22], 'the plain EMA');
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

test('a budget that fits fewer than six of the EMA\'s horizons is warned about after the first epoch; "ema": null turns a preset\'s EMA off', () => {
  const logs: string[] = [];
  const ctx = (minutes: number) => ({ config: { maxMinutes: minutes }, state: { epoch: 1 }, batchesPerEpoch: 169, log: (l: string) => logs.push(l) }) as unknown as TrainContext;
  const epoch = { epoch: 1, phase: 1, loss: 'bce', train_loss: 1, val_loss: null, val_map: null, lr: 1e-3, seconds: 100, best: false };
  // decay 0.998: a horizon of 1/(1 − 0.998) = 500 steps. 2 minutes at 100 s an epoch fit 1 epoch of 169 steps.
  new EmaWeights(0.998).onEpochEnd(ctx(2), epoch);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /^warning: the EMA of the weights \(decay 0\.998\) averages over about 500 steps, and this 2-minute budget fits about 169; .*put "ema": null in a --config file$/);
  // 150 minutes fit 90 epochs, 15,210 steps, over 3,000: no warning; nor without a budget.
  new EmaWeights(0.998).onEpochEnd(ctx(150), epoch);
  new EmaWeights(0.998).onEpochEnd({ ...ctx(1), config: {} } as unknown as TrainContext, epoch);
  assert.equal(logs.length, 1);
  assert.deepEqual(resolveConfig([preset('cpu-150min').config]).ema, { decay: 0.998 });
  assert.equal(resolveConfig([preset('cpu-150min').config, { ema: null }]).ema, null);
  assert.throws(() => resolveConfig([{ ema: { decay: 1 } }]), /ema\.decay: must be in \(0, 1\), e\.g\. 0\.999 .*or set ema to null/);
});
