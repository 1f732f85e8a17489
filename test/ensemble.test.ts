// The top teams' training and inference around the models: the multi-head objective, post-processing
// tuned by hand-checkable cases, k-fold CV, snapshots, ensembles, pseudo-labels and presets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '../src/torch/index.js';
import { writeSynth } from '../src/data/synth/generate.js';
import { readTgs } from '../src/data/tgs.js';
import { PIXELS } from '../src/data/rle.js';
import { confidentFraction, readPseudoLabels, writePseudoLabels } from '../src/data/pseudo.js';
import { disposeMembers, loadMembers, predictEnsemble } from '../src/infer/ensemble.js';
import { predictProbabilities } from '../src/infer/predict.js';
import { crossFitScore, tunePostprocess } from '../src/infer/tune.js';
import { bce } from '../src/losses/losses.js';
import { EncoderUNet } from '../src/models/encoder-unet.js';
import { createModel } from '../src/models/registry.js';
import { readConfigFile, readRunConfig, resolveConfig, type TrainConfig } from '../src/run/config.js';
import { crossValidate } from '../src/train/cv.js';
import { objective } from '../src/train/objective.js';
import { PRESETS } from '../src/train/presets.js';
import { validationTiles } from '../src/data/split.js';
import { train } from '../src/train/trainer.js';

const root = mkdtempSync(join(tmpdir(), 'halite-ens-'));
const data = join(root, 'data');
writeSynth({ out: data, train: 60, test: 12, seed: 9 });
const quiet = { log: () => {} };
const cli = join(import.meta.dirname, '..', 'bin', 'halite.js');

function config(over: Partial<TrainConfig> = {}): TrainConfig {
  return resolveConfig([{
    data, runsDir: join(root, 'runs'), model: 'resunet', modelOptions: { startFilters: 4 }, batchSize: 16, valFraction: 0.25, seed: 2, threads: 2,
    phases: [{ loss: 'bce', epochs: 1 }], augmentations: [], sweep: { from: 0.3, to: 0.7, steps: 5 }, ...over,
  }]);
}

test('the objective adds the classifier BCE and the mean deep-supervision loss with their weights', () => {
  T.manualSeed(3);
  const m = new EncoderUNet({ encoder: 'resnet18', decoderChannels: [32, 16, 8, 8, 8], classifier: true, deepSupervision: true });
  m.eval(); // deterministic: the same heads twice
  const x = T.rand([2, 1, 101, 101]);
  const y = T.zeros([2, 1, 101, 101]);
  T.noGrad(() => y.narrow(0, 0, 1).fill_(1)); // tile 0 all salt, tile 1 empty
  const o = m.forwardHeads(x);
  const seg = (a: T.Tensor, b: T.Tensor) => bce(a, b);
  const expected = seg(o.mask, y).item() + 0.1 * bce(o.salt!, T.tensor([[1], [0]])).item() +
    (0.3 / o.aux.length) * o.aux.reduce((a, t) => a + seg(t, y).item(), 0);
  const got = objective(m, seg, x, y, { classifier: 0.1, deepSupervision: 0.3 }).item();
  assert.ok(Math.abs(got - expected) < 1e-5, `${got} vs ${expected}`);
  // Models without extra heads: just the segmentation loss.
  const r = createModel('resunet', { startFilters: 4 });
  r.eval();
  assert.ok(Math.abs(objective(r, seg, x, y, { classifier: 1, deepSupervision: 1 }).item() - seg(r.forward(x), y).item()) < 1e-6);
});

test('post-processing by hand: a minimum area drops specks on empty tiles, the gate drops confident-empty ones', () => {
  // Tile 0: empty truth, a 5-pixel speck predicted. Tile 1: salt, 400 pixels predicted exactly.
  // Tile 2: empty truth, a 300-pixel false blob, classifier says 0.1. Tile 3: 30-pixel salt, exact.
  const probs = new Float32Array(4 * PIXELS), masks = new Uint8Array(4 * PIXELS);
  for (let k = 0; k < 5; k++) probs[k] = 0.9;
  for (let k = 0; k < 400; k++) { probs[PIXELS + k] = 0.9; masks[PIXELS + k] = 1; }
  for (let k = 0; k < 300; k++) probs[2 * PIXELS + 1000 + k] = 0.9;
  for (let k = 0; k < 30; k++) { probs[3 * PIXELS + 5000 + k] = 0.9; masks[3 * PIXELS + 5000 + k] = 1; }
  const noSalt = tunePostprocess(probs, masks, null, [0.5]);
  assert.equal(noSalt.thresholdScore, 0.5); // tiles 1 and 3 score 1, tiles 0 and 2 score 0
  assert.equal(noSalt.minArea, 10); // drops the speck (score 0.75); 40 would drop tile 3 too
  assert.equal(noSalt.score, 0.75);
  assert.equal(noSalt.gate, null);
  const salt = Float32Array.from([0.6, 0.95, 0.1, 0.7]);
  const gated = tunePostprocess(probs, masks, salt, [0.5]);
  assert.deepEqual([gated.minArea, gated.gate, gated.score], [10, 0.2, 1]);
});

test('2-fold CV writes a run per fold and scores each fold and the out-of-fold whole', async () => {
  const out = join(root, 'cv');
  const s = await crossValidate(config(), 2, out, quiet);
  assert.deepEqual(s.folds.map((f) => f.run), ['fold-0', 'fold-1']);
  assert.equal(s.folds[0]!.tiles + s.folds[1]!.tiles, 60, 'the folds cover every tile once');
  for (const f of s.folds) assert.ok(f.map >= 0 && f.map <= 1);
  assert.equal(s.oof.tiles, 60);
  assert.ok(s.oof.map >= s.oof.thresholdMap, 'area tuning never lowers the tuned score');
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'cv.json'), 'utf8')), s);
  // A second call finds both folds finished and retrains nothing.
  const before = readFileSync(join(out, 'fold-0', 'history.jsonl'), 'utf8');
  await crossValidate(config(), 2, out, quiet);
  assert.equal(readFileSync(join(out, 'fold-0', 'history.jsonl'), 'utf8'), before);
});

test('cosine warm restarts save a snapshot per cycle; an ensemble of two runs differs from each and is scored', async () => {
  const a = await train(config({ name: 'snap', phases: [{ loss: 'bce', epochs: 2, schedule: { name: 'cosine', minLr: 1e-4, cycles: 2 } }] }), quiet);
  assert.deepEqual(readdirSync(a.run).filter((f) => f.startsWith('snapshot-')).sort(), ['snapshot-e1.safetensors', 'snapshot-e2.safetensors']);
  const b = await train(config({ name: 'other', seed: 2, modelOptions: { startFilters: 4, dropout: 0.2 } }), quiet);
  const tgs = await readTgs(data, { test: false });
  const val = validationTiles(tgs, readRunConfig(a.run));
  const [ma, mb] = loadMembers([{ dir: a.run }, { dir: b.run }]);
  const pa = predictProbabilities(ma!.run.model, val.images), pb = predictProbabilities(mb!.run.model, val.images);
  const ens = predictEnsemble([ma!, mb!], val.images).probs;
  let diffA = 0, diffB = 0, maxErr = 0;
  for (let i = 0; i < ens.length; i++) {
    diffA = Math.max(diffA, Math.abs(ens[i]! - pa[i]!));
    diffB = Math.max(diffB, Math.abs(ens[i]! - pb[i]!));
    maxErr = Math.max(maxErr, Math.abs(ens[i]! - (pa[i]! + pb[i]!) / 2));
  }
  assert.ok(diffA > 1e-3 && diffB > 1e-3, `ensemble differs from each member (${diffA}, ${diffB})`);
  assert.ok(maxErr < 1e-6, 'equal weights: the mean of the members');
  const weighted = predictEnsemble([{ ...ma!, weight: 3 }, { ...mb!, weight: 1 }], val.images).probs;
  assert.ok(Math.abs(weighted[77]! - (0.75 * pa[77]! + 0.25 * pb[77]!)) < 1e-6, '3:1 weights');
  assert.equal(loadMembers([{ dir: a.run, snapshots: true }]).length, 2, 'two snapshots; the best weights are one of them');
  // The command line scores the ensemble on the first run's validation tiles.
  const sub = join(root, 'ens.csv');
  const r = spawnSync(process.execPath, [cli, 'predict', '--run', a.run, '--run', b.run, '--weights', '0.7,0.3', '--val', '--out', sub], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`wrote ${sub}: ${val.ids.length} tiles, \\d+ without salt, 2 models`));
  const e = spawnSync(process.execPath, [cli, 'evaluate', '--data', data, '--run', a.run, '--submission', sub], { encoding: 'utf8' });
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /mAP 0\.\d{4}|mAP 1\.0000/);
});

test("a phase's last epochs as snapshots: the best weights count once, and predict --snapshots scores what the ensemble's tuning says", async () => {
  const lines: string[] = [];
  const r = await train(config({ name: 'tail', phases: [{ loss: 'bce', epochs: 3, snapshots: 2 }] }), { log: (l) => lines.push(l) });
  assert.deepEqual(readdirSync(r.run).filter((f) => f.startsWith('snapshot-')).sort(), ['snapshot-e2.safetensors', 'snapshot-e3.safetensors']);
  const members = loadMembers([{ dir: r.run, snapshots: true }]);
  const epochs = members.map((m) => m.run.epoch).sort();
  assert.deepEqual(epochs, r.bestEpoch === 1 ? [1, 2, 3] : [2, 3], `best epoch ${r.bestEpoch}`);
  assert.ok(Math.abs(members.reduce((a, m) => a + m.weight, 0) - 1) < 1e-12);
  disposeMembers(members);
  const tuned = JSON.parse(readFileSync(join(r.run, 'threshold-snapshots.json'), 'utf8')) as { threshold: number; minArea: number; score: number };
  assert.ok(lines.some((l) => l.startsWith(`snapshot ensemble (${epochs.length} models, predict --snapshots)`)), lines.join('\n'));
  // predict --snapshots post-processes with the ensemble's tuning; evaluate finds the tuned score.
  const sub = join(root, 'tail.csv');
  const p = spawnSync(process.execPath, [cli, 'predict', '--run', r.run, '--snapshots', '--val', '--out', sub], { encoding: 'utf8' });
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, new RegExp(`${epochs.length} models, threshold ${tuned.threshold.toFixed(3)}, minimum area ${tuned.minArea},`));
  const e = spawnSync(process.execPath, [cli, 'evaluate', '--data', data, '--run', r.run, '--submission', sub, '--json'], { encoding: 'utf8' });
  assert.equal(e.status, 0, e.stderr);
  assert.ok(Math.abs(JSON.parse(e.stdout.trim().split('\n').at(-1)!).map - tuned.score) < 1e-9, `${e.stdout} vs ${tuned.score}`);
  // halite tune --snapshots tunes the same ensemble again; a run without snapshots is told so.
  const t = spawnSync(process.execPath, [cli, 'tune', '--run', r.run, '--snapshots'], { encoding: 'utf8' });
  assert.equal(t.status, 0, t.stderr);
  const line = JSON.parse(t.stdout.trim().split('\n').at(-1)!) as { models: number; threshold: number; map: number };
  assert.deepEqual([line.models, line.threshold, line.map], [epochs.length, tuned.threshold, tuned.score]);
  const plain = await train(config({ name: 'plain' }), quiet);
  const u = spawnSync(process.execPath, [cli, 'tune', '--run', plain.run, '--snapshots'], { encoding: 'utf8' });
  assert.notEqual(u.status, 0);
  assert.match(u.stderr, /no snapshots besides the best weights/);
});

test('pseudo-labels keep only confident tiles and round-trip into training', async () => {
  const probs = new Float32Array(3 * PIXELS).fill(0.05);
  probs.fill(0.95, PIXELS, PIXELS + 500); // b: confident salt on 500 pixels
  probs[2 * PIXELS + 7] = 0.5; // c: one unsure pixel
  assert.equal(confidentFraction(probs.subarray(2 * PIXELS, 3 * PIXELS), 0.2, 0.8), (PIXELS - 1) / PIXELS);
  // The bounds are not confident (p < low or p > high), as the winners' strict inequalities; 0.25 and
  // 0.75 are exact in float32, where 0.8 rounds above 0.8.
  assert.equal(confidentFraction(Float32Array.of(0.25, 0.75, 0.1, 0.9), 0.25, 0.75), 0.5);
  const imgDir = join(data, 'test', 'images');
  const testIds = readdirSync(imgDir).slice(0, 3).map((f) => f.slice(0, -4));
  const out = join(root, 'pseudo');
  // The winners' 0.9 keeps c, whose boundary-like unsure pixel is 1 in 10201; every pixel (1) drops it.
  assert.equal(writePseudoLabels(out, testIds, imgDir, probs, { threshold: 0.5, low: 0.2, high: 0.8, minConfident: 0.9, sources: ['x'] }).kept, 3);
  const unsure = probs.slice();
  unsure.fill(0.5, 2 * PIXELS, 2 * PIXELS + 1021); // c: 1021 of 10201 unsure, 0.89991 confident
  assert.equal(writePseudoLabels(out, testIds, imgDir, unsure, { threshold: 0.5, low: 0.2, high: 0.8, minConfident: 0.9, sources: ['x'] }).kept, 2);
  assert.throws(() => writePseudoLabels(out, testIds, imgDir, probs, { threshold: 0.5, low: 0.2, high: 0.8, minConfident: 0, sources: ['x'] }), /--min-confident must be a fraction in \(0, 1\], got 0/);
  const info = writePseudoLabels(out, testIds, imgDir, probs, { threshold: 0.5, low: 0.2, high: 0.8, minConfident: 1, sources: ['x'] });
  assert.deepEqual([info.kept, info.total, info.minConfident], [2, 3, 1]);
  const back = await readPseudoLabels(out);
  assert.deepEqual(back.ids, [testIds[0], testIds[1]].sort());
  const kB = back.ids.indexOf(testIds[1]!);
  let area = 0;
  for (const v of back.masks.subarray(kB * PIXELS, (kB + 1) * PIXELS)) area += v;
  assert.equal(area, 500);
  const lines: string[] = [];
  const r = await train(config({ name: 'pseudo', pseudoLabels: out }), { log: (l) => lines.push(l) });
  assert.equal(r.stopped, 'finished');
  assert.ok(lines.some((l) => /pseudo-labels: 2 tiles from .* join the 45 training tiles/.test(l)), lines.join('\n'));
  // A second round into the same folder replaces it whole: the first round's masks do not mix in.
  const again = probs.slice();
  again[PIXELS] = 0.5;
  assert.equal(writePseudoLabels(out, testIds, imgDir, again, { threshold: 0.5, low: 0.2, high: 0.8, minConfident: 1, sources: ['y'] }).kept, 1);
  assert.deepEqual((await readPseudoLabels(out)).ids, [testIds[0]]);
  assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('pseudo.')), [], 'no temporary folder is left');
});

test('every preset and example config resolves to a valid config whose model builds; halite presets lists them', () => {
  const examples = join(import.meta.dirname, '..', 'examples');
  const files = readdirSync(examples).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 3, files.join(', '));
  const layers: [string, Partial<TrainConfig>][] = [
    ...Object.entries(PRESETS).map(([name, p]): [string, Partial<TrainConfig>] => [name, p.config]),
    ...files.map((f): [string, Partial<TrainConfig>] => [f, readConfigFile(join(examples, f))]),
  ];
  for (const [name, layer] of layers) {
    const c = resolveConfig([layer], name);
    if (c.model !== 'encoder-unet' || !String(c.modelOptions.encoder).includes('101')) {
      const m = createModel(c.model, c.modelOptions);
      assert.ok(m.numParameters() > 0);
      m.dispose();
    }
  }
  const r = spawnSync(process.execPath, [cli, 'presets'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const name of ['seed-unet', 'seed-resunet', 'seresnext50-scse-hc', 'seresnext101-scse-hc', 'resnet34-winner']) assert.match(r.stdout, new RegExp(`^${name} +\\S`, 'm'));
});

test('an encoder-unet trains with its extra heads and tunes its salt gate', async () => {
  const r = await train(config({
    name: 'heads', model: 'encoder-unet', batchSize: 8,
    modelOptions: { encoder: 'resnet18', decoderChannels: [32, 16, 8, 8, 8], classifier: true, gate: 'threshold', deepSupervision: true, hypercolumn: true, scse: true },
  }), quiet);
  assert.equal(r.stopped, 'finished');
  const th = JSON.parse(readFileSync(join(r.run, 'threshold.json'), 'utf8'));
  assert.equal(typeof th.gate, 'number');
  assert.ok(th.score >= th.thresholdScore);
  assert.ok(existsSync(join(r.run, 'best.safetensors')));
});

test('cross-fitting scores each half with the post-processing tuned on the other half (hand-computed)', () => {
  // Four tiles, each one probability and an empty or full truth: A empty 0.5, B empty 0.2, C full 0.7,
  // D full 0.4. Sorted by salt area they are dealt A, C to fold 0 and B, D to fold 1. Fold 0 tunes to
  // 0.6 (A empty, C full: 1), fold 1 to 0.3 (B empty, D full: 1). Scored across: A at 0.3 is false
  // salt (0), C is found (1), B at 0.6 is empty (1), D at 0.6 is missed (0): 2/4. Tuned and scored on
  // all four, either threshold gives 3/4.
  const px = 101 * 101;
  const p = [0.5, 0.2, 0.7, 0.4], full = [false, false, true, true];
  const probs = new Float32Array(4 * px), masks = new Uint8Array(4 * px);
  p.forEach((v, i) => { probs.fill(v, i * px, (i + 1) * px); if (full[i]) masks.fill(1, i * px, (i + 1) * px); });
  const r = crossFitScore(probs, masks, null, [0.3, 0.6], { dealings: 1 });
  assert.equal(r.score, 0.5);
  assert.deepEqual([r.dealings, r.spread], [[0.5], 0]);
  assert.deepEqual(r.folds.map((f) => f.threshold), [0.3, 0.6], "fold 0 is scored at fold 1's 0.3, fold 1 at fold 0's 0.6");
  assert.equal(tunePostprocess(probs, masks, null, [0.3, 0.6]).score, 0.75);
  assert.throws(() => crossFitScore(probs, masks, null, [0.5], { k: 1 }), /cross-fitting needs 2 to 4 folds, got 1/);
  assert.throws(() => crossFitScore(probs, masks, null, [0.5], { dealings: 0 }), /at least 1 dealing, got 0/);

  // The other dealings swap the pair {A, B} or {C, D} (each pair holds equal areas). Swapping one
  // pair gives halves {B, C} and {A, D}: {A, D} scores 1/2 at either threshold and keeps the first,
  // 0.3, where B and C are both right; {B, C} tunes to 0.3 too, where D is right and A is not: 3/4.
  // Swapping both is the first dealing with the halves exchanged: 1/2. So each dealing reads 1/2 or
  // 3/4, both occur, and their mean tends to 5/8.
  const many = crossFitScore(probs, masks, null, [0.3, 0.6], { dealings: 200, seed: 7 });
  assert.equal(many.dealings.length, 200);
  assert.equal(many.dealings[0], 0.5, 'the first dealing is the deterministic one');
  assert.ok(many.dealings.every((d) => d === 0.5 || d === 0.75), many.dealings.join());
  assert.ok(many.dealings.includes(0.75));
  assert.ok(Math.abs(many.score - 0.625) < 0.05, `mean ${many.score}`);
  assert.ok(Math.abs(many.spread - 0.125) < 0.01, `spread ${many.spread}`);
});
