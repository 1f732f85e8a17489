// Budget-shaped training (budget: "shape"): the planner's arithmetic, BudgetShape against a hand-made
// context, and whole runs on a fake clock (no real waiting) as a slow, a nominal and a fast machine,
// whose per-epoch learning rates are checked against cosine positions worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSynth } from '../src/data/synth/generate.js';
import { loadRun } from '../src/infer/run.js';
import { createModel } from '../src/models/registry.js';
import { readConfigFile, resolveConfig, type ConfigLayer } from '../src/run/config.js';
import { readHistory } from '../src/run/history.js';
import { budgetSegments, planEpochs } from '../src/train/budget.js';
import { preset } from '../src/train/presets.js';
import { BudgetShape, defaultCallbacks, Snapshots, type Callback, type LoopState, type TrainContext } from '../src/train/callbacks/index.js';
import { train } from '../src/train/trainer.js';
import { validatesEpoch, type EpochPosition } from '../src/train/validation-schedule.js';

const root = mkdtempSync(join(tmpdir(), 'halite-budget-'));
const data = join(root, 'data');
writeSynth({ out: data, train: 40, test: 2, seed: 5 });
// The fake-clock runs train for real; 12 training tiles in batches of 4 keep their 3 steps an epoch cheap.
const small = join(root, 'small');
writeSynth({ out: small, train: 16, test: 2, seed: 5 });

/** SGDR's cosine, written out independently of src/: lr at position v of a cycle. */
const cos = (base: number, min: number, v: number) => min + (base - min) * (1 + Math.cos(Math.PI * v)) / 2;
const near = (a: number[], b: number[], what: string) => {
  assert.equal(a.length, b.length, `${what}: ${a.length} epochs, expected ${b.length}`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-12, `${what}: epoch ${i + 1} lr ${x}, expected ${b[i]}`));
};

test('the budget is split among phases by their epochs and among cycles equally', () => {
  const g = budgetSegments([{ loss: 'bce', epochs: 3 }, { loss: 'lovasz', epochs: 6, schedule: { name: 'cosine', cycles: 2 } }]);
  assert.deepEqual(g.map((s) => [s.phase, s.cycle, +s.end.toFixed(12), s.last]), [[0, 0, 0.333333333333, false], [1, 0, 0.666666666667, false], [1, 1, 1, true]]);
  // Inner segments round to the nearest epoch; the last one rounds down and never plans fewer than one.
  assert.deepEqual([planEpochs(25, 10, false), planEpochs(24.9, 10, false), planEpochs(29.9, 10, true), planEpochs(30, 10, true), planEpochs(-5, 10, false)], [3, 2, 2, 3, 1]);
});

const PHASES: ConfigLayer['phases'] = [
  { loss: 'bce', epochs: 3, lr: 0.01, schedule: { name: 'cosine', minLr: 0.001 } },
  { loss: 'lovasz', epochs: 6, lr: 0.005, schedule: { name: 'cosine', minLr: 0.0001 } },
];

/** A run of PHASES on a 3-minute budget where every epoch takes `epochSeconds` of a fake clock (3 batches of 4 tiles). */
async function fakeRun(name: string, epochSeconds: number, o: { budget?: 'shape' | 'cut'; stopAfter?: number; extra?: ConfigLayer } = {}) {
  let ms = 0;
  const batches = new Set<number>();
  // Each batch's time is on the clock by its onBatchEnd, which BudgetShape (first) reads: the first is paid at the epoch's start.
  const tick: Callback = {
    name: 'tick',
    onEpochStart: (ctx) => { ms += (epochSeconds * 1000) / 3; batches.add(ctx.batchesPerEpoch); },
    onBatchEnd: (_, k) => { if (k < 3) ms += (epochSeconds * 1000) / 3; },
  };
  const c = resolveConfig([{ data: small, runsDir: join(root, 'runs'), name, model: 'resunet', modelOptions: { startFilters: 2 }, batchSize: 4, valFraction: 0.25,
    threads: 2, phases: PHASES, maxMinutes: 3, budget: o.budget ?? 'shape', earlyStopping: null, sweep: { from: 0.4, to: 0.6, steps: 3 }, ...o.extra }]);
  const logs: string[] = [];
  const hooks = { log: (l: string) => logs.push(l), clock: () => ms, callbacks: [tick] };
  let r = await train(c, o.stopAfter ? { ...hooks, stopAfterEpochs: o.stopAfter } : hooks);
  if (o.stopAfter) r = await train({ resume: r.run }, hooks);
  assert.deepEqual([...batches], [3]);
  const h = readHistory(r.run);
  return { r, h, logs, lrs: h.map((e) => e.lr), phases: h.map((e) => e.phase), clock: h.reduce((a, e) => a + e.seconds, 0) };
}

const c1 = (v: number) => cos(0.01, 0.001, v), c2 = (v: number) => cos(0.005, 0.0001, v);

test('budget-shaped runs end every phase annealed on a slow, a nominal and a fast machine; phases switch at their share', async () => {
  // 3 + 6 configured epochs on 180 s: 20 s an epoch as configured; phase 1 owns the first 60 s. Each
  // epoch has 3 steps; its record's rate is its last step's, 2/3 of the way through the epoch.
  const slow = await fakeRun('slow', 30);
  // Phase 1: 3 epochs planned at the configured pace, so step 3 is at (2/3)/3 = 2/9; the second batch,
  // timed (the first pays one-off costs), says 30 s an epoch: 2 fit in 60 s, so the epoch ends at
  // 2/9 + (7/9)(1/3)/(2 − 2/3) = 5/12 and the second, the phase's last, takes it to 1 (its step 3 at
  // 5/12 + (7/12)(2/3) = 29/36), ending at 60 s. Phase 2: 120 s / 30 = 4 epochs, step 3 at (3k − 1)/12.
  near(slow.lrs, [c1(2 / 9), c1(29 / 36), ...[2, 5, 8, 11].map((k) => c2(k / 12))], 'slow');
  assert.deepEqual(slow.phases, [1, 1, 2, 2, 2, 2]);
  assert.ok(Math.abs(slow.clock - 180) < 1e-9);
  assert.equal(slow.r.stopped, 'finished');
  assert.match(slow.logs.join('\n'), /budget: timed at 30\.0 s an epoch, phase 1 now has 2 epochs planned, this one included/);
  // Stopped after 3 epochs (in phase 2) and resumed: the same curve.
  const resumed = await fakeRun('slow-resumed', 30, { stopAfter: 3 });
  near(resumed.lrs, slow.lrs, 'resumed');

  // At the configured pace the plan is the epoch schedule itself (cosine over (epoch − 1/3) / epochs at
  // each epoch's last step), as CosineAnnealingWarmRestarts gives without shaping.
  const nominal = await fakeRun('nominal', 20);
  near(nominal.lrs, [...[2, 5, 8].map((k) => c1(k / 9)), ...[2, 5, 8, 11, 14, 17].map((k) => c2(k / 18))], 'nominal');

  // Twice as fast: the timed batch re-plans 6 epochs (the first ends at 2/9 + (7/9)(1/3)/(6 − 2/3) = 13/48),
  // then 5, 4, 3, 2, 1 fit in the rest, each moving 7/48 with step 3 at 2/3 of that.
  const fast = await fakeRun('fast', 10);
  near(fast.lrs, [c1(2 / 9), ...[53, 74, 95, 116, 137].map((k) => c1(k / 144)), ...Array.from({ length: 12 }, (_, k) => c2((3 * k + 2) / 36))], 'fast');
  assert.equal(fast.phases.indexOf(2), 6, 'phase 2 starts after 60 s (6 epochs of 10 s)');
  assert.ok(Math.abs(fast.clock - 180) < 1e-9);
  assert.match(fast.logs.join('\n'), /budget: 1\.0 of 3 min used; phase 2 has 12 epochs planned to end at 3\.0 min/);
  // Epoch lines count the epochs the plan expects (6 and 18), not the 9 configured.
  for (const [run, n] of [[slow, 6], [fast, 18]] as const) {
    const totals = run.logs.map((l) => /^epoch (\d+)\/(\d+) /.exec(l)).filter((m) => m !== null).map((m) => Number(m![2]));
    assert.equal(totals.length, n);
    assert.deepEqual(totals, Array(n).fill(n), `epoch lines' totals ${totals}`);
  }
});

test('an epoch interrupted and resumed records all its seconds; a run with nothing validated yet says how to continue it', async () => {
  // Every batch takes 10 s of a fake clock, 3 batches an epoch: 30 s an epoch however it is cut.
  let ms = 0, cut = false;
  const tick: Callback = {
    name: 'tick',
    onBatchEnd: (ctx, k) => {
      ms += 10_000;
      if (!cut && k === 1) { cut = true; ctx.stop('interrupted', 'SIGINT'); }
    },
  };
  const c = resolveConfig([{ data: small, runsDir: join(root, 'runs'), name: 'cut-epoch', model: 'resunet', modelOptions: { startFilters: 2 }, batchSize: 4,
    valFraction: 0.25, threads: 2, phases: [{ loss: 'bce', epochs: 3 }], earlyStopping: null, sweep: { from: 0.4, to: 0.6, steps: 3 } }]);
  const hooks = { log: () => {}, clock: () => ms, callbacks: [tick] };
  const first = await train(c, hooks);
  assert.equal(first.stopped, 'interrupted');
  // Nothing validated yet: predicting from the run says how to continue it.
  assert.throws(() => loadRun(first.run), /no best\.safetensors; the run has not validated an epoch yet: continue it with .*train --resume .*cut-epoch/);
  const done = await train({ resume: first.run }, hooks);
  assert.equal(done.stopped, 'finished');
  assert.deepEqual(readHistory(done.run).map((e) => e.seconds), [30, 30, 30], 'epoch 1 counts its 10 s before the interruption');

  // A run stopped on its time budget has nothing left to resume: a resume would train past the budget.
  // On 1 minute at 30 s an epoch, a third epoch would overrun it after the second.
  const timed = await train({ ...c, name: 'cut-budget', phases: [{ ...c.phases[0]!, epochs: 5 }], maxMinutes: 1, budget: 'cut' }, hooks);
  assert.deepEqual([timed.stopped, timed.epochs], ['time', 2]);
  await assert.rejects(train({ resume: timed.run }, hooks), /cut-budget stopped on its time budget \(1\.0 of 1 minutes trained, 2 epochs\); there is nothing to resume\. Tune it again with .*tune --run .*\(and a larger --max-minutes\)/);
  assert.equal(readHistory(timed.run).length, 2, 'the refused resume trained nothing');
});

test('budget "shape" needs maxMinutes, and takes only "cut" or "shape"', () => {
  assert.throws(() => resolveConfig([{ budget: 'shape' }], 'f.json'), /f\.json\.budget: "shape" lays the phases out on the time budget: set maxMinutes too/);
  assert.throws(() => resolveConfig([{ maxMinutes: 5, budget: 'fit' as 'cut' }], 'f.json'), /f\.json\.budget: must be "cut" .* or "shape" .*got "fit"/);
  assert.equal(resolveConfig([{ maxMinutes: 5, budget: 'shape' }]).budget, 'shape');
});

/** A hand-made context (as test/callbacks.test.ts makes) for BudgetShape and Snapshots on their own. */
function context(state: Partial<LoopState>, phases: ConfigLayer['phases'], final = false) {
  const run = mkdtempSync(join(root, 'ctx-'));
  mkdirSync(run, { recursive: true });
  const config = resolveConfig([{ data, model: 'resunet', modelOptions: { startFilters: 2 }, phases, maxMinutes: 1, budget: 'shape' }]);
  const calls = { stop: [] as string[], endPhase: 0, logs: [] as string[] };
  const st: LoopState = { phase: 0, epochInPhase: 0, epoch: 0, batch: 0, lossSum: 0, lossCount: 0, seconds: 0, epochSeconds: 0, ...state };
  const ctx = {
    run, config, model: createModel('resunet', { startFilters: 2 }), optimizer: { lr: 1 }, state: st, totalEpochs: 6, batchesPerEpoch: 4, worldSize: 1,
    val: { images: new Float32Array(0), masks: new Uint8Array(0) },
    log: (l: string) => calls.logs.push(l), stop: (r: string) => { calls.stop.push(r); }, endPhase: () => { calls.endPhase++; }, finalEpoch: () => final,
  } as unknown as TrainContext & { state: LoopState; optimizer: { lr: number } };
  return { ctx, calls, run, st };
}

const rec = (epoch: number, phase: number) => ({ epoch, phase, loss: 'bce', train_loss: 1, val_loss: 1, val_map: 0.5, lr: 0.1, seconds: 10, best: false });

test('BudgetShape does not start an epoch that would overrun the budget, except after the final one', () => {
  const phases: ConfigLayer['phases'] = [{ loss: 'bce', epochs: 6 }];
  // 4 epochs in 50 s: 12.5 s each; 50 + 12.5 > 60.
  const over = context({ epoch: 4, seconds: 50 }, phases);
  new BudgetShape(1, over.ctx.config.phases).onEpochEnd(over.ctx, rec(4, 1));
  assert.deepEqual(over.calls.stop, ['time']);
  assert.match(over.calls.logs[0]!, /^time budget: 0\.8 of 1 minutes used; another epoch \(about 13 s\) would overrun it$/);
  const fits = context({ epoch: 4, seconds: 44 }, phases);
  new BudgetShape(1, fits.ctx.config.phases).onEpochEnd(fits.ctx, rec(4, 1));
  assert.deepEqual(fits.calls.stop, [], '44 + 11 <= 60');
  const last = context({ epoch: 4, seconds: 50 }, phases, true);
  new BudgetShape(1, last.ctx.config.phases).onEpochEnd(last.ctx, rec(4, 1));
  assert.deepEqual(last.calls.stop, []);
});

/** Starts a new run's first epoch and times it early: its first batch ends at 5 s, its second at `second` s. */
function timedFirstEpoch(shape: BudgetShape, ctx: TrainContext, second: number): BudgetShape {
  shape.onEpochStart(ctx);
  Object.assign(ctx, { epochSeconds: 5 });
  shape.onBatchEnd(ctx, 1);
  Object.assign(ctx, { epochSeconds: second });
  shape.onBatchEnd(ctx, 2);
  return shape;
}

test('a budget too short for an epoch of every phase says so at the first timing and at the stop, with the minutes that would fit', () => {
  // bce then lovasz on 60 s; 4 batches an epoch. The first batch takes 5 s, the second 20 s: 80 s an epoch.
  const phases: ConfigLayer['phases'] = [{ loss: 'bce', epochs: 1 }, { loss: { name: 'lovasz', activation: 'elu', symmetric: true }, epochs: 2 }];
  const a = context({}, phases);
  const shape = timedFirstEpoch(new BudgetShape(1, a.ctx.config.phases), a.ctx, 25);
  // ceil(2 phases × 80 s × 1.125 / 60 s) = 3 minutes.
  assert.match(a.calls.logs.at(-1)!, /^warning: at about 80 s an epoch, a 1-minute budget fits less than one epoch for 2 phases, so phase 2 \(lovasz\) will not run: give --max-minutes 3 or more for an epoch of every phase$/);
  // Interrupted there and resumed, the run expects the epochs it did, not the configured pace's.
  const resumed = new BudgetShape(1, a.ctx.config.phases), r = context({ batch: 2 }, phases);
  resumed.loadStateDict(JSON.parse(JSON.stringify(shape.stateDict())));
  resumed.onEpochStart(r.ctx);
  assert.equal(resumed.expectedEpochs(r.ctx), shape.expectedEpochs(a.ctx));
  assert.equal(shape.expectedEpochs(a.ctx), 2, "each phase counts at least one epoch; at the configured pace (20 s) the resumed plan said 3");
  // The epoch ends at 70 s, past the 60 s: phase 1 is done, and phase 2's epoch (70 s at the run's pace) cannot start.
  Object.assign(a.st, { epoch: 1, epochInPhase: 1, seconds: 70 });
  shape.onEpochEnd(a.ctx, rec(1, 1));
  assert.deepEqual(a.calls.stop, ['time']);
  assert.equal(a.calls.endPhase, 1);
  assert.equal(a.calls.logs.at(-1), 'time budget: 1.2 of 1 minutes used; another epoch (about 70 s) would overrun it; the budget is shorter than one epoch here, which ran 10 s past it. ' +
    'Phase 2 (lovasz) never ran: give --max-minutes 3 or more for an epoch of every phase');
  // Three phases on 600 s at 100 s an epoch fit 6 epochs: no warning.
  const b = context({}, [{ loss: 'bce', epochs: 1 }, { loss: 'bce', epochs: 1 }, { loss: 'bce', epochs: 1 }]);
  timedFirstEpoch(new BudgetShape(10, b.ctx.config.phases), b.ctx, 30);
  assert.equal(b.calls.logs.filter((l) => l.startsWith('warning')).length, 0, b.calls.logs.join('\n'));
});

test('BudgetShape keeps an interrupted epoch\'s plan on resume, ends cycles for Snapshots, and counts the phase\'s last planned epochs', () => {
  // One phase of 4 epochs in 2 cosine cycles, 2 snapshots, on 60 s: cycles end at 30 and 60 s.
  const phases: ConfigLayer['phases'] = [{ loss: 'bce', epochs: 4, lr: 1, schedule: { name: 'cosine', minLr: 0, cycles: 2 }, snapshots: 2 }];
  const a = context({}, phases);
  const shape = new BudgetShape(1, a.ctx.config.phases);
  shape.onEpochStart(a.ctx); // 2 epochs planned in cycle 1 (15 s each as configured)
  assert.equal(a.ctx.optimizer.lr, 1);
  shape.onBatchEnd(a.ctx, 2); // 2 of 4 batches: position (2/4)/2
  assert.ok(Math.abs(a.ctx.optimizer.lr - cos(1, 0, 0.25)) < 1e-15);
  // Interrupted after batch 2, 7 s in: the checkpoint holds the plan; the resumed epoch continues it
  // although the clock now says otherwise.
  const b = context({ batch: 2, seconds: 7 }, phases);
  const again = new BudgetShape(1, b.ctx.config.phases);
  again.loadStateDict(JSON.parse(JSON.stringify(shape.stateDict())));
  again.onEpochStart(b.ctx);
  assert.ok(Math.abs(b.ctx.optimizer.lr - cos(1, 0, 0.25)) < 1e-15);
  // The epoch ends at 20 s: position 1/2; 10 s left in the cycle at 20 s an epoch rounds to 1 more epoch.
  Object.assign(b.st, { epoch: 1, epochInPhase: 1, batch: 0, seconds: 20 });
  again.onEpochEnd(b.ctx, rec(1, 1));
  assert.equal(again.cycleEnded, false);
  assert.equal(again.epochsLeftInPhase, 2, 'one in this cycle (10 s left rounds to 1) and 1 in the last (20 s left at 40 s)');
  const snap = new Snapshots(again);
  snap.onEpochEnd(b.ctx, rec(1, 1));
  assert.equal(existsSync(join(b.run, 'snapshot-e1.safetensors')), false);
  again.onEpochStart(b.ctx);
  Object.assign(b.st, { epoch: 2, epochInPhase: 2, seconds: 40 });
  again.onEpochEnd(b.ctx, rec(2, 1));
  assert.equal(again.cycleEnded, true, 'the one planned epoch closed cycle 1');
  snap.onEpochEnd(b.ctx, rec(2, 1));
  assert.equal(existsSync(join(b.run, 'snapshot-e2.safetensors')), true, 'a cycle end is a snapshot');
  assert.equal(b.calls.endPhase, 0);
  assert.equal(again.stateDict().paces, undefined, 'no crops: one pace, the run mean, and no per-size record');
  again.onEpochStart(b.ctx); // cycle 2: 20 s left at 20 s an epoch
  Object.assign(b.st, { epoch: 3, epochInPhase: 3, seconds: 60 });
  again.onEpochEnd(b.ctx, rec(3, 1));
  assert.equal(b.calls.endPhase, 1, 'the last cycle done ends the phase');
  assert.equal(again.epochsLeftInPhase, 0);
});

test('BudgetShape paces each tile size apart: a phase on whole tiles after one on 69x69 crops plans at (101/69)² the crop pace', () => {
  // Phase 1 on crops, phase 2 on whole tiles, 2 epochs each on 60 s: phase 1 ends at 30 s.
  const phases: ConfigLayer['phases'] = [{ loss: 'bce', epochs: 2, crop: 69 }, { loss: 'bce', epochs: 2 }];
  const a = context({}, phases);
  const shape = new BudgetShape(1, a.ctx.config.phases);
  for (const [epoch, seconds] of [[1, 10], [2, 20], [3, 30]]) { // crop epochs of 10 s: 3 fit in 30 s
    shape.onEpochStart(a.ctx);
    // Epoch 3 ends phase 1: the whole-tile epoch after it (21.4 s) may not fit with its validation, so it is
    // scored (the run mean, 10 s, would say 20 + 10 + 2 × 10 fits). Epoch 2 is followed by a crop epoch.
    if (epoch >= 2) assert.equal(shape.mayStopAfter(a.ctx, 10), epoch === 3, `epoch ${epoch} may end the run`);
    Object.assign(a.st, { epoch, epochInPhase: epoch, seconds });
    shape.onEpochEnd(a.ctx, { ...rec(epoch, 1), seconds: 10 });
  }
  assert.equal(a.calls.endPhase, 1, 'phase 1 ended at its 30 s share');
  assert.deepEqual(a.calls.stop, [], '30 s used and a whole-tile epoch expected at 21.4 s: it fits in 60');
  // A whole-tile epoch is expected at 10 × (101/69)² = 21.4 s, so 30 s left hold 1 epoch (the run mean, 10 s, would plan 3).
  Object.assign(a.st, { phase: 1, epochInPhase: 0 });
  shape.onEpochStart(a.ctx);
  assert.match(a.calls.logs.at(-1)!, /budget: 0\.5 of 1 min used; phase 2 has 1 epoch planned to end at 1\.0 min/);
  assert.equal(shape.expectedEpochs(a.ctx), 4);
  // Once a whole-tile epoch is timed (15 s), its own pace decides whether another fits: 45 + 15 <= 60
  // (at the scaled 21.4 s it would not).
  Object.assign(a.st, { epoch: 4, epochInPhase: 1, seconds: 45 });
  shape.onEpochEnd(a.ctx, { ...rec(4, 2), seconds: 15 });
  assert.deepEqual(a.calls.stop, []);
});

test('the validation schedule: every k-th epoch, every epoch in the last fraction, at phase ends and before the budget may end the run', () => {
  const at = (epoch: number, o: Partial<EpochPosition> = {}) => validatesEpoch({ every: 3, everyEpochInLast: 0.25 }, { epoch, endsPhase: false, progress: epoch / 8, lastInBudget: false, ...o });
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((e) => at(e)), [false, false, true, false, false, true, true, true], '3, 6, and 7 and 8 past 75 %');
  assert.equal(at(2, { endsPhase: true }), true);
  assert.equal(at(2, { lastInBudget: true }), true);
  assert.equal(validatesEpoch(undefined, { epoch: 1, endsPhase: false, progress: 0.1, lastInBudget: false }), true, 'no schedule: every epoch');
  assert.throws(() => resolveConfig([{ validation: { every: 0 } }], 'f.json'), /f\.json\.validation\.every: must be a positive integer/);
  assert.throws(() => resolveConfig([{ validation: { everyEpochInLast: 1.5 } }], 'f.json'), /f\.json\.validation\.everyEpochInLast: must be a fraction of the run from 0 to 1, got 1\.5/);
  assert.throws(() => resolveConfig([{ validation: { evry: 2 } as never }], 'f.json'), /f\.json\.validation\.evry: unknown field/);
});

test('a run validates on its schedule; skipped epochs have null scores and never become the best', async () => {
  const c = resolveConfig([{ data: small, runsDir: join(root, 'runs'), name: 'val-schedule', model: 'resunet', modelOptions: { startFilters: 2 }, batchSize: 4, valFraction: 0.25,
    threads: 2, phases: [{ loss: 'bce', epochs: 4 }, { loss: 'lovasz', epochs: 4, lr: 5e-4 }], validation: { every: 3, everyEpochInLast: 0.25 },
    earlyStopping: { patience: 1 }, reduceLROnPlateau: null, sweep: { from: 0.4, to: 0.6, steps: 3 } }]);
  const logs: string[] = [];
  const r = await train(c, { log: (l) => logs.push(l) });
  const h = readHistory(r.run);
  // Epoch 3 (every 3rd), 4 (phase 1's end), 6, then 7 and 8 (the last quarter). Early stopping with
  // patience 1 counts validated epochs only: 7 and 8 may end phase 2, nothing in between could.
  assert.deepEqual(h.filter((e) => e.val_map !== null).map((e) => e.epoch), [3, 4, 6, 7, 8].filter((e) => e <= h.length));
  assert.ok(h.length >= 7, `early stopping acted before two validated epochs of phase 2 failed: ${h.length} epochs`);
  assert.ok(h.every((e) => (e.val_map === null) === (e.val_loss === null)));
  assert.ok(h.every((e) => !e.best || e.val_map !== null));
  assert.equal(r.bestEpoch, h.filter((e) => e.val_map !== null).reduce((b, e) => (e.val_map! > b.val_map! ? e : b)).epoch);
  assert.match(logs.join('\n'), /epoch 1\/8 \[bce\] train loss \d\.\d{4}  not validated  lr/);
});

test('budget "shape" puts BudgetShape first in place of TimeBudget; "cut" and no budget keep TimeBudget', () => {
  const names = (l: ConfigLayer) => defaultCallbacks(resolveConfig([{ data, ...l }])).callbacks.map((cb) => cb.name);
  const shaped = names({ maxMinutes: 5, budget: 'shape' });
  assert.equal(shaped[0], 'budgetShape');
  assert.ok(!shaped.includes('timeBudget'));
  assert.ok(names({ maxMinutes: 5, budget: 'cut' }).includes('timeBudget') && !names({ maxMinutes: 5 }).includes('budgetShape'));
});

test('examples/cpu-60min.json and cpu-150min.json are the presets of the same names, budget-shaped', () => {
  for (const name of ['cpu-60min', 'cpu-150min']) {
    const file = join(import.meta.dirname, '..', 'examples', `${name}.json`);
    const fromFile = resolveConfig([readConfigFile(file)], file);
    assert.deepEqual(fromFile, resolveConfig([preset(name).config, { data: '../shared/tgs' }], name), name);
    assert.equal(fromFile.budget, 'shape');
    assert.ok(fromFile.validation && fromFile.maxMinutes);
    assert.equal(fromFile.ema !== undefined, name === 'cpu-150min', 'only the 150-minute budget averages the weights');
    assert.equal(fromFile.precision, 'auto', 'the machine picks fp32 or bf16');
  }
});
