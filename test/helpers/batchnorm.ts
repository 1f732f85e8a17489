// Shared by the inference tests (fuse, onnx export, onnx engine): BatchNorms worth folding, and a comparison.
import assert from 'node:assert/strict';
import { BatchNorm2d } from '../../src/nn/layers.js';
import type { Module } from '../../src/nn/module.js';
import { noGrad } from '../../src/torch/index.js';

/** Non-trivial BatchNorm statistics and affine parameters (seeded by the caller), so folding them is put to the test. */
export function perturbBatchNorms(m: Module): void {
  noGrad(() => {
    for (const [, l] of m.namedModules()) {
      if (!(l instanceof BatchNorm2d)) continue;
      // Variances above 1 and γ below it keep deep random encoders' activations, and so the
      // probabilities, away from saturation.
      l.runningMean!.uniform_(-0.3, 0.3);
      l.runningVar!.uniform_(1, 3);
      l.weight!.uniform_(0.3, 0.8);
      l.bias!.uniform_(-0.2, 0.2);
    }
  });
}

/** The largest absolute difference between two arrays of one length. */
export function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
