// The sub-pixel form of a transposed convolution (src/nn/subpixel.ts), which halite's inference path
// runs instead of conv_transpose2d: against libtorch's own conv_transpose2d on the same weights, for
// the geometries the models use (3x3, stride 2, 'same' and 'valid') and others (even kernels, stride 3,
// output padding past the last tap), in both memory formats; the layer's eval and training forwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConvTranspose2d } from '../src/nn/layers.js';
import { subPixelConvTranspose, subPixelWeights } from '../src/nn/subpixel.js';
import * as F from '../src/torch/functional.js';
import { manualSeed, noGrad, rand, tidy } from '../src/torch/index.js';
import { maxDiff } from './helpers/batchnorm.js';

const GEOMETRIES = [
  // [kernel, stride, padding, outputPadding, H, W]
  [3, 2, 1, 1, 6, 6], [3, 2, 0, 0, 12, 12], [3, 2, 1, 1, 25, 25], [3, 2, 0, 0, 50, 50],
  [2, 2, 0, 0, 5, 7], [4, 2, 1, 0, 5, 6], [5, 3, 2, 2, 4, 5], [3, 3, 0, 1, 7, 8], [1, 2, 0, 1, 3, 4],
] as const;

for (const [k, s, p, op, h, w] of GEOMETRIES) {
  test(`kernel ${k}, stride ${s}, padding ${p}, output padding ${op} on ${h}x${w}: conv2d + pixel shuffle equals conv_transpose2d`, () => tidy(() => noGrad(() => {
    manualSeed(k * 100 + s * 10 + p + op);
    const weight = rand([6, 5, k, k]).sub(0.5), bias = rand([5]);
    for (const fmt of ['contiguous', 'channelsLast'] as const) {
      const x = rand([2, 6, h, w]).sub(0.5).contiguous(fmt);
      const expected = F.convTranspose2d(x, weight, bias, { stride: s, padding: p, outputPadding: op });
      const sw = subPixelWeights(weight, bias, s);
      const got = subPixelConvTranspose(x, sw, { stride: s, padding: [p, p], outputPadding: [op, op], kernel: [k, k] });
      assert.deepEqual(got.shape, expected.shape);
      const d = maxDiff(got.contiguous().toArray() as Float32Array, expected.contiguous().toArray() as Float32Array);
      assert.ok(d < 1e-5, `${fmt}: differs by ${d}`);
      assert.equal(got.contiguous(fmt).isContiguous(fmt), true);
      if (fmt === 'channelsLast') assert.ok(!got.isContiguous() || got.shape[1] === 1, 'a channels-last input gives a channels-last output');
      sw.weight.dispose(); sw.bias?.dispose();
    }
  })));
}

test('ConvTranspose2d runs its sub-pixel form in eval mode only, and refuses layers without one', () => tidy(() => {
  manualSeed(11);
  const up = new ConvTranspose2d(4, 3, 3, { stride: 2, padding: 1, outputPadding: 1 });
  const x = rand([2, 4, 6, 6]);
  up.eval();
  const plain = noGrad(() => up.call(x).toArray() as Float32Array);
  up.setEvalSubPixel(true);
  assert.ok(maxDiff(noGrad(() => up.call(x).toArray() as Float32Array), plain) < 1e-6);
  // Training runs conv_transpose2d on the parameters: gradients flow to them.
  up.train();
  up.call(x).sum().backward();
  assert.ok(up.weight.grad !== null && up.weight.grad.abs().sum().item() > 0);
  up.dispose();
  const grouped = new ConvTranspose2d(4, 4, 3, { stride: 2, groups: 2 });
  assert.equal(grouped.hasSubPixelForm, false);
  assert.throws(() => grouped.setEvalSubPixel(true), /groups 1, dilation 1 and one stride > 1/);
  assert.equal(new ConvTranspose2d(4, 4, 3, { stride: 1 }).hasSubPixelForm, false);
  grouped.dispose();
}));
