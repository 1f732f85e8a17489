// Each training callback on its own, against a hand-made context: what it does at its hooks, and that
// its state, saved as JSON and loaded into a fresh instance (as a resume does), carries on exactly as
// the uninterrupted instance would. Then a user's own callback through train(), across a resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSynth } from '../src/data/synth/generate.js';
import { loadSafetensors } from '../src/io/safetensors.js';
import { createModel } from '../src/models/registry.js';
import { resolveConfig, type TrainConfig } from '../src/run/config.js';
import { readHistory, type EpochRecord } from '../src/run/history.js';
import { readProgressText } from '../src/run/progress.js';
import { readStatus } from '../src/run/status.js';
import {
  BestCheckpoint, defaultCallbacks, EarlyStopping, HistoryLog, LambdaCallback, ProgressReporter, ReduceLROnPlateau, Snapshots,
  StatusFile, StopOnNaN, StopOnSignal, TimeBudget, TuneAfterFit, type Callback, type LoopState, type TrainContext,
} from '../src/train/callbacks/index.js';
import { restoreLoop } from '../src/train/loop-state.js';
import { train } from '../src/train/trainer.js';

const root = mkdtempSync(join(tmpdir(), 'halite-callbacks-'));
let runs = 0;

/** A context over a fresh run folder; `calls` records what callbacks asked of the loop. */
function context(over: { config?: Partial<TrainConfig>; state?: Partial<LoopState>; final?: boolean } = {}) {
  const run = join(root, `run-${runs++}`);
  mkdirSync(run);
  const config = resolveConfig([{
    data: root, model: 'resunet', modelOptions: { startFilters: 2 },
    phases: [{ loss: 'bce', epochs: 4 }, { loss: 'lovasz', epochs: 3, snapshots: 2 }, { loss: 'bce', epochs: 4, schedule: { name: 'cosine', cycles: 2 } }],
    ...over.config,
  }]);
  const calls = { stop: [] as string[], endPhase: 0, logs: [] as string[] };
  const optimizer = { lr: 0.1 };
  const state: LoopState = { phase: 0, epochInPhase: 0, epoch: 0, batch: 0, lossSum: 0, lossCount: 0, seconds: 0, epochSeconds: 0, ...over.state };
  const ctx = {
    run, config, model: createModel('resunet', { startFilters: 2 }), optimizer, state, totalEpochs: 11, batchesPerEpoch: 4,
    val: { images: new Float32Array(0), masks: new Uint8Array(0) },
    log: (l: string) => calls.logs.push(l),
    stop: (r: string, s?: string) => { calls.stop.push(s ? `${r}:${s}` : r); },
    endPhase: () => { calls.endPhase++; },
    finalEpoch: () => over.final ?? false,
  } as unknown as TrainContext & { state: LoopState; optimizer: { lr: number } };
  return { ctx, calls, run };
}

const rec = (epoch: number, phase: number, val_map: number, seconds = 10): EpochRecord =>
  ({ epoch, phase, loss: 'bce', train_loss: 1, val_loss: 1, val_map, lr: 0.1, seconds, best: false });

/** A callback's state as a checkpoint carries it: through JSON. */
function resumed<C extends Callback>(from: C, fresh: C): C {
  fresh.loadStateDict!(JSON.parse(JSON.stringify(from.stateDict!())));
  return fresh;
}

test('BestCheckpoint marks and saves only new bests, and a resumed one keeps the bar', () => {
  const { ctx, run } = context();
  const cb = new BestCheckpoint();
  const marks = [0.5, 0.4, 0.6].map((m, i) => { const r = rec(i + 1, 1, m); cb.onEpochEnd(ctx, r); return r.best; });
  assert.deepEqual(marks, [true, false, true]);
  assert.equal(loadSafetensors(join(run, 'best.safetensors')).metadata.epoch, '3');
  // A fresh instance (its best is -Infinity, written to JSON as null) restored from the first.
  assert.equal(resumed(new BestCheckpoint(), new BestCheckpoint()).best, -Infinity);
  const again = resumed(cb, new BestCheckpoint());
  const r4 = rec(4, 1, 0.55), r5 = rec(5, 1, 0.7);
  again.onEpochEnd(ctx, r4);
  again.onEpochEnd(ctx, r5);
  assert.deepEqual([r4.best, r5.best, again.bestEpoch], [false, true, 5]);
  assert.equal(loadSafetensors(join(run, 'best.safetensors')).metadata.val_map, '0.7');
});

test('EarlyStopping ends a phase after patience epochs without a best, counts per phase, and resumes its count', () => {
  const { ctx, calls } = context({ config: { earlyStopping: { patience: 2 } } });
  const cb = new EarlyStopping(2);
  const feed = (c: EarlyStopping, phase: number, best: boolean) => { const r = rec(1, phase, 0); r.best = best; c.onEpochEnd(ctx, r); };
  feed(cb, 1, true);
  feed(cb, 1, false);
  const again = resumed(cb, new EarlyStopping(2));
  feed(again, 1, false);
  assert.equal(calls.endPhase, 0, 'two bad epochs are within patience 2');
  feed(again, 1, false);
  assert.equal(calls.endPhase, 1);
  assert.match(calls.logs[0]!, /early stopping phase 1: no improvement for 2 epochs/);
  feed(again, 2, false);
  assert.equal(again.badEpochs, 1, 'a new phase starts counting afresh');
});

test('ReduceLROnPlateau halves the rate after patience flat epochs, as PyTorch in max mode, skips cosine phases and resumes', () => {
  const run = (cut: number | null) => {
    const { ctx } = context();
    let cb = new ReduceLROnPlateau({ factor: 0.5, patience: 1, minLr: 0.01 });
    const lrs: number[] = [];
    [0.5, 0.5, 0.5, 0.5, 0.6, 0.6, 0.6].forEach((m, i) => {
      if (i === cut) cb = resumed(cb, new ReduceLROnPlateau({ factor: 0.5, patience: 1, minLr: 0.01 }));
      cb.onEpochEnd(ctx, rec(i + 1, 1, m));
      lrs.push(ctx.optimizer.lr);
    });
    return { lrs, ctx, cb };
  };
  // PyTorch: bad epochs > patience (1) reduces and resets the count: epochs 3 and 5... of a flat metric.
  const { lrs, ctx, cb } = run(null);
  assert.deepEqual(lrs, [0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025]);
  assert.deepEqual(run(2).lrs, lrs);
  assert.deepEqual(run(5).lrs, lrs);
  cb.onEpochEnd(ctx, rec(20, 3, 0.1));
  cb.onEpochEnd(ctx, rec(21, 3, 0.1));
  cb.onEpochEnd(ctx, rec(22, 3, 0.1));
  assert.equal(ctx.optimizer.lr, 0.025, 'no plateau steps in a cosine phase');
});

test('TimeBudget stops when another epoch like the last would overrun, never after the final epoch', () => {
  const within = context({ state: { seconds: 30 } });
  new TimeBudget(1).onEpochEnd(within.ctx, rec(1, 1, 0, 20));
  assert.deepEqual(within.calls.stop, [], '30 s spent + 20 s next <= 60 s');
  const over = context({ state: { seconds: 45 } });
  new TimeBudget(1).onEpochEnd(over.ctx, rec(1, 1, 0, 20));
  assert.deepEqual(over.calls.stop, ['time']);
  assert.match(over.calls.logs[0]!, /^time budget: 0\.8 of 1 minutes used; another epoch \(about 20 s\) would overrun it$/);
  // 70 s spent on a 1-minute budget in the first epoch: the budget was shorter than it.
  const short = context({ state: { seconds: 70, epoch: 1 } });
  new TimeBudget(1).onEpochEnd(short.ctx, rec(1, 1, 0, 70));
  assert.equal(short.calls.logs[0], 'time budget: 1.2 of 1 minutes used; another epoch (about 70 s) would overrun it; the budget is shorter than one epoch here, which ran 10 s past it');
  const last = context({ state: { seconds: 45 }, final: true });
  new TimeBudget(1).onEpochEnd(last.ctx, rec(1, 1, 0, 20));
  assert.deepEqual(last.calls.stop, []);
});

test('StopOnNaN passes finite losses and names loss, epoch, batch and learning rate otherwise', () => {
  const { ctx } = context({ state: { phase: 1, epoch: 6 } });
  new StopOnNaN().onBatchEnd(ctx, 3, 0.7);
  assert.throws(() => new StopOnNaN().onBatchEnd(ctx, 3, Number.POSITIVE_INFINITY),
    /the lovasz loss became Infinity at epoch 7, batch 3; training stopped\. No checkpoint was written yet; lower the learning rate \(now 0\.1\)/);
});

test('Snapshots saves at warm-restart cycle ends and the phase\'s last N epochs', () => {
  const saved = (phase: number, doneInPhase: number, epoch: number) => {
    const { ctx, run } = context({ state: { epochInPhase: doneInPhase } });
    new Snapshots().onEpochEnd(ctx, rec(epoch, phase, 0.5));
    return existsSync(join(run, `snapshot-e${epoch}.safetensors`));
  };
  // Phase 1: 4 epochs, no snapshots; phase 2: 3 epochs, the last 2; phase 3: 4 epochs in 2 cycles.
  assert.deepEqual([1, 2, 3, 4].map((d) => saved(1, d, d)), [false, false, false, false]);
  assert.deepEqual([1, 2, 3].map((d) => saved(2, d, 4 + d)), [false, true, true]);
  assert.deepEqual([1, 2, 3, 4].map((d) => saved(3, d, 7 + d)), [false, true, false, true]);
});

test('HistoryLog appends one line per epoch that readHistory returns, and prints it', () => {
  const { ctx, calls, run } = context();
  const h = new HistoryLog();
  const r1 = { ...rec(1, 1, 0.25), best: true }, r2 = rec(2, 1, 0.125);
  h.onEpochEnd(ctx, r1);
  h.onEpochEnd(ctx, r2);
  assert.deepEqual(readHistory(run), [r1, r2]);
  assert.match(calls.logs[0]!, /^epoch 1\/11 \[bce\] train loss 1\.0000 {2}val loss 1\.0000 {2}val mAP 0\.2500 \* {2}lr 1\.00e-1 {2}10\.0 s$/);
  // A resume from the checkpoint of epoch 1 (the process died after appending epoch 2) drops epoch 2.
  const resumedCtx = { ...ctx, state: { ...ctx.state, epoch: 1 } } as TrainContext;
  h.onTrainStart(resumedCtx);
  assert.deepEqual(readHistory(run), [r1]);
  assert.match(calls.logs.at(-1)!, /history\.jsonl: dropped 1 record\(s\) of epochs after the checkpoint \(epoch 1\)/);
});

test('StatusFile writes running with the pid, then how training ended or why it failed', () => {
  const { ctx, run } = context();
  const s = new StatusFile();
  s.onTrainStart(ctx);
  assert.deepEqual(readStatus(run), { state: 'running', pid: process.pid });
  s.onTrainEnd(ctx, { stopped: 'time', threshold: 0.5, thresholdScore: 0 });
  assert.deepEqual(readStatus(run), { state: 'time' });
  s.onTrainEnd(ctx, { stopped: 'finished', threshold: 0.5, thresholdScore: 0, error: new Error('disk\nfull') });
  assert.equal(readFileSync(join(run, 'status'), 'utf8'), 'failed: disk full\n');
});

test('StopOnSignal turns SIGINT into an interrupt request and removes its handlers at the end', () => {
  const { ctx, calls } = context();
  const before = process.listenerCount('SIGINT');
  const s = new StopOnSignal();
  s.onTrainStart(ctx);
  process.emit('SIGINT');
  assert.deepEqual(calls.stop, ['interrupted:SIGINT']);
  s.onTrainEnd();
  assert.equal(process.listenerCount('SIGINT'), before);
});

test('TuneAfterFit leaves interrupted or failed runs untuned', () => {
  const { ctx, run } = context();
  const t = new TuneAfterFit(new BestCheckpoint());
  const o = { stopped: 'interrupted' as const, threshold: 0.5, thresholdScore: 0.1 };
  t.onTrainEnd(ctx, o);
  t.onTrainEnd(ctx, { stopped: 'finished', threshold: 0.5, thresholdScore: 0.1, error: new Error('x') });
  assert.equal(existsSync(join(run, 'threshold.json')), false);
  assert.equal(o.threshold, 0.5);
});

test('ProgressReporter writes progress.json with the epoch, batch and mean loss; LambdaCallback stops after N epochs', () => {
  const { ctx, run, calls } = context({ state: { epoch: 2, lossSum: 3, lossCount: 4 } });
  const p = new ProgressReporter();
  p.onEpochStart(ctx);
  p.onBatchEnd(ctx, 1);
  const snap = JSON.parse(readProgressText(run)!);
  assert.deepEqual([snap.epoch, snap.epochs, snap.batch, snap.batches, snap.loss, snap.lr], [3, 11, 1, 4, 0.75, 0.1]);
  new LambdaCallback({ stopAfterEpochs: 2 }).onEpochEnd(ctx, rec(2, 1, 0));
  assert.deepEqual(calls.stop, ['limit']);
});

test('ProgressReporter without a terminal says a line every 30 s of an epoch (rate and time to go from this start), none at its end', () => {
  const { ctx } = context({ state: { epoch: 0, batch: 1, lossSum: 2, lossCount: 4 } });
  Object.assign(ctx, { worldSize: 1 });
  const lines: string[] = [];
  let t = 1000;
  const p = new ProgressReporter({ now: () => t, lines: (l) => lines.push(l) });
  // A resumed epoch: batch 1 was done before this start, so the rate counts batches 2.. only.
  p.onEpochStart(ctx);
  t += 29_000;
  p.onBatchEnd(ctx, 2);
  assert.deepEqual(lines, [], 'quiet before 30 s');
  t += 1_000;
  p.onBatchEnd(ctx, 3);
  // 2 batches of batchSize images in 30 s; 1 batch left.
  const b = ctx.config.batchSize, rate = (2 * b) / 30;
  assert.deepEqual(lines, [`epoch 1/11: 3/4 batches, loss 0.5000, ${rate.toFixed(1)} img/s, ${Math.round(b / rate)} s to go`]);
  t += 40_000;
  p.onBatchEnd(ctx, 4);
  assert.equal(lines.length, 1, 'the epoch line follows its last batch: no progress line for it');
});

test('defaultCallbacks orders the bookkeeping and refuses two callbacks of one name', () => {
  const c = context({ config: { maxMinutes: 5 } }).ctx.config;
  const names = defaultCallbacks(c).callbacks.map((cb) => cb.name);
  const at = (n: string) => names.indexOf(n);
  assert.ok(at('bestCheckpoint') < at('historyLog') && at('historyLog') < at('earlyStopping') && at('earlyStopping') < at('timeBudget'), names.join(','));
  assert.ok(at('tuneAfterFit') < at('statusFile') && at('statusFile') === names.length - 1, names.join(','));
  assert.throws(() => defaultCallbacks(c, [{ name: 'historyLog' }]), /two training callbacks are named 'historyLog'; .* give yours another/);
});

test('a user callback passed to train() sees every epoch and keeps its state across a resume', async () => {
  const data = join(root, 'data');
  writeSynth({ out: data, train: 40, test: 2, seed: 3 });
  class CountEpochs implements Callback {
    readonly name = 'countEpochs';
    seen: number[] = [];
    onEpochEnd(_: TrainContext, r: EpochRecord): void { this.seen.push(r.epoch); }
    stateDict() { return { seen: this.seen }; }
    loadStateDict(s: unknown) { this.seen = [...(s as { seen: number[] }).seen]; }
  }
  const first = new CountEpochs(), second = new CountEpochs();
  const c = resolveConfig([{ data, runsDir: join(root, 'runs'), name: 'user-cb', model: 'resunet', modelOptions: { startFilters: 2 }, batchSize: 16,
    valFraction: 0.25, threads: 2, phases: [{ loss: 'bce', epochs: 3 }], sweep: { from: 0.4, to: 0.6, steps: 3 } }]);
  const part = await train(c, { log: () => {}, stopAfterEpochs: 2, callbacks: [first] });
  assert.equal(part.stopped, 'limit');
  assert.deepEqual(first.seen, [1, 2]);
  const done = await train({ resume: part.run }, { log: () => {}, callbacks: [second] });
  assert.equal(done.stopped, 'finished');
  assert.deepEqual(second.seen, [1, 2, 3], 'the resumed instance starts from the saved state');
  await assert.rejects(train({ resume: part.run }, { log: () => {}, callbacks: [{ name: 'historyLog' }] }), /two training callbacks are named 'historyLog'/);
  assert.equal(existsSync(join(part.run, 'lock')), false, 'a run that fails to start releases its lock');
});

test('a checkpoint from before callbacks (one flat state) restores the loop and each callback\'s part', () => {
  const best = new BestCheckpoint(), early = new EarlyStopping(3), plateau = new ReduceLROnPlateau({ factor: 0.5, patience: 0, minLr: 0 });
  const flat = { phase: 1, epochInPhase: 2, epoch: 5, batch: 0, lossSum: 0, lossCount: 0, seconds: 80.5, lr: 5e-4,
    best: 0.61, bestEpoch: 4, badEpochs: 1, plateau: { best: 0.61, badEpochs: 0, cooldownLeft: 0 } };
  const loop = restoreLoop(JSON.parse(JSON.stringify(flat)), [best, early, plateau]);
  assert.deepEqual(loop, { phase: 1, epochInPhase: 2, epoch: 5, batch: 0, lossSum: 0, lossCount: 0, seconds: 80.5, epochSeconds: 0 });
  assert.deepEqual([best.best, best.bestEpoch], [0.61, 4]);
  assert.deepEqual(early.stateDict(), { phase: 2, badEpochs: 1 });
  // The restored plateau state belongs to phase 2: one more flat epoch with patience 0 halves the rate.
  const { ctx } = context();
  plateau.onEpochEnd(ctx, rec(6, 2, 0.6));
  assert.equal(ctx.optimizer.lr, 0.05);
});
