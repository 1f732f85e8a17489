// safetensors: byte-exact round trips, a hand-built file, a Python reader, and corrupt files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as T from '../src/torch/index.js';
import * as nn from '../src/nn/index.js';
import { decodeSafetensors, loadSafetensors, saveSafetensors, saveWeights, loadWeights } from '../src/io/index.js';

const dir = mkdtempSync(join(tmpdir(), 'halite-st-'));

test('a hand-built file decodes to the right tensors and metadata', () => {
  const header = '{"__metadata__":{"model":"x"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  const data = Buffer.alloc(16);
  data.writeFloatLE(1.5, 0);
  data.writeFloatLE(-2, 4);
  data.writeBigInt64LE(7n, 8);
  const { tensors, metadata } = decodeSafetensors(Buffer.concat([len, Buffer.from(header), data]));
  assert.deepEqual(metadata, { model: 'x' });
  assert.deepEqual(tensors.get('a')!.toNumbers(), [1.5, -2]);
  assert.equal(tensors.get('b')!.dtype, 'int64');
  assert.equal(tensors.get('b')!.item(), 7);
});

test('state dict round trip is byte-exact, with metadata in the header', () => {
  T.manualSeed(5);
  const m = new nn.Sequential(new nn.Conv2d(1, 3, 3), new nn.BatchNorm2d(3), new nn.Linear(4, 2));
  const f1 = join(dir, 'a.safetensors');
  saveWeights(f1, m, { model: 'toy', options: { width: 3 }, extra: { threshold: '0.5' } });
  const bytes = readFileSync(f1);
  assert.equal(bytes.readBigUInt64LE(0) % 8n, 0n, 'header padded to 8 bytes');
  const m2 = new nn.Sequential(new nn.Conv2d(1, 3, 3), new nn.BatchNorm2d(3), new nn.Linear(4, 2));
  const meta = loadWeights(f1, m2);
  assert.equal(meta.model, 'toy');
  assert.deepEqual(JSON.parse(meta.options!), { width: 3 });
  assert.equal(meta.threshold, '0.5');
  const f2 = join(dir, 'b.safetensors');
  saveWeights(f2, m2, { model: 'toy', options: { width: 3 }, extra: { threshold: '0.5' } });
  assert.ok(readFileSync(f2).equals(bytes), 'written, read and written again: identical bytes');
  assert.equal(loadSafetensors(f1).tensors.get('1.num_batches_tracked')!.dtype, 'int64');
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary files left');
});

test("Python reads halite's file with the same values", { skip: !existsSync('/usr/bin/python3') }, () => {
  const f = join(dir, 'py.safetensors');
  const t = T.tensor([[1.25, -3], [0.5, 8]]);
  saveSafetensors(f, new Map([['w', t], ['n', T.tensor([3, 4], { dtype: 'int64' })]]), { model: 'py' });
  // An independent reader: struct + json, as the format's spec describes.
  const py = `
import json, struct, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
d = b[8 + n:]
w = h['w']; s, e = w['data_offsets']
vals = struct.unpack('<4f', d[s:e])
s2, e2 = h['n']['data_offsets']
print(json.dumps({'meta': h['__metadata__'], 'w': vals, 'shape': w['shape'], 'n': struct.unpack('<2q', d[s2:e2])}))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', py, f], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { meta: { model: 'py' }, w: [1.25, -3, 0.5, 8], shape: [2, 2], n: [3, 4] });
});

test('truncated and corrupt files give errors naming the file and the problem', () => {
  const good = join(dir, 'good.safetensors');
  saveSafetensors(good, new Map([['x', T.rand([10])], ['y', T.rand([3])]]));
  const bytes = readFileSync(good);
  const write = (name: string, b: Uint8Array) => { const p = join(dir, name); writeFileSync(p, b); return p; };
  const cut = write('cut.safetensors', bytes.subarray(0, bytes.length - 4));
  assert.throws(() => loadSafetensors(cut), new RegExp(`${cut}: truncated: tensor 'y' ends at byte 52`));
  assert.throws(() => loadSafetensors(write('tiny.safetensors', bytes.subarray(0, 5))), /truncated: 5 bytes/);
  const headCut = write('head.safetensors', bytes.subarray(0, 20));
  assert.throws(() => loadSafetensors(headCut), /truncated: header needs/);
  const garbled = Buffer.from(bytes);
  garbled[9] = 0x7b; garbled[10] = 0x7b;
  assert.throws(() => loadSafetensors(write('garbled.safetensors', garbled)), /corrupt header/);
  assert.throws(() => loadSafetensors(write('huge.safetensors', Buffer.alloc(16, 0xff))), /implausible/);
  assert.throws(() => loadSafetensors(write('trail.safetensors', Buffer.concat([bytes, Buffer.alloc(4)]))), /4 trailing bytes/);
  assert.throws(() => loadSafetensors(join(dir, 'nope.safetensors')), /nope\.safetensors: cannot read: no such file; check the path/);
});

test('loading weights into the wrong model names the file and the mismatched key', () => {
  const f = join(dir, 'lin.safetensors');
  saveWeights(f, new nn.Linear(4, 2));
  assert.throws(() => loadWeights(f, new nn.Linear(5, 2)), new RegExp(`${f}: weight: expected shape \\[2, 5\\], got \\[2, 4\\]`));
  assert.throws(() => loadWeights(f, new nn.Linear(4, 2, { bias: false })), /unexpected keys: bias/);
});
