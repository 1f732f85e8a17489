// Optimizer updates against PyTorch's documented formulas, computed here in double precision;
// schedules against their closed forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../src/torch/index.js';
import { SGD, Adam, AdamW, RMSprop, StepLR, ReduceLROnPlateau, CosineAnnealingWarmRestarts } from '../src/optim/index.js';
import type { Optimizer, GroupOptions } from '../src/optim/index.js';

const P0 = [0.5, -1.25, 2.0, 0.1];
const GRADS = [[0.3, -0.2, 1.5, -0.01], [0.1, 0.4, -2.0, 0.02], [-0.5, 0.05, 0.7, 0.0], [0.2, -0.3, 0.1, 1.0]];

/** Runs the optimizer on given gradients and compares each step with `expected(step, p)`. */
function check<O extends GroupOptions>(name: string, make: (p: T.Tensor) => Optimizer<O>, ref: (p: number[], g: number[], t: number) => number[]): void {
  const p = T.keep(T.tensor(P0));
  const opt = make(p);
  let want = P0.slice();
  GRADS.forEach((g, i) => {
    T.tidy(() => {
      p.grad = T.tensor(g);
      opt.step();
    });
    want = ref(want, g, i + 1);
    const got = p.toNumbers();
    got.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) <= 2e-6 * Math.max(1, Math.abs(want[k]!)),
      `${name} step ${i + 1} [${k}]: got ${v}, formula ${want[k]}`));
  });
  p.dispose();
}

test('SGD: plain, momentum with dampening, Nesterov, weight decay', () => {
  check('sgd', (p) => new SGD([p], { lr: 0.1 }), (p, g) => p.map((v, k) => v - 0.1 * g[k]!));
  for (const [mu, tau, nesterov, wd] of [[0.9, 0, false, 0], [0.9, 0.1, false, 0.01], [0.8, 0, true, 0.05]] as const) {
    let b: number[] | null = null;
    check(`sgd mu=${mu} tau=${tau} nesterov=${nesterov} wd=${wd}`,
      (p) => new SGD([p], { lr: 0.05, momentum: mu, dampening: tau, nesterov, weightDecay: wd }),
      (p, g0, t) => {
        const g = g0.map((v, k) => v + wd * p[k]!);
        b = t === 1 ? g.slice() : b!.map((v, k) => mu * v + (1 - tau) * g[k]!);
        const d = nesterov ? g.map((v, k) => v + mu * b![k]!) : b;
        return p.map((v, k) => v - 0.05 * d[k]!);
      });
  }
  assert.throws(() => new SGD([T.zeros([1])], { lr: 0.1, nesterov: true }), /Nesterov/);
  assert.throws(() => new SGD([T.zeros([1])], { lr: -1 }), /learning rate/);
});

function adamRef(lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean, amsgrad: boolean) {
  let m = P0.map(() => 0), v = P0.map(() => 0), vmax = P0.map(() => 0);
  return (p: number[], g0: number[], t: number): number[] => {
    const q = decoupled ? p.map((x) => x * (1 - lr * wd)) : p;
    const g = decoupled ? g0 : g0.map((x, k) => x + wd * p[k]!);
    m = m.map((x, k) => b1 * x + (1 - b1) * g[k]!);
    v = v.map((x, k) => b2 * x + (1 - b2) * g[k]! ** 2);
    vmax = vmax.map((x, k) => Math.max(x, v[k]!));
    const vv = amsgrad ? vmax : v;
    return q.map((x, k) => x - lr * (m[k]! / (1 - b1 ** t)) / (Math.sqrt(vv[k]! / (1 - b2 ** t)) + eps));
  };
}

test('Adam, Adam with L2 decay, AMSGrad, AdamW', () => {
  check('adam', (p) => new Adam([p], { lr: 1e-2 }), adamRef(1e-2, 0.9, 0.999, 1e-8, 0, false, false));
  check('adam wd', (p) => new Adam([p], { lr: 1e-2, weightDecay: 0.03, beta1: 0.8, beta2: 0.99 }), adamRef(1e-2, 0.8, 0.99, 1e-8, 0.03, false, false));
  check('amsgrad', (p) => new Adam([p], { lr: 5e-3, amsgrad: true }), adamRef(5e-3, 0.9, 0.999, 1e-8, 0, false, true));
  check('adamw', (p) => new AdamW([p], { lr: 1e-2, weightDecay: 0.05 }), adamRef(1e-2, 0.9, 0.999, 1e-8, 0.05, true, false));
});

test('RMSprop: plain, centred, momentum, weight decay', () => {
  for (const [centered, mu, wd] of [[false, 0, 0], [true, 0, 0], [false, 0.9, 0.01], [true, 0.5, 0]] as const) {
    let sq = P0.map(() => 0), ga = P0.map(() => 0), b = P0.map(() => 0);
    const lr = 0.01, alpha = 0.99, eps = 1e-8;
    check(`rmsprop centered=${centered} mu=${mu} wd=${wd}`, (p) => new RMSprop([p], { lr, centered, momentum: mu, weightDecay: wd }),
      (p, g0) => {
        const g = g0.map((x, k) => x + wd * p[k]!);
        sq = sq.map((x, k) => alpha * x + (1 - alpha) * g[k]! ** 2);
        ga = ga.map((x, k) => alpha * x + (1 - alpha) * g[k]!);
        const avg = sq.map((x, k) => Math.sqrt(centered ? x - ga[k]! ** 2 : x) + eps);
        if (mu > 0) {
          b = b.map((x, k) => mu * x + g[k]! / avg[k]!);
          return p.map((x, k) => x - lr * b[k]!);
        }
        return p.map((x, k) => x - lr * g[k]! / avg[k]!);
      });
  }
});

test('optimizer state dict resumes identically', () => {
  const run = (split: boolean): number[] => {
    const p = T.keep(T.tensor(P0));
    let opt = new Adam([p], { lr: 0.05 });
    GRADS.forEach((g, i) => {
      if (split && i === 2) {
        const s = opt.stateDict();
        const next = new Adam([p], { lr: 0.05 });
        next.loadStateDict(s);
        opt = next;
      }
      T.tidy(() => { p.grad = T.tensor(g); opt.step(); });
    });
    const out = p.toNumbers();
    p.dispose();
    return out;
  };
  assert.deepEqual(run(true), run(false));
  assert.throws(() => new Adam([T.zeros([2])]).loadStateDict({ tensors: new Map([['0.exp_avg', T.zeros([3])]]), meta: { steps: { 0: 1 }, groups: [{}] } }), /shape/);
});

test('parameter groups carry their own options; zeroGrad clears gradients', () => {
  const a = T.keep(T.tensor([1])), b = T.keep(T.tensor([1]));
  const opt = new SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.1 });
  T.tidy(() => { a.grad = T.tensor([1]); b.grad = T.tensor([1]); opt.step(); });
  assert.ok(Math.abs(a.item() - 0.9) < 1e-7);
  assert.equal(b.item(), 0);
  opt.zeroGrad();
  assert.equal(a.grad, null);
  opt.lr = 0.5;
  assert.deepEqual(opt.groups.map((g) => g.options.lr), [0.5, 0.5]);
});

test('StepLR: lr = base * gamma^floor(epoch/step)', () => {
  const o = { lr: 1 };
  const s = new StepLR(o, 3, 0.5);
  const got = Array.from({ length: 7 }, () => s.step());
  assert.deepEqual(got, [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]);
});

test('ReduceLROnPlateau: patience, factor, cooldown, min_lr and mode', () => {
  const o = { lr: 1 };
  const s = new ReduceLROnPlateau(o, { mode: 'min', factor: 0.5, patience: 2, minLr: 0.2 });
  const losses = [1, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95];
  const lrs = losses.map((l) => { s.step(l); return o.lr; });
  // Reductions after 3 non-improving epochs: at index 4 (0.5), 7 (0.25), 10 (floored to 0.2).
  assert.deepEqual(lrs, [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]);
  const o2 = { lr: 1 };
  const s2 = new ReduceLROnPlateau(o2, { mode: 'max', factor: 0.1, patience: 0, cooldown: 1 });
  [0.5, 0.6, 0.6, 0.6, 0.6].forEach((m) => s2.step(m));
  assert.ok(Math.abs(o2.lr - 0.01) < 1e-12, `got ${o2.lr}`);
});

test('CosineAnnealingWarmRestarts: SGDR closed form, restarts and fractional epochs', () => {
  const o = { lr: 0.01 };
  const s = new CosineAnnealingWarmRestarts(o, 4, 2, 0.001);
  const f = (tc: number, ti: number) => 0.001 + (0.01 - 0.001) * (1 + Math.cos((Math.PI * tc) / ti)) / 2;
  const want = [f(1, 4), f(2, 4), f(3, 4), f(0, 8), f(1, 8), f(2, 8)];
  want.forEach((w) => assert.ok(Math.abs(s.step() - w) < 1e-12));
  assert.equal(s.cycle, 1);
  const s2 = new CosineAnnealingWarmRestarts({ lr: 0.01 }, 4, 2, 0.001);
  assert.ok(Math.abs(s2.step(5.5) - f(1.5, 8)) < 1e-12);
  assert.equal(s2.cycle, 1);
  assert.ok(Math.abs(s2.step(12) - f(0, 16)) < 1e-12);
  assert.equal(s2.cycle, 2);
});
