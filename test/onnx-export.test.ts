// ONNX export (issue 24): onnxruntime-node, an independent runtime, runs the exported graph of every
// model kind on real tiles and gives halite's own probabilities (predictProbabilities, predictTiles'
// salt) to 1e-4, at batch sizes 1 and 3 from one file (the batch is dynamic), with and without flip
// TTA; Debian's python3-onnx checks the file and reads its metadata back; and `halite export` writes a
// finished run's model with its tuned post-processing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { decodeImages } from '../src/data/decode-pool.js';
import { exportOnnx } from '../src/export/onnx.js';
import { predictProbabilities, predictTiles, saltProbabilities } from '../src/infer/predict.js';
import { loadRun } from '../src/infer/run.js';
import { saveWeights } from '../src/io/weights.js';
import { isMultiHead } from '../src/models/heads.js';
import { createModel } from '../src/models/registry.js';
import { Module } from '../src/nn/module.js';
import { writeTuning } from '../src/run/tuning.js';
import { fromArray, manualSeed, noGrad, tidy, type Tensor } from '../src/torch/index.js';
import { native } from '../src/torch/native.js';
import { maxDiff, perturbBatchNorms } from './helpers/batchnorm.js';

const ROOT = join(import.meta.dirname, '..');
const TGS = join(ROOT, '..', 'shared', 'tgs');
const TOL = 1e-4;
const P = 101 * 101;
const dir = mkdtempSync(join(tmpdir(), 'halite-onnx-'));
/** Debian's Python, where apt-get install python3-onnx puts onnx (a python3 earlier on PATH may be another). */
const python = '/usr/bin/python3';

/** Three real training tiles (N x 101 x 101 in [0, 1]), read as halite reads them. */
async function realTiles(): Promise<Float32Array> {
  const imgDir = join(TGS, 'train', 'images');
  const files = readdirSync(imgDir).filter((f) => f.endsWith('.png')).sort().slice(0, 3).map((f) => join(imgDir, f));
  return decodeImages(files);
}


/**
 * A salt gate that empties some of these tiles and not others, and lies far from the classifier's value
 * on every tile and its mirror (so that neither runtime's rounding decides a tile).
 */
function gateBetween(m: Module, tiles: Float32Array): number {
  if (!isMultiHead(m)) throw new Error('no classifier');
  const n = tiles.length / P;
  const [plain, mirrored] = tidy(() => noGrad(() => {
    const x = fromArray(tiles, [n, 1, 101, 101]);
    return [saltProbabilities(m, x, false), saltProbabilities(m, x.flip(3), false)].map((t) => [...(t.toArray() as Float32Array)]);
  }));
  const all = [...plain!, ...mirrored!].sort((a, b) => a - b);
  let best = { gate: NaN, room: 0 };
  for (let i = 1; i < all.length; i++) {
    const gate = (all[i - 1]! + all[i]!) / 2, room = (all[i]! - all[i - 1]!) / 2;
    const below = plain!.filter((v) => v < gate).length;
    if (below > 0 && below < n && room > best.room) best = { gate, room };
  }
  // Random classifiers give close values; 1e-5 is still a hundred times the two runtimes' difference.
  assert.ok(best.room > 1e-5, `the classifier's values ${all.join(', ')} leave no room for a gate`);
  return best.gate;
}


interface Case { name: string; model: string; options: Record<string, unknown> }
const dc = [16, 8, 8, 8, 4];
const CASES: Case[] = [
  { name: 'unet', model: 'unet', options: { startNeurons: 4 } },
  { name: 'resunet + scSE', model: 'resunet', options: { startFilters: 4, scse: true } },
  { name: 'resunet of depth 3, dilated middle, FPA, scSE', model: 'resunet', options: { startFilters: 4, depth: 3, dilations: [2, 4], fpa: true, scse: true } },
  {
    name: 'resnet18 + scSE, FPA, hypercolumns, deep supervision, transposed upsampling, threshold gate', model: 'encoder-unet',
    options: { encoder: 'resnet18', decoderChannels: dc, scse: true, center: 'fpa', hypercolumn: true, deepSupervision: true, upsample: 'transpose', classifier: true, gate: 'threshold' },
  },
  { name: 'resnet34 + plain center, multiply gate, resized input', model: 'encoder-unet', options: { encoder: 'resnet34', decoderChannels: dc, center: 'plain', classifier: true, gate: 'multiply', input: 'resize' } },
  { name: 'resnet34_3x3', model: 'encoder-unet', options: { encoder: 'resnet34_3x3', decoderChannels: dc } },
  { name: 'resnet50 + scSE, classifier without gate', model: 'encoder-unet', options: { encoder: 'resnet50', decoderChannels: dc, scse: true, classifier: true } },
  { name: 'se_resnext50_32x4d + hypercolumns, FPA', model: 'encoder-unet', options: { encoder: 'se_resnext50_32x4d', decoderChannels: dc, hypercolumn: true, center: 'fpa' } },
  { name: 'se_resnext101_32x4d', model: 'encoder-unet', options: { encoder: 'se_resnext101_32x4d', decoderChannels: dc } },
];

/** Runs an exported graph on `tiles` (N x 101 x 101) with onnxruntime-node. */
async function runOnnx(session: ort.InferenceSession, tiles: Float32Array): Promise<{ probability: Float32Array; salt?: Float32Array }> {
  const n = tiles.length / P;
  // A copy: onnxruntime takes no view into a larger (or shared) buffer, as the decoded tiles are.
  const r = await session.run({ image: new ort.Tensor('float32', Float32Array.from(tiles), [n, 1, 101, 101]) });
  assert.deepEqual(r.probability!.dims, [n, 1, 101, 101]);
  if (r.salt) assert.deepEqual(r.salt.dims, [n, 1]);
  return { probability: r.probability!.data as Float32Array, salt: r.salt?.data as Float32Array | undefined };
}

const tilesPromise = realTiles();

for (const [k, c] of CASES.entries()) {
  test(`onnxruntime runs the export of ${c.name} and gives halite's probabilities to ${TOL} (batch 1 and 3, with and without flip TTA)`, async () => {
    const tiles = await tilesPromise;
    manualSeed(100 + k);
    const m = createModel(c.model, c.options);
    perturbBatchNorms(m);
    m.eval();
    if (isMultiHead(m) && m.gateMode === 'threshold') {
      // A random classifier scores every tile about the same: spread its logits so a gate can part them.
      noGrad(() => {
        const sd = m.stateDict();
        sd.get('classifier.weight')!.mul_(300);
        const logits = tidy(() => [...(m.forwardHeads(fromArray(tiles, [tiles.length / P, 1, 101, 101])).salt!.toArray() as Float32Array)]);
        sd.get('classifier.bias')!.add_(-logits.reduce((a, b) => a + b, 0) / logits.length);
      });
      m.gateThreshold = gateBetween(m, tiles);
    }
    const withSalt = isMultiHead(m) && m.hasClassifier;
    for (const tta of [false, true]) {
      const e = exportOnnx(m, { tta });
      const kinds = new Set(onnxProto.onnx.ModelProto.decode(e.bytes).graph!.node!.map((n) => n.opType));
      // Every BatchNorm that follows a convolution alone is folded; the residual U-Net's pre-activation ones stay.
      if (c.model === 'encoder-unet') assert.ok(!kinds.has('BatchNormalization') && e.batchNorms.folded > 0 && e.batchNorms.kept === 0, JSON.stringify(e.batchNorms));
      if (c.model === 'resunet') assert.ok(e.batchNorms.folded > 0 && e.batchNorms.kept > 0, JSON.stringify(e.batchNorms));
      assert.ok(!kinds.has('Dropout'), 'eval-mode dropout leaves no node');
      assert.deepEqual(e.outputs.map((o) => o.name), withSalt ? ['probability', 'salt'] : ['probability']);
      const session = await ort.InferenceSession.create(e.bytes);
      try {
        // halite's values for the three tiles once; batch 1 is the first tile's share of them.
        const want3 = predictProbabilities(m, tiles, { tta });
        const salt3 = withSalt ? tidy(() => noGrad(() => saltProbabilities(m, fromArray(tiles, [3, 1, 101, 101]), tta).toArray() as Float32Array)) : null;
        for (const n of [1, 3]) {
          const x = tiles.subarray(0, n * P);
          const got = await runOnnx(session, x);
          const want = want3.subarray(0, n * P);
          const d = maxDiff(got.probability, want);
          assert.ok(d <= TOL, `${c.name}, tta ${tta}, batch ${n}: probabilities differ by ${d}`);
          if (n === 3) assert.ok(want.some((v) => v > 0.01 && v < 0.99), 'the probabilities are not all saturated');
          if (withSalt) {
            const ds = maxDiff(got.salt!, salt3!.subarray(0, n));
            assert.ok(ds <= TOL, `${c.name}, tta ${tta}, batch ${n}: salt differs by ${ds}`);
          }
          if (isMultiHead(m) && m.gateMode === 'threshold') {
            // halite predict's path: the classifier's salt beside the mask, as predictTiles gives it.
            if (n === 3) assert.ok(maxDiff(got.salt!, predictTiles(m, x, { tta }).salt!) <= TOL);
            if (n === 3 && !tta) {
              const gated = [0, 1, 2].filter((i) => got.salt![i]! < m.gateThreshold);
              assert.ok(gated.length > 0 && gated.length < 3, 'the gate empties some tiles and not others');
              for (const i of gated) assert.ok(got.probability.subarray(i * P, (i + 1) * P).every((v) => v < 1e-12), `gated tile ${i} is empty`);
            }
          }
        }
      } finally {
        await session.release();
      }
    }
    m.dispose();
  });
}

test('exportOnnx refuses an opset outside 13-17 and says which are supported', () => {
  const m = createModel('unet', { startNeurons: 2 });
  assert.throws(() => exportOnnx(m, { opset: 12 }), /opset 12 is not supported: choose one of 13, 14, 15, 16, 17/);
  assert.throws(() => exportOnnx(m, { opset: 18 }), /opset 18 is not supported/);
  m.dispose();
});

test('the exported graph runs at opset 13 as at 17', async () => {
  const tiles = await tilesPromise;
  manualSeed(7);
  const m = createModel('encoder-unet', { encoder: 'resnet18', decoderChannels: dc, center: 'fpa', classifier: true, gate: 'multiply' });
  perturbBatchNorms(m);
  const s = await ort.InferenceSession.create(exportOnnx(m, { opset: 13, tta: true }).bytes);
  const d = maxDiff((await runOnnx(s, tiles)).probability, predictProbabilities(m, tiles, { tta: true }));
  assert.ok(d <= TOL, `opset 13: ${d}`);
  await s.release();
  m.dispose();
});

/** A finished run's files, as halite train leaves them: config.json, best.safetensors, threshold.json. */
function makeRun(name: string, model: string, modelOptions: Record<string, unknown>, tuning: { threshold: number; minArea: number; gate: number | null }): string {
  const run = join(dir, name);
  mkdirSync(run);
  writeFileSync(join(run, 'config.json'), JSON.stringify({ model, modelOptions }));
  manualSeed(3);
  const m = createModel(model, modelOptions);
  perturbBatchNorms(m);
  saveWeights(join(run, 'best.safetensors'), m, { model, options: modelOptions, extra: { epoch: '4' } });
  m.dispose();
  writeTuning(run, 'best', { threshold: tuning.threshold, score: 0.8, tta: true, points: [], minArea: tuning.minArea, gate: tuning.gate });
  return run;
}

function halite(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'halite.js'), ...args], {
    encoding: 'utf8', env: { ...process.env, HALITE_FROM_SOURCE: '1' }, timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Debian's python3-onnx (an independent reader): check_model with full shape inference, then the metadata back. */
function pythonOnnx(file: string): { ok: true; metadata: Record<string, string>; inputs: string[]; outputs: string[] } | { ok: false; why: string } {
  const probe = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' });
  if (probe.status !== 0) return { ok: false, why: 'python3-onnx is not installed (apt-get install python3-onnx)' };
  const script = [
    'import json, sys, onnx',
    'm = onnx.load(sys.argv[1])',
    'onnx.checker.check_model(m, full_check=True)',
    'dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]',
    'print(json.dumps({"metadata": {p.key: p.value for p in m.metadata_props}, "opset": m.opset_import[0].version,',
    '  "inputs": [f"{v.name}{dims(v)}" for v in m.graph.input], "outputs": [f"{v.name}{dims(v)}" for v in m.graph.output]}))',
  ].join('\n');
  const r = spawnSync(python, ['-c', script, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { ok: true, ...JSON.parse(r.stdout) };
}

test('halite export writes a run as ONNX with its tuned post-processing in the metadata; onnx.checker accepts it and onnxruntime gives halite predict\'s probabilities', async (t) => {
  const tiles = await tilesPromise;
  const run = makeRun('gated', 'encoder-unet', { encoder: 'resnet18', decoderChannels: dc, scse: true, classifier: true, gate: 'threshold' }, { threshold: 0.45, minArea: 20, gate: 0.3 });
  const file = join(dir, 'gated.onnx');
  const r = halite('export', '--run', run, '--onnx', file, '--tta');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /gated\.onnx: [\d.]+ MiB, opset 17, \d+ nodes, BatchNorm \d+ folded \/ 0 kept, flip TTA/);
  assert.match(r.out, /output probability \[N, 1, 101, 101\], salt \[N, 1\]; threshold 0\.45, min area 20, gate 0\.3/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary file is left');

  // The same run as halite predict loads it (the gate set to the tuned one), on the same tiles.
  const loaded = loadRun(run);
  const session = await ort.InferenceSession.create(file);
  const got = await runOnnx(session, tiles);
  await session.release();
  const want = predictTiles(loaded.model, tiles, { tta: true });
  assert.ok(maxDiff(got.salt!, want.salt!) <= TOL);
  assert.ok(maxDiff(got.probability, predictProbabilities(loaded.model, tiles, { tta: true })) <= TOL);
  loaded.model.dispose();

  const py = pythonOnnx(file);
  if (!py.ok) { t.diagnostic(`skipped the onnx.checker part: ${py.why}`); return; }
  assert.deepEqual(py.inputs, ["image['N', 1, 101, 101]"]);
  assert.deepEqual(py.outputs, ["probability['N', 1, 101, 101]", "salt['N', 1]"]);
  const md = py.metadata;
  assert.equal(md.model, 'encoder-unet');
  assert.equal(JSON.parse(md.model_options!).encoder, 'resnet18');
  assert.equal(JSON.parse(md.model_options!).gate, 'threshold');
  assert.deepEqual([md.threshold, md.min_area, md.gate, md.gate_mode, md.gate_threshold, md.tta, md.opset, md.epoch], ['0.45', '20', '0.3', 'threshold', '0.3', 'true', '17', '4']);
  assert.deepEqual(JSON.parse(md.inputs!).map((i: { name: string; shape: unknown[] }) => [i.name, i.shape]), [['image', ['N', 1, 101, 101]]]);
  assert.deepEqual(JSON.parse(md.outputs!).map((i: { name: string; shape: unknown[] }) => [i.name, i.shape]), [['probability', ['N', 1, 101, 101]], ['salt', ['N', 1]]]);
  assert.match(md.halite_version!, /^\d+\.\d+\.\d+/);
});

test('halite export: a run without tuning records the defaults; onnx.checker accepts a residual U-Net with BatchNorms kept', (t) => {
  const run = makeRun('untuned', 'resunet', { startFilters: 4 }, { threshold: 0.5, minArea: 0, gate: null });
  const file = join(dir, 'untuned.onnx');
  const r = halite('export', '--run', run, '--onnx', file, '--opset', '13');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /opset 13, \d+ nodes, BatchNorm \d+ folded \/ \d+ kept \(/);
  const py = pythonOnnx(file);
  if (!py.ok) { t.diagnostic(`skipped: ${py.why}`); return; }
  assert.deepEqual(py.outputs, ["probability['N', 1, 101, 101]"]);
  assert.deepEqual([py.metadata.model, py.metadata.gate, py.metadata.gate_mode, py.metadata.tta, py.metadata.opset], ['resunet', 'null', 'none', 'false', '13']);
});

test('halite export: clear errors for a folder that is no run, an unsupported opset and an existing file without --force; a missing folder is made', () => {
  const notRun = mkdtempSync(join(tmpdir(), 'halite-onnx-norun-'));
  let r = halite('export', '--run', notRun, '--onnx', join(dir, 'x.onnx'));
  assert.notEqual(r.code, 0);
  assert.match(r.err, /is not a halite run directory \(no config\.json\)/);
  const run = existsSync(join(dir, 'untuned')) ? join(dir, 'untuned') : makeRun('untuned', 'resunet', { startFilters: 4 }, { threshold: 0.5, minArea: 0, gate: null });
  r = halite('export', '--run', run, '--onnx', join(dir, 'x.onnx'), '--opset', '11');
  assert.notEqual(r.code, 0);
  assert.match(r.err, /opset 11 is not supported; choose one of 13, 14, 15, 16, 17/);
  assert.ok(!existsSync(join(dir, 'x.onnx')));
  // As predict --out: the folder is made, and an existing file is replaced only with --force.
  const file = join(dir, 'missing', 'x.onnx');
  r = halite('export', '--run', run, '--onnx', file);
  assert.equal(r.code, 0, r.err);
  const first = readFileSync(file);
  r = halite('export', '--run', run, '--onnx', file, '--tta');
  assert.notEqual(r.code, 0);
  assert.match(r.err, /--onnx .*missing\/x\.onnx already exists; name a new file, or pass --force to replace it \(nothing was written\)/);
  assert.deepEqual(readFileSync(file), first, 'the refused export left the file as it was');
  r = halite('export', '--run', run, '--onnx', file, '--tta', '--force');
  assert.equal(r.code, 0, r.err);
  assert.notDeepEqual(readFileSync(file), first, 'replaced with the TTA graph');
});

test('an op with no ONNX translation is refused by name, and the addon and the model\'s mode are restored after', () => {
  class Cumulative extends Module {
    forward(x: Tensor): Tensor { return x.cumsum(3); }
  }
  const m = new Cumulative();
  const before = native.cumsum;
  assert.throws(() => exportOnnx(m), /the model calls cumsum, which has no ONNX translation in src\/export\/trace-onnx\.ts/);
  assert.equal(native.cumsum, before, 'the addon is unwrapped after a failed trace');
  assert.equal(m.training, true, 'the model is back in training mode');
  const r = createModel('resunet', { startFilters: 2 });
  r.train();
  assert.ok(exportOnnx(r).nodes > 0, 'a trace runs after a failed one');
  assert.equal(r.training, true);
  r.dispose();
});
