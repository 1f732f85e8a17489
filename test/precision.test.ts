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
import { readTgs } from '../src/data/tgs.js';
import { ResUNet } from '../src/models/resunet.js';
import { makeLoss, type Loss } from '../src/losses/index.js';
import { loadSafetensors, loadWeights } from '../src/io/index.js';
import { objective } from '../src/train/objective.js';

const TGS = join(import.meta.dirname, '..', '..', 'shared', 'tgs');
const heads = { classifier: 0.1, deepSupervision: 0.1 };
const python = '/usr/bin/python3';
const peer = join(import.meta.dirname, '..', 'bench', 'peer', 'resunet_grads.py');
const dir = mkdtempSync(join(tmpdir(), 'halite-amp-'));

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
  const d = await readTgs(TGS, { test: false });
  const n = 8, px = 101 * 101;
  // Salty tiles, so the Lovász loss has errors to sort on every image.
  const salty = [...Array(d.train.ids.length).keys()].filter((i) => d.train.masks.subarray(i * px, (i + 1) * px).some((v) => v > 0)).slice(0, n);
  assert.equal(salty.length, n);
  const images = new Float32Array(n * px), masks = new Float32Array(n * px);
  salty.forEach((i, k) => { images.set(d.train.images.subarray(i * px, (i + 1) * px), k * px); masks.set(d.train.masks.subarray(i * px, (i + 1) * px), k * px); });
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
  for (const precision of ['fp32', 'bf16'] as const) {
    const g = join(dir, `g-${precision}.safetensors`);
    const r = spawnSync(python, [peer, xs, ys, String(n), precision, w, g], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout.trim()) as { loss: number };
    loadWeights(w, model);
    const got = halite(makeLoss('bce'), precision);
    assert.ok(Math.abs(got.loss - ref.loss) < 1e-5 * ref.loss, `${precision}: loss ${got.loss} vs PyTorch ${ref.loss}`);
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
    // Measured: 6e-3 in fp32 (summation order), 8e-4 in bf16; without autocast the bf16 side is off by ~1.
    assert.ok(worst < (precision === 'fp32' ? 0.02 : 0.01), `${precision}: a gradient differs from PyTorch's by ${worst} of its norm`);
  }
  // And bfloat16 keeps each loss within 1% of its fp32 value.
  for (const loss of ['bce', 'lovasz']) {
    const a = halite(makeLoss(loss), 'fp32').loss, b = halite(makeLoss(loss), 'bf16').loss;
    assert.ok(Math.abs(a - b) < 0.01 * a && a !== b, `${loss}: fp32 ${a} vs bf16 ${b}`);
  }
  model.dispose();
});
