// Encoders against torchvision/pretrainedmodels: parameter counts, feature shapes, and a state dict
// written by PyTorch under torchvision's names loading as is (same features as PyTorch computes).
// Decoder parts: scSE by hand, FPA shapes, hypercolumns, deep supervision and the salt gate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '../src/torch/index.js';
import { createEncoder, loadEncoderWeights } from '../src/models/encoders/index.js';
import { FPA, SCSE } from '../src/models/blocks.js';
import { predictTiles } from '../src/infer/predict.js';
import { EncoderUNet } from '../src/models/encoder-unet.js';
import { createModel } from '../src/models/registry.js';
import { Conv2d, Linear } from '../src/nn/layers.js';
import { StateDictError } from '../src/nn/module.js';

const dir = mkdtempSync(join(tmpdir(), 'halite-enc-'));
const python = '/usr/bin/python3';
const peer = join(import.meta.dirname, '..', 'bench', 'peer', 'encoders.py');

// torchvision's and pretrainedmodels' published parameter counts (1000-class ImageNet heads).
const PUBLISHED: Record<string, number> = {
  resnet18: 11_689_512, resnet34: 21_797_672, resnet50: 25_557_032, se_resnext50_32x4d: 27_559_896, se_resnext101_32x4d: 48_955_416,
};

test('each encoder has its published parameter count and the expected feature maps', () => {
  for (const [name, n] of Object.entries(PUBLISHED)) {
    const full = createEncoder(name, { numClasses: 1000 });
    assert.equal(full.numParameters(), n, name);
    full.dispose();
  }
  const expect: Record<string, string> = {
    resnet34: '64x64 64x32 128x16 256x8 512x4',
    resnet50: '64x64 256x32 512x16 1024x8 2048x4',
    se_resnext50_32x4d: '64x64 256x32 512x16 1024x8 2048x4',
    resnet34_3x3: '64x128 64x128 128x64 256x32 512x16',
  };
  for (const [name, shapes] of Object.entries(expect)) {
    const e = createEncoder(name, { inChannels: 1 });
    const f = T.tidy(() => e.features(T.rand([1, 1, 128, 128])).map((t) => `${t.size(1)}x${t.size(2)}`).join(' '));
    assert.equal(f, shapes, name);
    assert.deepEqual(e.channels, f.split(' ').map((s) => Number(s.split('x')[0])), `${name} channels`);
    assert.deepEqual(e.reductions, f.split(' ').map((s) => 128 / Number(s.split('x')[1])), `${name} reductions`);
    e.dispose();
  }
  // The 3x3 stem replaces a 64x3x7x7 conv by 64x3x3x3: 9,408 - 1,728 = 7,680 fewer.
  assert.equal(createEncoder('resnet34_3x3', { numClasses: 1000 }).numParameters(), 21_797_672 - 7_680);
});

function peerSave(name: string): { file: string; x: T.Tensor; y: T.Tensor } {
  const file = join(dir, `${name}.safetensors`), xin = join(dir, `${name}.x`), yout = join(dir, `${name}.y`);
  const r = spawnSync(python, [peer, 'save', name, file, xin, yout], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { shape } = JSON.parse(r.stdout.trim()) as { shape: number[] };
  const floats = (p: string) => new Float32Array(new Uint8Array(readFileSync(p)).buffer);
  return { file, x: T.fromArray(floats(xin), [2, 1, 64, 64]), y: T.fromArray(floats(yout), shape) };
}

for (const name of ['resnet34', 'se_resnext50_32x4d']) {
  test(`a PyTorch state dict with ${name}'s torchvision/pretrainedmodels names loads into a grey encoder`, { skip: !existsSync(python) }, () => {
    const { file, x, y } = peerSave(name);
    const e = createEncoder(name, { inChannels: 1 });
    const { skipped } = loadEncoderWeights(e, file);
    assert.deepEqual(skipped.sort(), name === 'resnet34' ? ['fc.bias', 'fc.weight'] : ['last_linear.bias', 'last_linear.weight']);
    e.eval();
    // The summed RGB stem on a grey tile equals the RGB network on that tile repeated three times.
    const got = T.tidy(() => T.noGrad(() => e.features(x).pop()!));
    assert.deepEqual(got.shape, y.shape);
    assert.ok(got.allclose(y, 1e-4, 1e-4), `max difference ${got.sub(y).abs().max().item()}`);
    e.dispose();
  });
}

test('the 3x3-stem variant keeps its own stem; a mismatched file is refused naming it', { skip: !existsSync(python) }, () => {
  const file = join(dir, 'resnet34.safetensors');
  if (!existsSync(file)) peerSave('resnet34');
  const v = createEncoder('resnet34_3x3', { inChannels: 1 });
  assert.ok(loadEncoderWeights(v, file).skipped.includes('conv1.weight'));
  const r50 = createEncoder('resnet50', { inChannels: 1 });
  assert.throws(() => loadEncoderWeights(r50, file), (e: Error) => e instanceof StateDictError && e.message.startsWith(file) && /layer1\.0\.conv3\.weight/.test(e.message));
  assert.throws(() => loadEncoderWeights(r50, join(dir, 'nope.safetensors')), /nope\.safetensors: encoder weights file not found/);
});

test('scSE by hand: zero convolutions gate each pixel by 0.5 + 0.5', () => {
  const m = new SCSE(8, 4);
  T.noGrad(() => { for (const [, c] of m.namedModules()) if (c instanceof Conv2d) { c.weight.zero_(); c.bias?.zero_(); } });
  const x = T.randn([2, 8, 5, 5]);
  assert.ok(m.forward(x).allclose(x, 1e-6, 1e-6));
  // A spatial gate bias of -inf-ish shuts the sSE half: out = 0.5·x.
  T.noGrad(() => (m.stateDict().get('sse.bias')!).fill_(-50));
  assert.ok(m.forward(x).allclose(x.mul(0.5), 1e-6, 1e-6));
});

test('FPA keeps the input size down to 4x4 maps', () => {
  for (const s of [4, 8, 13]) {
    const y = new FPA(32, 16).forward(T.randn([2, 32, s, s]));
    assert.deepEqual(y.shape, [2, 16, s, s]);
  }
});

const small = { encoder: 'resnet18', decoderChannels: [64, 32, 16, 8, 8] };

test('encoder-unet: hypercolumns, deep supervision and the classifier give full-size outputs', () => {
  for (const input of ['pad', 'resize'] as const) {
    const m = new EncoderUNet({ ...small, scse: true, center: 'fpa', hypercolumn: true, classifier: true, deepSupervision: true, input });
    const o = m.forwardHeads(T.rand([2, 1, 101, 101]));
    assert.deepEqual(o.mask.shape, [2, 1, 101, 101]);
    assert.deepEqual(o.salt!.shape, [2, 1]);
    assert.deepEqual(o.aux.map((t) => t.shape), Array(4).fill([2, 1, 101, 101]));
  }
  assert.throws(() => createModel('encoder-unet', { encoder: 'resnet18', decoderChannels: [8] }), /decoderChannels needs 5 entries for resnet18/);
  assert.throws(() => createModel('encoder-unet', { gate: 'threshold' }), /needs classifier: true/);
});

test('dropout is on in training and off in eval: two eval passes agree, two training passes do not', () => {
  const m = new EncoderUNet({ ...small, classifier: true, dropout: 0.5 });
  const x = T.rand([2, 1, 101, 101]);
  const twice = () => T.noGrad(() => [m.forwardHeads(x), m.forwardHeads(x)]);
  m.train();
  const [a, b] = twice();
  assert.ok(!a!.mask.equal(b!.mask) && !a!.salt!.equal(b!.salt!), 'training: dropout draws differ');
  m.eval();
  const [c, d] = twice();
  assert.ok(c!.mask.equal(d!.mask) && c!.salt!.equal(d!.salt!), 'eval: deterministic');
});

test('the gate empties masks when the classifier says no salt', () => {
  const m = new EncoderUNet({ ...small, classifier: true, gate: 'threshold' });
  m.eval();
  const cls = [...m.namedModules()].find(([n]) => n === 'classifier')![1] as Linear;
  const x = T.rand([2, 1, 101, 101]);
  const set = (b: number) => T.noGrad(() => { cls.weight.zero_(); cls.bias!.fill_(b); });
  set(-10); // salt probability 4.5e-5
  const raw = m.forwardHeads(x).mask;
  assert.ok(m.forward(x).sigmoid().max().item() < 1e-12, 'threshold gate: every pixel empty');
  set(10);
  assert.ok(m.forward(x).equal(raw), 'confident salt: the mask passes unchanged');
  const mul = new EncoderUNet({ ...small, classifier: true, gate: 'multiply' });
  mul.loadStateDict(m.stateDict());
  mul.eval();
  const mulCls = [...mul.namedModules()].find(([n]) => n === 'classifier')![1] as Linear;
  T.noGrad(() => { mulCls.weight.zero_(); mulCls.bias!.fill_(Math.log(0.25 / 0.75)); }); // salt probability 0.25
  const expected = raw.sigmoid().mul(0.25);
  assert.ok(mul.forward(x).sigmoid().allclose(expected, 1e-4, 1e-6), 'multiply gate: p·0.25');
});

test('predictTiles gives the ungated mask (flip-averaged) and the salt probability, leaving the gate alone', () => {
  const m = new EncoderUNet({ ...small, classifier: true, gate: 'threshold', gateThreshold: 0.5 });
  m.eval();
  const cls = [...m.namedModules()].find(([n]) => n === 'classifier')![1] as Linear;
  T.noGrad(() => { cls.weight.zero_(); cls.bias!.fill_(-3); }); // salt probability σ(-3) on every tile, below the gate
  const images = new Float32Array(3 * 101 * 101).map((_, i) => Math.sin(i * 0.37));
  const { probs, salt } = predictTiles(m, images, { batchSize: 2 });
  const expected = T.noGrad(() => {
    const x = T.fromArray(images, [3, 1, 101, 101]);
    const a = m.forwardHeads(x).mask.sigmoid(), b = m.forwardHeads(x.flip(3)).mask.sigmoid().flip(3);
    return a.add(b).div(2).toArray() as Float32Array;
  });
  assert.equal(probs.length, expected.length);
  let worst = 0;
  for (let i = 0; i < probs.length; i++) worst = Math.max(worst, Math.abs(probs[i]! - expected[i]!));
  assert.ok(worst < 1e-5, `mask probabilities differ by ${worst}`);
  assert.ok(Math.max(...probs) > 0.01, 'the mask is not gated');
  assert.deepEqual([...salt!].map((v) => v.toFixed(6)), Array(3).fill((1 / (1 + Math.exp(3))).toFixed(6)));
  assert.equal(m.gateThreshold, 0.5);
});
