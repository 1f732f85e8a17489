// The encoder models' parts: the U-Net decoder's channel arithmetic and the errors that say what to
// set, the head modules and the gate by hand, and encoder-unet's state-dict keys (weights files saved
// before the decoder and heads were split out must still load).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../src/torch/index.js';
import { UNetDecoder, type UNetDecoderOptions } from '../src/models/decoders/unet.js';
import { gateMask } from '../src/models/heads.js';
import { createModel } from '../src/models/registry.js';

const plain: UNetDecoderOptions = { encoderChannels: [4, 8, 16], decoderChannels: [8, 4, 2], upsample: 'bilinear', scse: false, center: 'none', hypercolumn: false };
const shapes = (d: UNetDecoder) => Object.fromEntries([...d.stateDict()].filter(([k]) => k.endsWith('conv1.conv.weight')).map(([k, t]) => [k, t.shape]));

test('the U-Net decoder: each block reads the previous width plus its skip, and meets the skip\'s size', () => {
  const d = new UNetDecoder({ ...plain, hypercolumn: true });
  // Block 1 reads the deepest map (16) and the next one (8); block 3 has no skip left.
  assert.deepEqual(shapes(d), { 'decoder1.conv1.conv.weight': [8, 16 + 8, 3, 3], 'decoder2.conv1.conv.weight': [4, 8 + 4, 3, 3], 'decoder3.conv1.conv.weight': [2, 4, 3, 3] });
  assert.deepEqual(d.blockChannels, [8, 4, 2]);
  assert.equal(d.outChannels, 8 + 4 + 2);
  const feats = [T.rand([2, 4, 16, 16]), T.rand([2, 8, 8, 8]), T.rand([2, 16, 4, 4])];
  const base = T.liveTensors();
  const out = d.call(feats, [32, 32]);
  assert.deepEqual(out.blocks.map((t) => t.shape), [[2, 8, 8, 8], [2, 4, 16, 16], [2, 2, 32, 32]]);
  assert.deepEqual(out.features.shape, [2, 14, 32, 32]);
  assert.equal(T.liveTensors(), base + 4, 'only the three blocks and the hypercolumn outlive the call');
  // A center reads the deepest map and hands block 1 its first width.
  const centred = new UNetDecoder({ ...plain, center: 'plain' });
  assert.deepEqual(centred.stateDict().get('center.conv1.conv.weight')!.shape, [8, 16, 3, 3]);
  assert.deepEqual(shapes(centred)['decoder1.conv1.conv.weight'], [8, 8 + 8, 3, 3]);
  assert.equal(centred.outChannels, 2);
});

test('the decoder\'s errors say what to set', () => {
  assert.throws(() => new UNetDecoder({ ...plain, decoderChannels: [8, 4] }),
    /decoderChannels needs 3 entries for an encoder with 3 feature maps \(one per feature map, deepest first\), got 2; for example decoderChannels: \[256, 128, 64\]/);
  assert.throws(() => createModel('encoder-unet', { encoder: 'resnet18', decoderChannels: [8] }),
    /decoderChannels needs 5 entries for resnet18 .*got 1; for example decoderChannels: \[256, 128, 64, 32, 16\]/);
  assert.throws(() => new UNetDecoder({ ...plain, decoderChannels: [8, 0, 2] }), /decoderChannels\[1\] must be a positive whole number of channels, got 0/);
  assert.throws(() => new UNetDecoder({ ...plain, center: 'big' as 'fpa' }), /center must be none, plain or fpa, got 'big'/);
  assert.throws(() => new UNetDecoder({ ...plain, upsample: 'nearest' as 'bilinear' }), /upsample must be bilinear or transpose, got 'nearest'/);
});

test('gateMask by hand: multiply gives logit(σ(m)·σ(s)), threshold empties tiles below it', () => {
  const mask = T.fromArray(new Float32Array([0, 2, -1, 3]), [2, 1, 1, 2]);
  const salt = T.fromArray(new Float32Array([0, -5]), [2, 1]); // σ: 0.5, 0.0067
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const logit = (p: number) => Math.log(p / (1 - p));
  const mul = gateMask(mask, salt, 'multiply', 0.5).toNumbers();
  const want = [logit(sig(0) * 0.5), logit(sig(2) * 0.5), logit(sig(-1) * sig(-5)), logit(sig(3) * sig(-5))];
  mul.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4, `multiply ${i}: ${v} vs ${want[i]}`));
  assert.deepEqual([...gateMask(mask, salt, 'threshold', 0.5).toArray()], [0, 2, -30, -30]);
  assert.deepEqual([...gateMask(mask, salt, 'threshold', 0.005).toArray()], [0, 2, -1, 3]);
  assert.equal(gateMask(mask, salt, 'none', 0.5), mask);
});

test('encoder-unet keeps the state-dict keys its weights files were saved with', () => {
  const m = createModel('encoder-unet', {
    encoder: 'resnet18', decoderChannels: [8, 8, 8, 8, 8], upsample: 'transpose', center: 'plain', scse: true, hypercolumn: true,
    deepSupervision: true, classifier: true, gate: 'multiply',
  });
  const keys = [...m.stateDict().keys()];
  const prefixes: string[] = [];
  for (const k of keys.filter((k) => !k.startsWith('encoder.'))) {
    const p = k.slice(0, k.lastIndexOf('.'));
    if (prefixes.at(-1) !== p) prefixes.push(p);
  }
  const block = (k: number) => [`decoder${k}.up`, ...['conv1', 'conv2'].flatMap((c) => [`decoder${k}.${c}.conv`, `decoder${k}.${c}.bn`]),
    `decoder${k}.scse.cse_fc1`, `decoder${k}.scse.cse_fc2`, `decoder${k}.scse.sse`];
  assert.deepEqual(prefixes, [
    'center.conv1.conv', 'center.conv1.bn', 'center.conv2.conv', 'center.conv2.bn', ...[1, 2, 3, 4, 5].flatMap(block),
    'head_conv.conv', 'head_conv.bn', 'head', 'aux1', 'aux2', 'aux3', 'aux4', 'classifier',
  ]);
  assert.equal(keys.length, 250);
  assert.ok(keys.slice(0, 120).every((k) => k.startsWith('encoder.')), 'the encoder comes first');
});
