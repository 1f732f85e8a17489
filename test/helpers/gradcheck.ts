// Central finite differences in float64 against libtorch's analytic gradients.
import assert from 'node:assert/strict';
import * as T from '../../src/torch/index.js';

/** `constant` inputs (labels, targets) take part in f but are not differentiated. */
export interface Input { shape: number[]; data?: number[]; low?: number; high?: number; constant?: boolean }

/** Deterministic pseudo-random values in [low, high) from a small LCG, independent of libtorch. */
export function values(n: number, seed: number, low = -1, high = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return low + ((s / 2 ** 32) * (high - low));
  });
}

/**
 * Checks d(sum(w * f(inputs)))/d(input) for every element of every input. `f` may call
 * T.manualSeed itself for random ops so each evaluation draws the same mask.
 */
export function gradcheck(name: string, f: (xs: T.Tensor[]) => T.Tensor, inputs: Input[], o: { eps?: number; atol?: number; rtol?: number; seed?: number } = {}): void {
  const eps = o.eps ?? 1e-6, atol = o.atol ?? 1e-5, rtol = o.rtol ?? 1e-4;
  const data = inputs.map((inp, k) => inp.data ?? values(inp.shape.reduce((a, b) => a * b, 1), (o.seed ?? 7) + 31 * k, inp.low, inp.high));
  let weights: number[] | undefined;
  const evaluate = (ds: number[][], withGrad: boolean): { value: number; grads: number[][] } => T.tidy(() => {
    const xs = ds.map((d, k) => T.fromArray(Float64Array.from(d), inputs[k]!.shape, { requiresGrad: withGrad && !inputs[k]!.constant }));
    const y = f(xs);
    weights ??= values(y.numel, 99, 0.5, 1.5);
    const w = T.fromArray(Float64Array.from(weights), y.shape);
    const s = y.mul(w).sum();
    if (!withGrad) return { value: s.item(), grads: [] };
    s.backward();
    return { value: s.item(), grads: xs.map((x) => { const g = x.grad; return g ? Array.from(g.toArray() as Float64Array) : []; }) };
  });
  const analytic = evaluate(data, true).grads;
  for (let k = 0; k < data.length; k++) {
    if (inputs[k]!.constant) continue;
    for (let i = 0; i < data[k]!.length; i++) {
      const plus = data.map((d) => d.slice());
      const minus = data.map((d) => d.slice());
      plus[k]![i]! += eps;
      minus[k]![i]! -= eps;
      const num = (evaluate(plus, false).value - evaluate(minus, false).value) / (2 * eps);
      const an = analytic[k]![i] ?? 0;
      assert.ok(Math.abs(num - an) <= atol + rtol * Math.abs(num),
        `${name}: d/d input${k}[${i}] analytic ${an} vs numeric ${num}`);
    }
  }
}
