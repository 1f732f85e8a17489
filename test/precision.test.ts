// Mixed precision (bfloat16 autocast): convolutions really run in bfloat16, a weight update between
// two autocast forwards is seen by the second (autocast's cache of bfloat16 weight copies is cleared),
// and the seed's residual U-Net on real tiles gives PyTorch's own autocast loss and gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '../src/torch/index.js';
import * as nn from '../src/nn/index.js';
import { readCsv } from '../src/data/csv.js';
import { decodeImages, decodeMasks } from '../src/data/decode-pool.js';
import { ResUNet } from '../src/models/resunet.js';
import { makeLoss, type Loss } from '../src/losses/index.js';
import { loadSafetensors, loadWeights } from '../src/io/index.js';
import { objective } from '../src/train/objective.js';

const TGS = join(import.meta.dirname, '..', '..', 'shared', 'tgs');
const heads = { classifier: 0.1, deepSupervision: 0.1 };
const python = '/usr/bin/python3';
const peer = join(import.meta.dirname, '..', 'bench', 'peer', 'resunet_grads.py');
const dir = mkdtempSync(join(tmpdir(), 'halite-amp-'));
// Tolerances come from the precision under test, not from one machine's measurements: the unit
// roundoff u (half an ulp at 1) is 2^-24 for float32 and 2^-8 for bfloat16's 8-bit significand.
const unitRoundoff: Record<T.Precision, number> = { fp32: 2 ** -24, bf16: 2 ** -8 };
/** Relative bound for a loss that is the mean of `terms` values computed at `precision`: one unit
 * roundoff of the forward's precision, but never below the pairwise summation bound of its fp32
 * reduction, ceil(log2 n)·u (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., §4.2). */
const lossTolerance = (precision: T.Precision, terms: number) =>
  Math.max(unitRoundoff[precision], Math.ceil(Math.log2(terms)) * unitRoundoff.fp32);

test('bf16 autocast runs convolutions in bfloat16 and leaves the rest of the graph alone', () => {
  const conv = new nn.Conv2d(1, 4, 3, { padding: 1 });
  const x = T.rand([2, 1, 8, 8]);
  const y = T.autocast('cpu', 'bf16', () => conv.forward(x));
  assert.equal(y.dtype, 'bfloat16');
  assert.equal(T.autocast('cpu', 'fp32', () => conv.forward(x)).dtype, 'float32');
  assert.equal(conv.forward(x).dtype, 'float32', 'autocast is off again after the scope');
  assert.equal(conv.weight.dtype, 'float32', 'weights stay fp32');
});

test('a weight update between two autocast forwards reaches the second', () => {
  const conv = new nn.Conv2d(1, 1, 1, { bias: false });
  const x = T.ones([1, 1, 2, 2]);
  const run = () => T.autocast('cpu', 'bf16', () => conv.forward(x).float().sum()).item();
  T.noGrad(() => conv.weight.copy_(T.full([1, 1, 1, 1], 0.5)));
  assert.equal(run(), 2);
  T.noGrad(() => conv.weight.copy_(T.full([1, 1, 1, 1], 0.25)));
  assert.equal(run(), 1, 'a stale bfloat16 copy of the weight would give 2 again');
});

test('resunet on real tiles: fp32 and bf16 losses and gradients equal PyTorch autocast on the same weights', { skip: (!existsSync(TGS) && 'no ../shared/tgs') || (!existsSync(python) && 'no python3-torch') }, async () => {
  const n = 4, px = 101 * 101;
  // Salty tiles (a non-empty RLE in train.csv), so the Lovász loss has errors to sort on every image; only these are decoded.
  const salty = readCsv(join(TGS, 'train.csv'), ['id', 'rle_mask']).filter((r) => r.fields.rle_mask !== '').slice(0, n).map((r) => r.fields.id!);
  assert.equal(salty.length, n);
  const images = await decodeImages(salty.map((id) => join(TGS, 'train', 'images', `${id}.png`)));
  const masks = new Float32Array(await decodeMasks(salty.map((id) => join(TGS, 'train', 'masks', `${id}.png`))));
  assert.ok(masks.subarray(0, px).some((v) => v > 0), 'the first tile has salt');
  const xs = join(dir, 'x.bin'), ys = join(dir, 'y.bin'), w = join(dir, 'w.safetensors');
  writeFileSync(xs, images);
  writeFileSync(ys, masks);
  const x = T.fromArray(images, [n, 1, 101, 101]), y = T.fromArray(masks, [n, 1, 101, 101]);
  const model = new ResUNet({ dropout: 0 });
  model.train();
  const halite = (loss: Loss, precision: T.Precision) => {
    model.zeroGrad();
    const l = objective(model, loss, x, y, heads, { precision, device: 'cpu' });
    assert.equal(l.dtype, 'float32', 'the loss is taken in fp32');
    l.backward();
    return { loss: l.item(), grads: new Map([...model.namedParameters()].map(([k, p]) => [k, p.grad!.clone()])) };
  };
  const bceLoss: Partial<Record<T.Precision, number>> = {};
  for (const precision of ['fp32', 'bf16'] as const) {
    const g = join(dir, `g-${precision}.safetensors`);
    // The same intra-op thread count on both sides: bfloat16 results depend on the reduction order.
    const r = spawnSync(python, [peer, xs, ys, String(n), precision, w, g, String(T.getNumThreads())], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout.trim()) as { loss: number };
    loadWeights(w, model);
    const got = halite(makeLoss('bce'), precision);
    bceLoss[precision] = got.loss;
    // Measured with 8 tiles: 8.5e-8 relative in fp32; in bf16 1.9e-5 on AVX512-BF16 and 1.4e-4 on an
    // AVX2-only CPU, where libtorch takes another bfloat16 convolution path (both well inside 2^-8). With
    // these 4 tiles the AVX2-only CPU gave PyTorch's loss and gradients to the bit in both precisions.
    const tol = lossTolerance(precision, n * px);
    assert.ok(Math.abs(got.loss - ref.loss) <= tol * ref.loss, `${precision}: loss ${got.loss} vs PyTorch ${ref.loss} (relative ${Math.abs(got.loss - ref.loss) / ref.loss}, bound ${tol})`);
    const refGrads = loadSafetensors(g).tensors;
    const all = T.cat([...refGrads.values()].map((t) => t.flatten())).norm().item();
    let worst = 0;
    for (const [k, t] of got.grads) {
      // Relative to the parameter's own gradient, with a floor: conv biases before batch norm have
      // gradients that are zero but for rounding.
      const ref = refGrads.get(k)!;
      const e = t.sub(ref).norm().item() / (ref.norm().item() + 1e-3 * all);
      if (e > worst) worst = e;
    }
    // Batch norm's backward amplifies summation-order differences: 6e-3 of a gradient's norm in fp32,
    // whatever the precision, so the bound is that conditioning floor (0.02) plus the precision's own
    // roundoff. Without autocast the bf16 side is off by ~1.
    const gradTol = 0.02 + unitRoundoff[precision];
    assert.ok(worst < gradTol, `${precision}: a gradient differs from PyTorch's by ${worst} of its norm (bound ${gradTol})`);
  }
  // And bfloat16 keeps each loss within a few of its unit roundoffs (4u = 1.6%) of the fp32 value,
  // yet not equal to it, which would mean autocast did nothing.
  const lovasz = { fp32: halite(makeLoss('lovasz'), 'fp32').loss, bf16: halite(makeLoss('lovasz'), 'bf16').loss };
  for (const [loss, [a, b]] of [['bce', [bceLoss.fp32!, bceLoss.bf16!]], ['lovasz', [lovasz.fp32, lovasz.bf16]]] as const) {
    assert.ok(Math.abs(a - b) < 4 * unitRoundoff.bf16 * a && a !== b, `${loss}: fp32 ${a} vs bf16 ${b}`);
  }
  model.dispose();
});
