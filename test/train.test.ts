// Training end to end on tiny synthetic data: the loss falls, resume equals an uninterrupted run
// (at an epoch boundary and mid-epoch after Ctrl-C), NaN stops cleanly, configs are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '../src/torch/index.js';
import * as nn from '../src/nn/index.js';
import { writeSynth } from '../src/data/synth/generate.js';
import { resolveConfig, type TrainConfig } from '../src/run/config.js';
import { splitIndices } from '../src/data/split.js';
import { train } from '../src/train/trainer.js';
import { readTgs } from '../src/data/tgs.js';
import { registerModel } from '../src/models/registry.js';
import { loadSafetensors } from '../src/io/safetensors.js';
import { halite } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'halite-train-'));
const data = join(root, 'data');
writeSynth({ out: data, train: 80, test: 4, seed: 5 });
const quiet = { log: () => {} };

function config(name: string, over: Partial<TrainConfig> = {}): TrainConfig {
  return resolveConfig([{
    data, runsDir: join(root, 'runs'), name, model: 'resunet', modelOptions: { startFilters: 4 }, batchSize: 16, valFraction: 0.25,
    seed: 1, threads: 2, phases: [{ loss: 'bce', epochs: 2 }], augmentations: [{ type: 'hflip', p: 0.5 }, { type: 'brightness', limit: 0.05 }],
    sweep: { from: 0.3, to: 0.7, steps: 5 }, ...over,
  }]);
}

const history = (run: string) => readFileSync(join(run, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const weights = (run: string) => loadSafetensors(join(run, 'last.ckpt.safetensors')).tensors;

function sameWeights(a: string, b: string): void {
  const wa = weights(a), wb = weights(b);
  for (const [k, t] of wa) if (k.startsWith('model.') || k.startsWith('optim.')) assert.ok(t.allclose(wb.get(k)!, 1e-5, 1e-6), `${k} differs`);
}

test('a 2-epoch run lowers the training loss and fills the run directory', async () => {
  const r = await train(config('plain'), quiet);
  assert.equal(r.stopped, 'finished');
  const h = history(r.run);
  assert.equal(h.length, 2);
  assert.ok(h[1].train_loss < h[0].train_loss, `train loss ${h[0].train_loss} -> ${h[1].train_loss}`);
  for (const f of ['config.json', 'history.jsonl', 'best.safetensors', 'last.ckpt.safetensors', 'threshold.json']) assert.ok(existsSync(join(r.run, f)), f);
  const th = JSON.parse(readFileSync(join(r.run, 'threshold.json'), 'utf8'));
  assert.equal(th.points.length, 5);
  assert.equal(th.threshold, r.threshold);
  // Scored on tiles not tuned on too: each half with the post-processing tuned on the other half.
  assert.ok(th.crossFitScore >= 0 && th.crossFitScore <= 1, `crossFitScore ${th.crossFitScore}`);
  assert.ok(th.crossFitSpread >= 0 && th.crossFitSpread < 0.5, `crossFitSpread ${th.crossFitSpread}`);
  assert.ok(h.every((e) => typeof e.val_map === 'number' && typeof e.lr === 'number' && e.seconds > 0));
});

test('bf16 training lowers the loss and keeps fp32 weights', async () => {
  const r = await train(config('bf16', { precision: 'bf16' }), quiet);
  const h = history(r.run);
  assert.ok(h[1].train_loss < h[0].train_loss, `train loss ${h[0].train_loss} -> ${h[1].train_loss}`);
  for (const [k, t] of weights(r.run)) if (k.startsWith('model.') && !k.endsWith('num_batches_tracked')) assert.equal(t.dtype, 'float32', k);
});

test('resume at an epoch boundary, across a phase change, equals the uninterrupted run', async () => {
  const phases = [{ loss: 'bce', epochs: 1 }, { loss: { name: 'lovasz' as const, activation: 'elu' as const }, epochs: 1, lr: 5e-4 }];
  const full = await train(config('full', { phases }), quiet);
  const part = await train(config('part', { phases }), { ...quiet, stopAfterEpochs: 1 });
  assert.equal(part.stopped, 'limit');
  const resumed = await train({ resume: part.run }, quiet);
  assert.equal(resumed.stopped, 'finished');
  sameWeights(full.run, part.run);
  assert.deepEqual(history(part.run).map((e) => e.val_map), history(full.run).map((e) => e.val_map));
  assert.equal(history(part.run)[1].lr, 5e-4, 'the Lovász phase restarts at its own learning rate');
});

test('a cosine phase anneals per batch from its own learning rate to minLr, and resume recomputes it', async () => {
  const phases = [{ loss: 'bce', epochs: 2, lr: 2e-3, schedule: { name: 'cosine' as const, minLr: 1e-4 } }];
  const full = await train(config('cos', { phases }), quiet);
  // 60 training tiles in batches of 16: 4 batches; the last batch of epoch e sits at (e - 1 + 3/4) of 2 epochs.
  const at = (t: number) => 1e-4 + ((2e-3 - 1e-4) * (1 + Math.cos((Math.PI * t) / 2))) / 2;
  const lrs = history(full.run).map((e) => e.lr);
  assert.ok(Math.abs(lrs[0] - at(0.75)) < 1e-12 && Math.abs(lrs[1] - at(1.75)) < 1e-12, `lr ${lrs} vs ${at(0.75)}, ${at(1.75)}`);
  const part = await train(config('cos-part', { phases }), { ...quiet, stopAfterEpochs: 1 });
  await train({ resume: part.run }, quiet);
  sameWeights(full.run, part.run);
  assert.throws(() => resolveConfig([{ phases: [{ loss: 'bce', epochs: 3, schedule: { name: 'cosine', cycles: 2 } }] }]), /phases\[0\]\.schedule\.cycles: must be a positive integer dividing the phase's 3 epochs/);
});

test('Ctrl-C mid-epoch writes a checkpoint, and resuming it equals the uninterrupted run', async () => {
  const full = await train(config('full2'), quiet);
  const cut = await train(config('cut'), { ...quiet, onBatch: (epoch, batch) => { if (epoch === 1 && batch === 2) process.emit('SIGINT'); } });
  assert.equal(cut.stopped, 'interrupted');
  assert.ok(existsSync(join(cut.run, 'last.ckpt.safetensors')));
  await train({ resume: cut.run }, quiet);
  sameWeights(full.run, cut.run);
});

test('a NaN loss stops training with a clear message', async () => {
  class NanNet extends nn.Module {
    private readonly c = this.module('c', new nn.Conv2d(1, 1, 1));
    forward(x: T.Tensor): T.Tensor { return this.c.forward(x).mul(Number.NaN); }
  }
  registerModel('nan-test', { description: 'test only', defaults: {}, build: () => new NanNet() });
  await assert.rejects(train(config('nan', { model: 'nan-test', modelOptions: {} }), quiet),
    /the bce loss became NaN at epoch 1, batch 1; training stopped\. No checkpoint was written yet; lower the learning rate/);
});

test('a phase on crops trains resunet on crops of a side it takes, and is refused before any run folder otherwise', async () => {
  const bce = (crop: number) => [{ loss: 'bce' as const, epochs: 1, crop }];
  await assert.rejects(train(config('crop-unet', { model: 'unet', modelOptions: {}, phases: bce(69) }), quiet),
    /config\.phases\[0\]\.crop: crops need a network that works at the tiles' own resolution \(resunet\); unet resizes or pads its input/);
  await assert.rejects(train(config('crop-70', { phases: bce(70) }), quiet), /config\.phases\[0\]\.crop: resunet at depth 4 works on .*got 70x70: try 69 or 85/);
  await assert.rejects(train(config('crop-117', { phases: bce(117) }), quiet), /crop: a crop of side 117 does not fit the 101x101 tiles/);
  assert.throws(() => config('crop-0', { phases: bce(0) }), /config\.phases\[0\]\.crop: must be a whole number of pixels >= 8 .*got 0/);
  for (const n of ['crop-unet', 'crop-70', 'crop-117']) assert.equal(existsSync(join(root, 'runs', n)), false, `${n} left a run folder`);
  const r = await train(config('crop-69', { phases: bce(69) }), quiet);
  assert.equal(r.epochs, 1);
  const [h] = history(r.run);
  assert.ok(Number.isFinite(h.train_loss) && h.val_map !== null, 'trained on crops, validated on whole tiles');
});

test('splitSeed keeps the validation tiles of another seed while seed varies the rest', async () => {
  const d = await readTgs(data, { test: false });
  const split = (over: Partial<TrainConfig>) => splitIndices(d, config('split', over));
  const base = split({ seed: 1 });
  assert.notDeepEqual(split({ seed: 2 }).val, base.val);
  assert.deepEqual(split({ seed: 2, splitSeed: 1 }), base);
  assert.deepEqual(split({ seed: 1, splitSeed: 2 }), split({ seed: 2 }));
});

test('precision auto trains in bf16 only where the CPU has AMX, and the run keeps what it picked', async () => {
  const lines: string[] = [];
  const r = await train(config('auto', { precision: 'auto', phases: [{ loss: 'bce', epochs: 1 }] }), { log: (l) => lines.push(l) });
  // Read apart from halite's own parser: the first flags line of /proc/cpuinfo.
  const amx = /^flags\s*:.*\bamx_bf16\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  const picked = amx ? 'bf16' : 'fp32';
  assert.equal(JSON.parse(readFileSync(join(r.run, 'config.json'), 'utf8')).precision, picked);
  assert.ok(lines.some((l) => l.startsWith(`precision auto: ${picked}, this CPU has `)), lines.join('\n'));
  // The synthetic validation tiles hold salt, so the salt-free warning (fired in synth3d.test.ts) stays quiet.
  assert.ok(!lines.some((l) => /validation tiles holds salt/.test(l)), lines.join('\n'));
});

test('config errors name the field', () => {
  assert.throws(() => resolveConfig([{ batchSize: 0 }], 'cfg.json'), /cfg\.json\.batchSize: must be a positive integer, got 0/);
  assert.throws(() => resolveConfig([{ splitSeed: -1 }], 'cfg.json'), /cfg\.json\.splitSeed: must be a non-negative integer, got -1/);
  assert.throws(() => resolveConfig([{ optimizer: { name: 'lion' as 'adam', lr: 1 } }]), /config\.optimizer\.name: must be adam, adamw, sgd or rmsprop, got "lion"/);
  assert.throws(() => resolveConfig([{ phases: [{ loss: 'bce', epochs: 1.5 }] }]), /phases\[0\]\.epochs: must be a positive integer/);
  assert.throws(() => resolveConfig([{ folds: 5, fold: 7 }]), /config\.fold: must be in 0\.\.4/);
  assert.throws(() => resolveConfig([{ phases: [{ loss: 'bce', epochs: 3, snapshots: 4 }] }]), /phases\[0\]\.snapshots: must be an integer from 0 to the phase's 3 epochs, got 4/);
  assert.throws(() => resolveConfig([{ precision: 'fp16' as 'bf16' }], 'cfg.json'), /cfg\.json\.precision: must be fp32, bf16 or auto, got "fp16"/);
  assert.throws(() => resolveConfig([{ augmentations: [{ type: 'spin' }] as never }]), /augmentations\[0\]: unknown augmentation "spin"/);
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} to a running \`halite train\` writes a checkpoint, and --resume finishes the run`, async () => {
    const { spawn } = await import('node:child_process');
    const runs = join(root, 'cli-runs');
    const name = signal.toLowerCase();
    const args = ['bin/halite.js', '--threads', '2', 'train', '--data', data, '--model', 'resunet', '--model-options', '{"startFilters":4}',
      '--epochs', '2', '--losses', 'bce', '--batch-size', '8', '--val', '0.25', '--runs', runs, '--name', name];
    // Not under npx (npm_command=exec): the command to paste names halite as this test starts it.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HALITE_FROM_SOURCE: '1', npm_command: 'test' } });
    let out = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && out.includes('epoch 1/2')) { sent = true; child.kill(signal); } // one signal; a second Ctrl-C would end it at once
    });
    assert.equal(await new Promise<number | null>((r) => child.on('exit', r)), code, out);
    assert.ok(out.includes(`; continue with: node bin/halite.js train --resume ${join(runs, name)}\n`), out);
    assert.match(out, /interrupted: checkpoint written to .*last\.ckpt\.safetensors; continue with: /);
    const st = JSON.parse(loadSafetensors(join(runs, name, "last.ckpt.safetensors")).metadata.state!).loop;
    assert.equal(st.epoch, 1);
    assert.ok(st.batch >= 1, 'stopped inside epoch 2');
    const r = halite('train', '--resume', join(runs, name));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /resuming .* at epoch 2, batch \d+ \(phase 1: [^)]+\), in fp32 on cpu as its config\.json says\n/);
    assert.match(r.stdout, /finished, best val mAP/);
    assert.equal(readFileSync(join(runs, name, 'status'), 'utf8').trim(), 'finished');
  });
}
