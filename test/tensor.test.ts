// Tensor creation, dtypes, layout and math against hand-computed values; errors never crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../src/torch/index.js';

const F = T.F;
const arr = (t: T.Tensor) => t.toNumbers();

test('typed array round trips in every dtype', () => {
  T.tidy(() => {
    const f32 = T.fromArray(new Float32Array([1.5, -2, 3.25, 4, 5, 6]), [2, 3]);
    assert.deepEqual(f32.shape, [2, 3]);
    assert.equal(f32.dtype, 'float32');
    assert.deepEqual(Array.from(f32.toArray()), [1.5, -2, 3.25, 4, 5, 6]);
    assert.deepEqual(T.fromArray(new Float64Array([0.1, 0.2])).toArray(), new Float64Array([0.1, 0.2]));
    assert.deepEqual(T.fromArray(new BigInt64Array([2n ** 40n, -3n])).toArray(), new BigInt64Array([2n ** 40n, -3n]));
    assert.deepEqual(T.fromArray(new Uint8Array([0, 255])).toArray(), new Uint8Array([0, 255]));
    const b = T.fromArray([1, 0, 1], [3], { dtype: 'bool' });
    assert.equal(b.dtype, 'bool');
    assert.deepEqual(arr(b), [1, 0, 1]);
    assert.equal(f32.to('float64').dtype, 'float64');
    assert.deepEqual(arr(f32.to('int64')), [1, -2, 3, 4, 5, 6]);
    assert.throws(() => T.fromArray(new Float32Array(5), [2, 3]), /needs 24 bytes but the array holds 20/);
    assert.deepEqual(T.tensor([[1, 2], [3, 4]]).shape, [2, 2]);
    const shared = new Float32Array(new SharedArrayBuffer(16)).fill(2.5);
    assert.deepEqual(T.fromArray(shared.subarray(1, 3), [2]).toNumbers(), [2.5, 2.5], 'views over shared memory are copied in');
    assert.equal(T.tensor(2.5).item(), 2.5);
  });
});

test('constants, ranges and seeded random draws', () => {
  T.tidy(() => {
    assert.deepEqual(arr(T.zeros([2, 2])), [0, 0, 0, 0]);
    assert.deepEqual(arr(T.ones([3])), [1, 1, 1]);
    assert.deepEqual(arr(T.full([2], 7)), [7, 7]);
    assert.deepEqual(arr(T.arange(5)), [0, 1, 2, 3, 4]);
    assert.equal(T.arange(5).dtype, 'int64');
    assert.deepEqual(arr(T.arange(1, 2, 0.25)), [1, 1.25, 1.5, 1.75]);
    T.manualSeed(42);
    const a = T.rand([100]);
    const an = T.randn([50]);
    T.manualSeed(42);
    assert.ok(a.equal(T.rand([100])));
    assert.ok(an.equal(T.randn([50])));
    const st = T.getRngState();
    const next = T.rand([10]);
    T.setRngState(st);
    assert.ok(next.equal(T.rand([10])), 'restoring the generator state repeats the draws');
    const v = arr(a);
    assert.ok(v.every((x) => x >= 0 && x < 1));
    const m = T.randn([20000]);
    assert.ok(Math.abs(m.mean().item()) < 0.05 && Math.abs(m.var().item() - 1) < 0.05);
    const ri = arr(T.randint(3, 6, [200]));
    assert.ok(ri.every((x) => x >= 3 && x < 6) && new Set(ri).size === 3);
    assert.deepEqual([...arr(T.randperm(6))].sort(), [0, 1, 2, 3, 4, 5]);
  });
});

test('layout: reshape, permute, slicing, indexing, cat, stack, flip', () => {
  T.tidy(() => {
    const t = T.arange(12).reshape(3, 4);
    assert.deepEqual(arr(t.permute(1, 0)), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.equal(t.permute(1, 0).isContiguous(), false);
    assert.equal(t.permute(1, 0).contiguous().isContiguous(), true);
    assert.deepEqual(arr(t.slice(1, 1, 4, 2)), [1, 3, 5, 7, 9, 11]);
    assert.deepEqual(arr(t.select(0, 2)), [8, 9, 10, 11]);
    assert.deepEqual(arr(t.index(1, [1, 3])), [5, 6]);
    assert.deepEqual(arr(t.index(null, 0)), [0, 4, 8]);
    assert.deepEqual(arr(t.index([-2])), [4, 5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual(arr(t.index(T.tensor([2, 0], { dtype: 'int64' }))), [8, 9, 10, 11, 0, 1, 2, 3]);
    assert.deepEqual(arr(t.index(t.gt(8))), [9, 10, 11]);
    assert.deepEqual(arr(T.cat([t.slice(0, 0, 1), t.slice(0, 2, 3)], 0)), [0, 1, 2, 3, 8, 9, 10, 11]);
    assert.deepEqual(T.stack([t, t], 1).shape, [3, 2, 4]);
    assert.deepEqual(arr(t.flip(1).select(0, 0)), [3, 2, 1, 0]);
    assert.deepEqual(arr(t.flip(0, 1).select(0, 0)), [11, 10, 9, 8]);
    assert.deepEqual(t.unsqueeze(0).shape, [1, 3, 4]);
    assert.deepEqual(t.reshape([2, -1]).shape, [2, 6]);
    assert.deepEqual(t.flatten().shape, [12]);
    assert.deepEqual(t.chunk(2, 1).map((c) => c.shape), [[3, 2], [3, 2]]);
  });
});

test('pad: zero, reflect and replicate as hand-computed', () => {
  T.tidy(() => {
    const x = T.tensor([[[1, 2, 3]]]); // 1x1x3: one padded dim takes a 2D or 3D input, as in PyTorch
    assert.deepEqual(arr(F.pad(x, [2, 1], 'constant')), [0, 0, 1, 2, 3, 0]);
    assert.deepEqual(arr(F.pad(x, [2, 1], 'reflect')), [3, 2, 1, 2, 3, 2]);
    assert.deepEqual(arr(F.pad(x, [2, 1], 'replicate')), [1, 1, 1, 2, 3, 3]);
    const tile = T.rand([2, 1, 101, 101]);
    const padded = F.pad(tile, [13, 14, 13, 14], 'reflect');
    assert.deepEqual(padded.shape, [2, 1, 128, 128]);
    assert.ok(padded.slice(2, 13, 114).slice(3, 13, 114).equal(tile), 'cropping the padding gives the tile back');
    assert.throws(() => F.pad(x, [5, 5], 'reflect'), /pad/i);
  });
});

test('channels-last memory format', () => {
  T.tidy(() => {
    const x = T.rand([2, 3, 4, 5]);
    const cl = x.contiguous('channelsLast');
    assert.equal(cl.isContiguous('channelsLast'), true);
    assert.equal(cl.isContiguous(), false);
    assert.deepEqual(cl.strides, [60, 1, 15, 3]);
    assert.ok(cl.equal(x), 'same values, different layout');
    const w = T.rand([4, 3, 3, 3]);
    assert.ok(F.conv2d(cl, w.contiguous('channelsLast')).allclose(F.conv2d(x, w), 1e-5, 1e-5));
  });
});

test('math: arithmetic, comparisons, where, clamp, activations', () => {
  T.tidy(() => {
    const a = T.tensor([1, -2, 3]);
    const b = T.tensor([4, 5, -6]);
    assert.deepEqual(arr(a.add(b)), [5, 3, -3]);
    assert.deepEqual(arr(a.add(b, 2)), [9, 8, -9]);
    assert.deepEqual(arr(a.sub(1)), [0, -3, 2]);
    assert.deepEqual(arr(a.mul(b)), [4, -10, -18]);
    assert.deepEqual(arr(b.div(2)), [2, 2.5, -3]);
    assert.deepEqual(arr(a.pow(2)), [1, 4, 9]);
    assert.deepEqual(arr(a.gt(0)), [1, 0, 1]);
    assert.deepEqual(arr(a.eq(b.add(-3))), [1, 0, 0]);
    assert.deepEqual(arr(a.le(b)), [1, 1, 0]);
    assert.deepEqual(arr(T.where(a.gt(0), a, b)), [1, 5, 3]);
    assert.deepEqual(arr(T.where(a.gt(0), 1, 0)), [1, 0, 1]);
    assert.deepEqual(arr(a.clamp(-1, 2)), [1, -1, 2]);
    assert.deepEqual(arr(a.relu()), [1, 0, 3]);
    assert.ok(Math.abs(a.elu().toNumbers()[1]! - (Math.exp(-2) - 1)) < 1e-6);
    assert.ok(Math.abs(a.sigmoid().toNumbers()[0]! - 1 / (1 + Math.exp(-1))) < 1e-6);
    assert.ok(Math.abs(a.exp().toNumbers()[2]! - Math.exp(3)) < 1e-4);
    assert.ok(Math.abs(T.tensor([Math.E]).log().item() - 1) < 1e-6);
    const sm = T.tensor([[1, 2, 3]]).softmax(1).toNumbers();
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    sm.forEach((v, i) => assert.ok(Math.abs(v - Math.exp(i + 1) / z) < 1e-6));
  });
});

test('reductions, sort, cumsum, gather, matmul, dot', () => {
  T.tidy(() => {
    const t = T.tensor([[3, 1, 2], [9, 7, 8]]);
    assert.equal(t.sum().item(), 30);
    assert.deepEqual(arr(t.sum(0)), [12, 8, 10]);
    assert.deepEqual(t.sum(1, true).shape, [2, 1]);
    assert.deepEqual(arr(t.mean(1)), [2, 8]);
    assert.equal(t.max().item(), 9);
    const m = t.max(1);
    assert.deepEqual(arr(m.values), [3, 9]);
    assert.deepEqual(arr(m.indices), [0, 0]);
    assert.deepEqual(arr(t.argmax(1)), [0, 0]);
    const s = T.tensor([0.3, -1, 2, 0.5]).sort(0, true);
    assert.deepEqual(arr(s.values), [2, 0.5, 0.3, -1].map(Math.fround));
    assert.deepEqual(arr(s.indices), [2, 3, 0, 1]);
    assert.deepEqual(arr(T.tensor([1, 2, 3, 4]).cumsum(0)), [1, 3, 6, 10]);
    assert.deepEqual(arr(t.gather(1, T.tensor([[2], [1]], { dtype: 'int64' }))), [2, 7]);
    assert.deepEqual(arr(T.tensor([[1, 2], [3, 4]]).matmul(T.tensor([[5], [6]]))), [17, 39]);
    assert.equal(T.tensor([1, 2, 3]).dot(T.tensor([4, 5, 6])).item(), 32);
  });
});

test('network ops against hand-computed values', () => {
  T.tidy(() => {
    const x = T.arange(16, undefined, 1, { dtype: 'float32' }).reshape(1, 1, 4, 4);
    assert.deepEqual(arr(F.maxPool2d(x, 2)), [5, 7, 13, 15]);
    assert.deepEqual(arr(F.avgPool2d(x, 2)), [2.5, 4.5, 10.5, 12.5]);
    assert.deepEqual(arr(F.adaptiveAvgPool2d(x, 1)), [7.5]);
    assert.deepEqual(arr(F.adaptiveMaxPool2d(x, 1)), [15]);
    // A 2x2 box kernel sums each window.
    assert.deepEqual(arr(F.conv2d(x, T.ones([1, 1, 2, 2]), null, { stride: 2 })), [10, 18, 42, 50]);
    // Transposed conv with stride 2 and a 1x1 kernel spreads pixels apart.
    assert.deepEqual(arr(F.convTranspose2d(T.tensor([[[[1, 2]]]]), T.full([1, 1, 1, 1], 3), null, { stride: 2 })), [3, 0, 6]);
    // 101 -> 128 -> 101 with nearest keeps the shape contract of the seed's resize.
    const up = F.interpolate(T.rand([1, 1, 101, 101]), { size: 128, mode: 'bilinear' });
    assert.deepEqual(up.shape, [1, 1, 128, 128]);
    assert.deepEqual(arr(F.interpolate(T.tensor([[[[1, 2]]]]), { size: [1, 4], mode: 'nearest' })), [1, 1, 2, 2]);
    // BCE with logits: -(y log σ(x) + (1-y) log(1-σ(x))).
    const bce = F.bceWithLogits(T.tensor([0, 2]), T.tensor([1, 0])).item();
    const want = (Math.log(2) + (2 + Math.log(1 + Math.exp(-2)))) / 2;
    assert.ok(Math.abs(bce - want) < 1e-6);
    // Batch norm in training normalises with the biased batch variance.
    const bn = F.batchNorm(T.tensor([1, 3]).reshape(2, 1, 1, 1), null, null, { training: true, eps: 0 });
    assert.deepEqual(arr(bn), [-1, 1]);
    // Dropout keeps expectation: survivors are scaled by 1/(1-p).
    T.manualSeed(1);
    const d = arr(F.dropout(T.ones([1000]), 0.25));
    assert.ok(d.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
    const kept = d.filter((v) => v > 0).length;
    assert.ok(kept > 700 && kept < 800);
    assert.deepEqual(arr(F.dropout(T.ones([5]), 0.9, false)), [1, 1, 1, 1, 1]);
    T.manualSeed(2);
    const d2 = F.dropout2d(T.ones([1, 64, 3, 3]), 0.5);
    const perChannel = d2.sum([2, 3]).toNumbers();
    assert.ok(perChannel.every((v) => v === 0 || v === 18), 'whole channels are dropped');
  });
});

test('libtorch errors become JS errors, never crashes', () => {
  const a = T.rand([2, 3]);
  assert.throws(() => a.matmul(T.rand([2, 3])), /matmul: mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
  assert.throws(() => a.add(T.rand([4])), /size of tensor a \(3\) must match the size of tensor b \(4\)/);
  assert.throws(() => F.conv2d(T.rand([1, 2, 5, 5]), T.rand([3, 4, 3, 3])), /expected input\[1, 2, 5, 5\] to have 4 channels/);
  assert.throws(() => a.gather(1, T.tensor([[0]])), /gather\(\): Expected dtype int64 for index/);
  assert.throws(() => T.rand([2]).dot(T.rand([2], { dtype: 'float64' })), /dot/);
  assert.throws(() => a.reshape(5), /shape '\[5\]' is invalid for input of size 6/);
  a.dispose();
  assert.equal(a.isDisposed, true);
  assert.throws(() => a.sum(), /tensor was disposed/);
  assert.throws(() => a.shape, /disposed/);
  // A stale handle stays an error even after its slot is reused by a new tensor.
  const fresh = Array.from({ length: 4 }, () => T.zeros([1]));
  assert.throws(() => a.add(1), /tensor was disposed/);
  T.dispose(fresh);
  assert.throws(() => T.fromArray([1], [1], { dtype: 'float16' as T.DType }), /cannot build a float16/);
});

test('in-place random fills leave no native tensor behind', () => {
  // The addon's uniform_/normal_ return a second handle; one left unreleased kept every initialised weight alive.
  const t = T.zeros([1000]);
  const live = T.liveTensors();
  t.uniform_(-1, 1);
  t.normal_(0, 2);
  assert.equal(T.liveTensors(), live);
  t.dispose();
  assert.equal(T.liveTensors(), live - 1);
});

test('tidy disposes intermediates and keeps what it returns', () => {
  const outer = T.tensor([1, 2]);
  let inner: T.Tensor | undefined;
  const kept = T.tidy(() => {
    inner = outer.mul(2);
    const k = T.keep(outer.add(1));
    const r = inner.add(1);
    assert.equal(T.scopeDepth(), 1);
    return { r, k };
  });
  assert.equal(inner!.isDisposed, true);
  assert.equal(kept.r.isDisposed, false);
  assert.equal(kept.k.isDisposed, false);
  assert.deepEqual(arr(kept.r), [3, 5]);
  assert.throws(() => T.tidy(() => { T.rand([2]); throw new Error('boom'); }), /boom/);
  T.dispose([outer, kept]);
  assert.equal(kept.r.isDisposed, true);
  assert.throws(() => T.tidy((async () => 1) as unknown as () => number), /synchronous/);
});
