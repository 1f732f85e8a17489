// Every differentiable op's gradient against central finite differences in float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../src/torch/index.js';
import { gradcheck } from './helpers/gradcheck.js';

const F = T.F;
const s = (...shape: number[]) => ({ shape });
const pos = (...shape: number[]) => ({ shape, low: 0.5, high: 2 });

test('elementwise arithmetic', () => {
  gradcheck('add', ([a, b]) => a!.add(b!, 0.7), [s(3, 4), s(4)]);
  gradcheck('sub', ([a, b]) => a!.sub(b!), [s(3, 4), s(3, 1)]);
  gradcheck('mul', ([a, b]) => a!.mul(b!), [s(3, 4), s(3, 4)]);
  gradcheck('div', ([a, b]) => a!.div(b!), [s(3, 4), pos(3, 4)]);
  gradcheck('pow tensor', ([a, b]) => a!.pow(b!), [pos(5), s(5)]);
  gradcheck('pow scalar', ([a]) => a!.pow(3), [s(5)]);
  gradcheck('neg/abs', ([a]) => a!.neg().abs(), [s(6)]);
  gradcheck('rsub', ([a]) => a!.rsub(2), [s(4)]);
  gradcheck('maximum/minimum', ([a, b]) => a!.maximum(b!).add(a!.minimum(b!).mul(2)), [s(6), s(6)]);
});

test('unary math and activations', () => {
  gradcheck('exp', ([a]) => a!.exp(), [s(2, 3)]);
  gradcheck('log', ([a]) => a!.log(), [pos(2, 3)]);
  gradcheck('log1p', ([a]) => a!.log1p(), [pos(4)]);
  gradcheck('sqrt', ([a]) => a!.sqrt(), [pos(4)]);
  gradcheck('rsqrt', ([a]) => a!.rsqrt(), [pos(4)]);
  gradcheck('sigmoid', ([a]) => a!.sigmoid(), [s(2, 3)]);
  gradcheck('tanh', ([a]) => a!.tanh(), [s(2, 3)]);
  gradcheck('relu', ([a]) => a!.relu(), [s(3, 4)]);
  gradcheck('elu', ([a]) => a!.elu(1.0), [s(3, 4)]);
  gradcheck('leakyRelu', ([a]) => a!.leakyRelu(0.1), [s(3, 4)]);
  gradcheck('softmax', ([a]) => a!.softmax(1), [s(2, 5)]);
  gradcheck('logSoftmax', ([a]) => a!.logSoftmax(-1), [s(2, 5)]);
  gradcheck('clamp', ([a]) => a!.clamp(-0.5, 0.5), [s(10)]);
  gradcheck('where', ([a, b]) => T.where(a!.gt(0), a!.mul(2), b!.exp()), [s(8), s(8)]);
});

test('reductions and linear algebra', () => {
  gradcheck('sum all', ([a]) => a!.sum(), [s(3, 4)]);
  gradcheck('sum dims keepdim', ([a]) => a!.sum([0, 2], true), [s(2, 3, 4)]);
  gradcheck('mean dim', ([a]) => a!.mean(1), [s(3, 4)]);
  gradcheck('var', ([a]) => a!.var(1), [s(3, 4)]);
  gradcheck('max all', ([a]) => a!.max(), [s(7)]);
  gradcheck('max dim', ([a]) => a!.max(1).values, [s(3, 4)]);
  gradcheck('min dim', ([a]) => a!.min(0, true).values, [s(3, 4)]);
  gradcheck('amax', ([a]) => a!.amax([1]), [s(3, 4)]);
  gradcheck('cumsum', ([a]) => a!.cumsum(1), [s(3, 4)]);
  gradcheck('sort values', ([a]) => a!.sort(0, true).values, [s(9)]);
  gradcheck('matmul', ([a, b]) => a!.matmul(b!), [s(2, 3, 4), s(4, 5)]);
  gradcheck('dot', ([a, b]) => a!.dot(b!), [s(6), s(6)]);
  gradcheck('norm', ([a]) => a!.norm(), [s(6)]);
  const idx = T.tensor([[2, 0, 1], [1, 1, 0]], { dtype: 'int64' });
  gradcheck('gather', ([a]) => a!.gather(1, idx), [s(2, 3)]);
});

test('layout ops', () => {
  gradcheck('reshape/view', ([a]) => a!.reshape(4, 3).view(2, 6).mul(a!.reshape(2, 6)), [s(3, 4)]);
  gradcheck('permute/contiguous', ([a]) => a!.permute(2, 0, 1).contiguous(), [s(2, 3, 4)]);
  gradcheck('transpose', ([a]) => a!.transpose(0, 1), [s(2, 3)]);
  gradcheck('slice step', ([a]) => a!.slice(1, 1, 6, 2), [s(2, 7)]);
  gradcheck('select/narrow', ([a]) => a!.select(0, 1).narrow(0, 1, 2), [s(3, 4)]);
  gradcheck('index', ([a]) => a!.index(null, [1, 3], 0), [s(2, 4, 3)]);
  gradcheck('indexSelect', ([a]) => a!.indexSelect(0, T.tensor([2, 0, 2], { dtype: 'int64' })), [s(3, 2)]);
  gradcheck('masked', ([a]) => a!.maskedSelect(a!.gt(0)), [s(10)]);
  gradcheck('squeeze/unsqueeze/expand', ([a]) => a!.unsqueeze(0).expand(3, 1, 4).squeeze(1), [s(1, 4)]);
  gradcheck('repeat', ([a]) => a!.repeat(2, 3), [s(2, 2)]);
  gradcheck('cat', ([a, b]) => T.cat([a!, b!], 1), [s(2, 3), s(2, 2)]);
  gradcheck('stack', ([a, b]) => T.stack([a!, b!], 0), [s(2, 3), s(2, 3)]);
  gradcheck('flip', ([a]) => a!.flip(-1), [s(2, 5)]);
  gradcheck('pad constant', ([a]) => F.pad(a!, [1, 2, 0, 1], 'constant', 0.5), [s(1, 1, 3, 3)]);
  gradcheck('pad reflect', ([a]) => F.pad(a!, [2, 1, 1, 2], 'reflect'), [s(1, 2, 4, 4)]);
  gradcheck('pad replicate', ([a]) => F.pad(a!, [1, 1, 2, 0], 'replicate'), [s(1, 1, 3, 4)]);
});

test('network ops', () => {
  gradcheck('conv2d', ([x, w, b]) => F.conv2d(x!, w!, b!, { padding: 1 }), [s(2, 2, 5, 5), s(3, 2, 3, 3), s(3)]);
  gradcheck('conv2d stride/dilation/groups', ([x, w]) => F.conv2d(x!, w!, null, { stride: 2, padding: [2, 1], dilation: 2, groups: 2 }),
    [s(1, 4, 7, 6), s(2, 2, 3, 3)]);
  gradcheck('convTranspose2d', ([x, w, b]) => F.convTranspose2d(x!, w!, b!, { stride: 2, padding: 1, outputPadding: 1 }),
    [s(1, 2, 3, 3), s(2, 3, 3, 3), s(3)]);
  gradcheck('convTranspose2d dilation/groups', ([x, w]) => F.convTranspose2d(x!, w!, null, { stride: 2, dilation: 2, groups: 2 }),
    [s(1, 4, 3, 3), s(4, 1, 2, 2)]);
  gradcheck('linear', ([x, w, b]) => F.linear(x!, w!, b!), [s(3, 4), s(2, 4), s(2)]);
  gradcheck('batchNorm training', ([x, g, b]) => F.batchNorm(x!, null, null, { weight: g, bias: b, training: true }),
    [s(3, 2, 2, 2), pos(2), s(2)]);
  gradcheck('batchNorm eval', ([x, g, b]) => T.tidy(() => {
    const rm = T.tensor([0.1, -0.2], { dtype: 'float64' });
    const rv = T.tensor([0.5, 2], { dtype: 'float64' });
    return F.batchNorm(x!, rm, rv, { weight: g, bias: b, training: false });
  }), [s(2, 2, 2, 2), pos(2), s(2)]);
  gradcheck('maxPool2d', ([x]) => F.maxPool2d(x!, 2), [s(1, 2, 4, 5)]);
  gradcheck('maxPool2d stride/pad', ([x]) => F.maxPool2d(x!, 3, { stride: 2, padding: 1 }), [s(1, 1, 5, 5)]);
  gradcheck('avgPool2d', ([x]) => F.avgPool2d(x!, 2, { stride: 1 }), [s(1, 2, 3, 4)]);
  gradcheck('adaptiveAvgPool2d', ([x]) => F.adaptiveAvgPool2d(x!, [2, 3]), [s(1, 2, 5, 7)]);
  gradcheck('adaptiveMaxPool2d', ([x]) => F.adaptiveMaxPool2d(x!, 2), [s(1, 2, 5, 5)]);
  gradcheck('interpolate nearest', ([x]) => F.interpolate(x!, { size: [5, 7], mode: 'nearest' }), [s(1, 1, 3, 3)]);
  gradcheck('interpolate bilinear', ([x]) => F.interpolate(x!, { scaleFactor: 2, mode: 'bilinear' }), [s(1, 2, 3, 3)]);
  gradcheck('interpolate bilinear aligned', ([x]) => F.interpolate(x!, { size: 5, mode: 'bilinear', alignCorners: true }), [s(1, 1, 3, 4)]);
  gradcheck('affineGrid + gridSample', ([x, th]) => F.gridSample(x!, F.affineGrid(th!, [1, 1, 4, 4]), { paddingMode: 'border' }),
    [s(1, 1, 4, 4), { shape: [1, 2, 3], data: [0.73, 0.11, 0.093, -0.12, 0.81, -0.067] }]);
  gradcheck('bceWithLogits', ([x, y]) => F.bceWithLogits(x!, y!), [s(2, 5), { shape: [2, 5], low: 0, high: 1 }]);
  gradcheck('bceWithLogits posWeight', ([x]) => F.bceWithLogits(x!, T.full([4], 1, { dtype: 'float64' }), {
    posWeight: T.tensor([3], { dtype: 'float64' }), reduction: 'sum' }), [s(4)]);
  gradcheck('dropout (seeded)', ([x]) => { T.manualSeed(3); return F.dropout(x!, 0.4, true); }, [s(20)]);
  gradcheck('dropout2d (seeded)', ([x]) => { T.manualSeed(3); return F.dropout2d(x!, 0.5, true); }, [s(2, 4, 2, 2)]);
});

test('no-grad scope, detach and grad accumulation', () => {
  T.tidy(() => {
    const a = T.tensor([1, 2, 3], { requiresGrad: true });
    const b = T.noGrad(() => a.mul(2));
    assert.equal(b.requiresGrad, false);
    assert.equal(T.isGradEnabled(), true);
    assert.equal(a.mul(2).detach().requiresGrad, false);
    a.mul(a).sum().backward();
    a.mul(3).sum().backward();
    assert.deepEqual(Array.from(a.grad!.toArray()), [5, 7, 9]); // 2a + 3 accumulated
    a.grad = null;
    assert.equal(a.grad, null);
    assert.equal(a.isLeaf, true);
    assert.throws(() => T.noGrad(() => a.mul(2)).sum().backward(), /does not require grad/);
  });
});
