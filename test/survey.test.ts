// Survey prediction: the blending stitcher by hand, f3.sgy predicted through stub models whose answer
// is known (read back with numpy), the inline+crossline mean, an abort that leaves nothing, and a
// tiny trained run through `halite predict --segy` with a mask volume and PNG previews read by PIL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticSurvey } from '../src/bench/segy.js';
import { writeSynth } from '../src/data/synth/generate.js';
import { TILE } from '../src/data/rle.js';
import { blendWindow, tileOrigins } from '../src/infer/tiling.js';
import {
  normalise, parseSectionPicks, predictSection, predictSurvey, readNormalisation, SurveyAborted, type Direction, type TilePredictor,
} from '../src/infer/survey.js';
import { openSegy, openVolume, SegyError, textLines } from '../src/segy/index.js';
import { resolveConfig } from '../src/run/config.js';
import { train } from '../src/train/trainer.js';
import { halite } from './helpers/cli.js';

const SEGY = join(import.meta.dirname, '..', '..', 'shared', 'segy');
const F3 = join(SEGY, 'f3.sgy');
const skip = !existsSync(F3) && 'no ../shared/segy/f3.sgy';
const root = mkdtempSync(join(tmpdir(), 'halite-survey-'));
const identity: TilePredictor = (t) => t.slice();
const PYTHON = '/usr/bin/python3'; // Debian's, with numpy and PIL
const CLIP = { lo: -3000, hi: 2500, source: 'test' };

/** numpy's reading of a big-endian float32 SEG-Y's samples and trace headers (f3-shaped: 414 traces of 75 samples). */
function numpyCheck(body: string): string {
  const py = `
import numpy as np, json, sys
def traces(path, fmt, ns=75, n=414):
    b = np.frombuffer(open(path, 'rb').read()[3600:], dtype='u1').reshape(n, 240 + ns * np.dtype(fmt).itemsize)
    return b[:, :240].copy(), b[:, 240:].copy().view(fmt).astype(np.float64)
${body}`;
  const r = spawnSync(PYTHON, ['-c', py], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('a 1D Hann window with a floor, by hand; the stitcher reproduces an identity model exactly and blends two tiles by their weights', () => {
  const w = blendWindow(0.1);
  const w1 = (r: number) => 0.1 + 0.9 * Math.sin((Math.PI * (r + 0.5)) / 101) ** 2;
  assert.ok(Math.abs(w[50 * TILE + 50]! - 1) < 1e-6, 'the centre weighs 1');
  assert.ok(Math.abs(w[0]! - w1(0) ** 2) < 1e-7 && w1(0) > 0.1 && w1(0) < 0.101, 'a corner weighs about floor²');
  assert.ok(Math.abs(w[3 * TILE + 70]! - w1(3) * w1(70)) < 1e-7);
  assert.throws(() => blendWindow(0), /floor 0/);

  // An identity model: weights normalise, so any section comes back bit for bit, whatever its size.
  for (const [traces, samples] of [[250, 180], [18, 75], [101, 101], [333, 102]] as const) {
    const s = Float32Array.from({ length: traces * samples }, (_, i) => ((i * 7919) % 1000) / 999);
    assert.deepEqual(predictSection(s, traces, samples, identity), s, `${traces}×${samples}`);
  }

  // Two tiles side by side (151 traces: origins 0 and 50), the model answering 0.2 on the first and
  // 0.8 on the second: where they overlap, the mean is weighted by each tile's window at that column.
  assert.deepEqual(tileOrigins(151), [0, 50]);
  let k = 0;
  const constant: TilePredictor = (t) => {
    const out = new Float32Array(t.length);
    for (let i = 0; i < t.length / (TILE * TILE); i++) out.fill(k++ === 0 ? 0.2 : 0.8, i * TILE * TILE, (i + 1) * TILE * TILE);
    return out;
  };
  const p = predictSection(new Float32Array(151 * 101), 151, 101, constant);
  for (const x of [0, 49, 50, 75, 100, 101, 150]) {
    const a = x <= 100 ? w1(x) : 0, b = x >= 50 ? w1(x - 50) : 0;
    const expected = (0.2 * a + 0.8 * b) / (a + b);
    for (const s of [0, 40, 100]) assert.ok(Math.abs(p[x * 101 + s]! - expected) < 1e-6, `trace ${x}, sample ${s}: ${p[x * 101 + s]} vs ${expected}`);
  }
});

test('an identity model writes the normalised survey back exactly, with the input\'s geometry, trace headers and a textual header that records the clip', { skip }, async () => {
  const out = join(root, 'identity.sgy');
  const mask = join(root, 'identity-mask.sgy');
  const png = join(root, 'png-identity');
  const r = await predictSurvey({ input: F3, out, maskOut: mask, predict: identity, threshold: 0.5, normalisation: CLIP, model: 'identity', png: { dir: png } });
  assert.deepEqual(r.previews, [join(png, 'inline-122.png'), join(png, 'crossline-883.png')], 'the middle inline and crossline by default');
  assert.deepEqual([r.inlines, r.crosslines, r.samples, r.traces, r.padded], [23, 18, 75, 414, 0]);
  assert.equal(r.tiles, 23 + 18, 'one tile per section: sections are smaller than a tile');
  const np = JSON.parse(numpyCheck(`
hi, a = traces(${JSON.stringify(F3)}, '>i2')
ho, p = traces(${JSON.stringify(out)}, '>f4')
hm, m = traces(${JSON.stringify(mask)}, '>f4')
want = np.clip((a - ${CLIP.lo}) / (${CLIP.hi} - ${CLIP.lo}), 0, 1).astype(np.float32).astype(np.float64)
from PIL import Image
def coloured(name):
    im = np.asarray(Image.open(${JSON.stringify(png)} + '/' + name + '.png').convert('RGB')).astype(int)
    return (im.max(axis=2) != im.min(axis=2)).T.tolist()
print(json.dumps({'diff': float(np.abs(p - want).max()), 'headers': bool((hi == ho).all() and (hi == hm).all()),
  'png': [coloured('inline-122') == (p[11 * 18:12 * 18] > 0.5).tolist(), coloured('crossline-883') == (p[8::18] > 0.5).tolist()],
  'mask': bool((m == (p > 0.5)).all()), 'salt': float(m.mean()), 'fmt': int.from_bytes(open(${JSON.stringify(out)}, 'rb').read()[3224:3226], 'big')}))`));
  assert.equal(np.diff, 0, 'probabilities equal the clipped, scaled amplitudes exactly');
  assert.ok(np.headers, 'every trace header is the input\'s');
  assert.ok(np.mask, 'the mask is probability > threshold');
  assert.ok(Math.abs(np.salt - r.saltFraction) < 1e-12 && np.salt > 0 && np.salt < 1);
  assert.equal(np.fmt, 5, 'IEEE float32');
  assert.deepEqual(np.png, [true, true], 'PIL finds colour exactly where the probability is over the threshold, grey elsewhere');

  const a = openVolume(F3), b = openVolume(out);
  assert.deepEqual([b.inlines, b.crosslines, b.samples, b.file.sampleInterval], [a.inlines, a.crosslines, a.samples, a.file.sampleInterval]);
  assert.deepEqual(b.geometry.index, a.geometry.index);
  const lines = textLines(b.file.textHeader.text);
  assert.deepEqual(lines.slice(0, 33), textLines(a.file.textHeader.text).slice(0, 33), 'the input\'s own lines are kept');
  assert.match(lines[33]!, /^C34 HALITE salt probability 0\.\.1/);
  assert.match(lines[35]!, /^C36 input x -> \(clamp\(x,lo,hi\)-lo\)\/\(hi-lo\), lo -3000 hi 2500/);
  assert.match(lines[37]!, /^C38 inline\+crossline mean, 101x101 tiles stride 50, Hann blend, flip TTA *$/);
  assert.match(textLines(openSegy(mask).textHeader.text)[33]!, /^C34 HALITE salt mask \(float32\): 1 where probability > 0\.5, else 0 *$/);
  a.close(); b.close();
});

test('the survey\'s own 0.5/99.5 percentiles (numpy\'s) are the default clip, and a tiles.json clip is used as given', { skip }, async () => {
  const out = join(root, 'default.sgy');
  const r = await predictSurvey({ input: F3, out, predict: identity, threshold: 0.5, sections: ['inline'] });
  const np = JSON.parse(numpyCheck(`
_, a = traces(${JSON.stringify(F3)}, '>i2')
print(json.dumps(np.percentile(a, [0.5, 99.5]).tolist()))`)) as number[];
  assert.ok(Math.abs(r.normalisation.lo - np[0]!) < 1e-6 && Math.abs(r.normalisation.hi - np[1]!) < 1e-6, `${JSON.stringify(r.normalisation)} vs numpy ${np}`);
  assert.equal(r.normalisation.source, 'p0.5/p99.5 of 414 of 414 traces');
  const line = textLines(openSegy(out).textHeader.text)[35]!;
  const [, lo, hi] = /lo (\S+) hi (\S+)/.exec(line)!;
  assert.ok(Math.abs(Number(lo) - np[0]!) < 1e-4 && Math.abs(Number(hi) - np[1]!) < 1e-4, line);

  const tj = join(root, 'tiles.json');
  writeFileSync(tj, JSON.stringify({ source: 'x.sgy', percentiles: [0.5, 99.5], clip: [-100, 300] }));
  assert.deepEqual(readNormalisation(tj), { lo: -100, hi: 300, source: 'tiles.json' });
  // That clip saturates most of f3 (amplitudes of thousands): noted, with the share numpy counts; the survey's own clip is not.
  const share = Number(numpyCheck(`
_, a = traces(${JSON.stringify(F3)}, '>i2')
print(100 * np.mean((a < -100) | (a > 300)))`));
  // Said before the first section is predicted, not after hours of prediction.
  const said: string[] = [];
  const narrow = await predictSurvey({
    input: F3, out: join(root, 'narrow.sgy'), predict: identity, threshold: 0.5, sections: ['inline'], normalisation: readNormalisation(tj),
    onNote: (n) => said.push(`note ${n}`), onProgress: (p) => said.push(`section ${p.sections}`),
  });
  assert.match(said[0]!, /^note the clip .* saturates/);
  assert.equal(said[1], 'section 1');
  assert.match(narrow.notes.join('\n'), new RegExp(`the clip -100\\.0 \\.\\. 300\\.0 \\(tiles\\.json\\) saturates ${share.toFixed(1).replace('.', '\\.')}% of 414 sampled traces' amplitudes, .* drop --normalise`));
  const own = await predictSurvey({ input: F3, out: join(root, 'own.sgy'), predict: identity, threshold: 0.5, sections: ['inline'], normalisation: r.normalisation });
  assert.doesNotMatch(own.notes.join('\n'), /saturates/);
  writeFileSync(tj, JSON.stringify({ clip: [3, 3] }));
  assert.throws(() => readNormalisation(tj), /tiles\.json: expected "clip": \[lo, hi\] with finite lo < hi/);
  assert.deepEqual(parseSectionPicks('il:120, xl:880'), [{ direction: 'inline', number: 120 }, { direction: 'crossline', number: 880 }]);
  assert.throws(() => parseSectionPicks('il120'), /--png-sections il120: "il120" is not il:N or xl:N/);
});

test('inline+crossline is the mean of the inline-only and crossline-only outputs; an abort leaves no output, mask or scratch file', { skip }, async () => {
  // A model that is not mirror- or transpose-symmetric, so the two directions differ.
  const lopsided: TilePredictor = (t) => t.map((v, i) => v * ((i % TILE) + 1) / TILE);
  const run = async (sections: Direction[]) => {
    const out = join(root, `mean-${sections.join('-')}.sgy`);
    await predictSurvey({ input: F3, out, predict: lopsided, threshold: 0.5, sections, normalisation: CLIP });
    const f = openSegy(out);
    const v = f.readTraces(0, f.traceCount);
    f.close();
    return v;
  };
  const il = await run(['inline']), xl = await run(['crossline']), both = await run(['crossline', 'inline']);
  let differ = 0;
  for (let i = 0; i < il.length; i++) {
    if (il[i] !== xl[i]) differ++;
    assert.equal(both[i], Math.fround((il[i]! + xl[i]!) / 2), `sample ${i}`);
  }
  assert.ok(differ > il.length / 2, 'the two directions predict differently, so the mean is tested');

  const dir = join(root, 'aborted');
  mkdirSync(dir);
  const ac = new AbortController();
  const seen: number[] = [];
  await assert.rejects(predictSurvey({
    input: F3, out: join(dir, 'salt.sgy'), maskOut: join(dir, 'mask.sgy'), predict: identity, threshold: 0.5, signal: ac.signal,
    onProgress: (p) => { seen.push(p.sections); if (p.sections === 30) ac.abort(); },
  }), (e) => e instanceof SurveyAborted && /salt\.sgy: interrupted; nothing was written/.test(e.message));
  assert.equal(seen.length, 30, 'stopped after the section that was running, in the crossline pass');
  assert.deepEqual(readdirSync(dir), [], 'no output, mask, or scratch file is left');
});

test('a 2D line is predicted along the line alone: sections across it are single traces', async () => {
  for (const [nIl, nXl, along] of [[1, 150, 'inline'], [150, 1, 'crossline']] as const) {
    const input = join(root, `line-${along}.sgy`), out = join(root, `line-${along}.salt.sgy`);
    writeSyntheticSurvey(input, nIl, nXl, 120);
    const r = await predictSurvey({ input, out, predict: identity, threshold: 0.5, normalisation: CLIP });
    assert.deepEqual(r.sections, [along]);
    assert.equal(r.tiles, 2 * 2, `one ${along} of 150 traces × 120 samples: 2 × 2 tiles`);
    assert.match(r.notes.join('\n'), new RegExp(`a 2D line \\(one ${along}\\): its ${along === 'inline' ? 'crossline' : 'inline'}s are single traces, so ${along} sections alone are predicted`));
    const a = openVolume(input), b = openVolume(out);
    const want = along === 'inline' ? a.inlineAt(0) : a.crosslineAt(0);
    normalise(want, CLIP);
    assert.deepEqual(along === 'inline' ? b.inlineAt(0) : b.crosslineAt(0), want, 'the identity model gives the normalised line back');
    a.close(); b.close();
  }
  // One trace is no section in either direction: refused, naming the file and its position, and nothing is written.
  const input = join(root, 'one-trace.sgy'), out = join(root, 'one-trace.salt.sgy');
  writeSyntheticSurvey(input, 1, 1, 120);
  await assert.rejects(predictSurvey({ input, out, predict: identity, threshold: 0.5, normalisation: CLIP }),
    (e) => e instanceof SegyError && e.message.includes('one-trace.sgy') && /holds one trace \(inline \d+, crossline \d+\), not a section/.test(e.message));
  assert.equal(existsSync(out), false);
});

test('halite predict --segy with a tiny trained run: probabilities, the tuned-threshold mask, previews read by PIL', { skip }, async () => {
  const data = join(root, 'data');
  writeSynth({ out: data, train: 32, test: 0, seed: 4 });
  const cfg = resolveConfig([{ data, runsDir: join(root, 'runs'), name: 'r', model: 'resunet', modelOptions: { startFilters: 4 }, batchSize: 16,
    valFraction: 0.25, seed: 2, threads: 2, phases: [{ loss: 'bce', epochs: 1 }], sweep: { from: 0.3, to: 0.7, steps: 5 } }]);
  const { run } = await train(cfg, { log: () => {} });
  const threshold = JSON.parse(readFileSync(join(run, 'threshold.json'), 'utf8')).threshold as number;
  const out = join(root, 'salt.sgy'), mask = join(root, 'mask.sgy'), png = join(root, 'png');
  const p = halite('predict', '--run', run, '--segy', F3, '--out', out, '--mask-out', mask, '--png', png, '--png-sections', 'il:120,xl:880');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /wrote .*salt\.sgy: salt probability of 23 inlines × 18 crosslines × 75 samples \(414 traces\), inline and crossline sections averaged, 41 tiles, 1 model, flip TTA, libtorch in /);
  assert.match(p.stdout, /amplitudes clipped to \[-?[\d.]+, [\d.]+\] \(p0\.5\/p99\.5 of 414 of 414 traces\)/);
  assert.match(p.stdout, /previews: .*inline-120\.png, .*crossline-880\.png/);
  const np = JSON.parse(numpyCheck(`
_, p = traces(${JSON.stringify(out)}, '>f4')
_, m = traces(${JSON.stringify(mask)}, '>f4')
print(json.dumps({'min': float(p.min()), 'max': float(p.max()), 'finite': bool(np.isfinite(p).all()), 'mask': bool((m == (p > ${threshold})).all()),
  'il120': p[(120 - 111) * 18:(121 - 111) * 18].T.tolist(), 'xl880': p[(880 - 875)::18].T.tolist()}))`));
  assert.ok(np.finite && np.min >= 0 && np.max <= 1, `probabilities in [0, 1]: ${np.min}..${np.max}`);
  assert.ok(np.mask, `the mask is probability > the run's tuned threshold ${threshold}`);
  assert.equal(openVolume(out).geometry.index.length, 414);
  // onnxruntime on the run's exported graph writes the same probabilities (issue 24: to 1e-4).
  const ortOut = join(root, 'salt-onnxruntime.sgy');
  const q = halite('predict', '--run', run, '--segy', F3, '--out', ortOut, '--engine', 'onnxruntime');
  assert.equal(q.status, 0, q.stderr);
  assert.match(q.stdout, /41 tiles, 1 model, flip TTA, onnxruntime in /);
  const ortDiff = Number(numpyCheck(`
_, a = traces(${JSON.stringify(out)}, '>f4')
_, b = traces(${JSON.stringify(ortOut)}, '>f4')
print(float(np.abs(a - b).max()))`));
  assert.ok(ortDiff <= 1e-4, `onnxruntime's survey differs from libtorch's by ${ortDiff}`);

  // PIL reads the previews: traces across, time down; salt pixels are coloured, the rest grey.
  const pil = spawnSync(PYTHON, ['-c', `
from PIL import Image; import json, sys
out = {}
for name in ['inline-120', 'crossline-880']:
    im = Image.open(sys.argv[1] + '/' + name + '.png').convert('RGB')
    out[name] = {'size': im.size, 'grey': [[int(len(set(im.getpixel((x, y)))) == 1) for x in range(im.size[0])] for y in range(im.size[1])]}
print(json.dumps(out))`, png], { encoding: 'utf8' });
  assert.equal(pil.status, 0, pil.stderr);
  const img = JSON.parse(pil.stdout) as Record<string, { size: [number, number]; grey: number[][] }>;
  assert.deepEqual(img['inline-120']!.size, [18, 75]);
  assert.deepEqual(img['crossline-880']!.size, [23, 75]);
  for (const [name, probs] of [['inline-120', np.il120], ['crossline-880', np.xl880]] as const) {
    const grey = img[name]!.grey;
    (probs as number[][]).forEach((row, y) => row.forEach((v, x) => assert.equal(grey[y]![x], v > threshold ? 0 : 1, `${name} (${x}, ${y}): p ${v}`)));
  }

  const bad = halite('predict', '--run', run, '--segy', F3, '--out', join(root, 'x.sgy'), '--images', data);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--images applies to tiles, not to --segy/);
  const sec = halite('predict', '--run', run, '--segy', F3, '--out', join(root, 'x.sgy'), '--sections', 'timeslice');
  assert.match(sec.stderr, /--sections timeslice: expected inline, crossline, or inline,crossline/);
  const pick = halite('predict', '--run', run, '--segy', F3, '--out', join(root, 'x.sgy'), '--png', png, '--png-sections', 'il:120,xl:999');
  assert.match(pick.stderr, /f3\.sgy: --png-sections: crossline 999 is not in this survey: its crosslines are 875\.\.892 in steps of 1/);
  assert.ok(!existsSync(join(root, 'x.sgy')));

  // Ctrl-C in the middle of the crossline pass: exit 130, and the folder holds only the input.
  const dir = join(root, 'sigint');
  mkdirSync(dir);
  const big = join(dir, 'big.sgy');
  writeSyntheticSurvey(big, 60, 60, 200);
  const child = spawn(process.execPath, ['bin/halite.js', 'predict', '--run', run, '--segy', big, '--out', join(dir, 'salt.sgy'), '--mask-out', join(dir, 'mask.sgy')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  // The scratch file appears when the writers are open and prediction has begun.
  const t0 = Date.now();
  while (!readdirSync(dir).some((f) => f.includes('inline-pass')) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
  assert.ok(readdirSync(dir).length > 1, 'prediction started');
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /interrupted: .*salt\.sgy and .*mask\.sgy not written/);
  assert.deepEqual(readdirSync(dir), ['big.sgy']);
});
