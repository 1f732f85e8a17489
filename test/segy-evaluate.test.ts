// Scoring a predicted salt volume against a labelled one (halite evaluate --segy): 3D IoU, precision,
// recall and the competition metric over sections, checked against values worked out by hand on tiny
// volumes written with the SEG-Y writer; grids that differ are refused naming both files; padded
// positions are left out; and the command scores synth --volume's salt against itself as perfect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSurvey, SegyWriter } from '../src/segy/index.js';
import { evaluateSurvey, formatSurveyEvaluation } from '../src/metrics/volume.js';
import { halite } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'halite-segy-evaluate-'));

interface Vol { inlines: number; crosslines: number; samples: number; sampleInterval?: number; missing?: number[]; text?: string }

/**
 * Writes a survey of inlines 1.., crosslines 1.. (trace t = i × crosslines + j) whose sample s of
 * (i, j) is value(i, j, s); traces in `missing` are left out of the file (padded positions).
 */
function write(name: string, v: Vol, value: (i: number, j: number, s: number) => number): string {
  const path = join(dir, name);
  const survey = newSurvey(path, { inlines: { first: 1, count: v.inlines }, crosslines: { first: 1, count: v.crosslines }, samples: v.samples, sampleInterval: v.sampleInterval ?? 4000, text: v.text });
  const gone = new Set(v.missing ?? []);
  const traces = Array.from({ length: v.inlines * v.crosslines }, (_, t) => t).filter((t) => !gone.has(t));
  const samples = new Float32Array(traces.length * v.samples);
  traces.forEach((t, k) => {
    const i = Math.floor(t / v.crosslines), j = t % v.crosslines;
    for (let s = 0; s < v.samples; s++) samples[k * v.samples + s] = value(i, j, s);
  });
  const w = SegyWriter.open(path, survey, { traces });
  w.writeTraces(traces, samples);
  w.close();
  return path;
}

const small: Vol = { inlines: 2, crosslines: 3, samples: 4 };
// Truth: samples 0-1 of every trace of inline index 0 are salt; inline index 1 has none.
const truth = write('truth.sgy', small, (i, _j, s) => (i === 0 && s < 2 ? 1 : 0));

test('IoU, precision, recall and the section metric match values worked out by hand', () => {
  // Inline 0: crosslines 0 and 1 right; crossline 2 has sample 1 at 0.4 (salt only below a 0.4
  // threshold). Inline 1: one false salt sample (crossline 0, sample 3).
  const pred = write('pred.sgy', { ...small, text: 'HALITE salt probability 0..1 (float32)' }, (i, j, s) => {
    if (i === 0 && s === 0) return 0.9;
    if (i === 0 && s === 1) return j === 2 ? 0.4 : 0.9;
    return i === 1 && j === 0 && s === 3 ? 0.7 : 0.1;
  });
  const e = evaluateSurvey(pred, truth);
  // Truth 6 samples, predicted 6 (5 + 1), both 5, union 7.
  assert.deepEqual([e.voxels, e.truthSalt, e.predictedSalt, e.intersection, e.padded, e.traces], [24, 6, 6, 5, 0, 6]);
  assert.equal(e.iou, 5 / 7);
  assert.equal(e.precision, 5 / 6);
  assert.equal(e.recall, 5 / 6);
  assert.equal(e.predictionKind, 'probability');
  // Inline 0: IoU 5/6 = 0.833 passes thresholds 0.50..0.80 (7 of 10); inline 1: empty truth, salt predicted: 0.
  assert.deepEqual(e.inline, { sections: 2, skipped: 0, emptyTruth: 1, score: (0.7 + 0) / 2 });
  // Crossline 0: IoU 2/3 passes 0.50..0.65 (0.4); crossline 1: perfect (1); crossline 2: IoU 1/2 passes none (0).
  assert.equal(e.crossline!.sections, 3);
  assert.ok(Math.abs(e.crossline!.score - 1.4 / 3) < 1e-12, String(e.crossline!.score));
  // At threshold 0.3 the 0.4 sample is salt: inline 0 is perfect, 7 predicted, 6 both.
  const low = evaluateSurvey(pred, truth, { threshold: 0.3, sections: ['inline'] });
  assert.deepEqual([low.predictedSalt, low.intersection, low.iou], [7, 6, 6 / 7]);
  assert.deepEqual(low.inline, { sections: 2, skipped: 0, emptyTruth: 1, score: 0.5 });
  assert.equal(low.crossline, undefined);
  assert.match(formatSurveyEvaluation(e), /3D salt IoU\s+0\.7143\n/);
});

test('a perfect prediction scores 1; an empty one against salt in every section scores 0', () => {
  const same = evaluateSurvey(write('perfect.sgy', small, (i, _j, s) => (i === 0 && s < 2 ? 1 : 0)), truth);
  assert.deepEqual([same.iou, same.precision, same.recall, same.inline!.score, same.crossline!.score], [1, 1, 1, 1, 1]);
  // Salt at sample 0 of every trace: every inline and crossline holds salt.
  const everywhere = write('everywhere.sgy', small, (_i, _j, s) => (s === 0 ? 1 : 0));
  const empty = evaluateSurvey(write('empty.sgy', small, () => 0), everywhere);
  assert.deepEqual([empty.iou, empty.precision, empty.recall, empty.inline!.score, empty.crossline!.score], [0, null, 0, 0, 0]);
  assert.equal(empty.truthSalt, 6);
});

test('volumes on different grids are refused naming both files and what differs', () => {
  const wide = write('wide.sgy', { ...small, crosslines: 4 }, () => 0);
  assert.throws(() => evaluateSurvey(wide, truth), (e: Error) => e.message.includes(wide) && e.message.includes(truth) && /crosslines 1\.\.4 step 1 vs 1\.\.3 step 1/.test(e.message));
  const long = write('long.sgy', { ...small, samples: 5, sampleInterval: 2000 }, () => 0);
  assert.throws(() => evaluateSurvey(long, truth), /samples per trace 5 vs 4; sample interval 2000 µs vs 4000 µs/);
  const holed = write('holed.sgy', { ...small, missing: [4] }, () => 0);
  assert.throws(() => evaluateSurvey(holed, truth), /1 grid positions hold a trace in one file and none in the other \(the first: inline 2, crossline 2\)/);
});

test('padded positions are left out of every count and wholly padded sections are skipped', () => {
  // 4 × 3 grid: inline 2 (traces 3-5) and inline 1 / crossline 2 (trace 1) have no trace. (Inlines
  // 1, 3, 4 remain, so the axis stays 1..4 step 1 and inline 2 is a padded row, not a wider step.)
  const holed: Vol = { inlines: 4, crosslines: 3, samples: 4, missing: [1, 3, 4, 5] };
  const t = write('holed-truth.sgy', holed, (_i, _j, s) => (s < 3 ? 1 : 0));
  const p = write('holed-pred.sgy', holed, (_i, _j, s) => (s < 2 ? 1 : 0));
  const e = evaluateSurvey(p, t);
  assert.deepEqual([e.inlines, e.crosslines, e.traces, e.padded, e.voxels], [4, 3, 8, 4, 32]);
  assert.deepEqual([e.truthSalt, e.predictedSalt, e.intersection, e.iou], [24, 16, 16, 16 / 24]);
  // Each section's IoU is 2/3 (passes 0.50..0.65: 0.4) over its traced rows alone.
  const { score: inlineScore, ...inlines } = e.inline!, { score: crosslineScore, ...crosslines } = e.crossline!;
  assert.deepEqual(inlines, { sections: 3, skipped: 1, emptyTruth: 0 });
  assert.deepEqual(crosslines, { sections: 3, skipped: 0, emptyTruth: 0 });
  // A sum of three 0.4s over 3 need not be 0.4 to the last bit.
  assert.ok(Math.abs(inlineScore - 0.4) < 1e-12 && Math.abs(crosslineScore - 0.4) < 1e-12, `${inlineScore} ${crosslineScore}`);
  assert.match(formatSurveyEvaluation(e), /8 traces, 4 padded positions excluded/);
});

test('a truth that is not 0/1, and a prediction outside 0..1, are refused naming the sample', () => {
  const seismic = write('seismic.sgy', small, (i, j, s) => 3 * Math.sin(i + j + s));
  // Sample 0 of trace 0 is sin(0) = 0, which either may hold; sample 1 is 3 sin(1) = 2.52.
  assert.throws(() => evaluateSurvey(seismic, truth), /seismic\.sgy \(trace 0 counting from 0\): sample 1 of inline 1, crossline 1 is 2\.52\d*; a prediction holds salt probabilities 0\.\.1/);
  assert.throws(() => evaluateSurvey(truth, seismic), /seismic\.sgy \(trace 0 counting from 0\): sample 1 of inline 1, crossline 1 is 2\.52\d*; the truth must be a 0\/1 salt volume/);
});

test('halite evaluate --segy: synth --volume salt against itself is 1.0; mixed forms are refused', () => {
  const out = join(dir, 'synth');
  const s = halite('synth', '--volume', '--out', out, '--inlines', '5', '--crosslines', '6', '--samples', '32', '--seed', '2');
  assert.equal(s.status, 0, s.stderr);
  const salt = join(out, 'salt.sgy');
  const r = halite('evaluate', '--segy', salt, '--truth', salt, '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.ok(j.truthSalt > 0);
  assert.deepEqual([j.iou, j.precision, j.recall, j.inline.score, j.crossline.score, j.inline.sections, j.crossline.sections], [1, 1, 1, 1, 1, 5, 6]);
  assert.match(r.stdout, /3D salt IoU\s+1\.0000/);
  const mixed = halite('evaluate', '--segy', salt, '--truth', salt, '--submission', 'x.csv');
  assert.notEqual(mixed.status, 0);
  assert.match(mixed.stderr, /--submission and --segy, --truth belong to different forms of evaluate/);
  const half = halite('evaluate', '--segy', salt);
  assert.match(half.stderr, /--truth TRUTH\.sgy is missing/);
  const seismicVsSalt = halite('evaluate', '--segy', salt, '--truth', join(out, 'seismic.sgy'));
  assert.notEqual(seismicVsSalt.status, 0);
  assert.match(seismicVsSalt.stderr, /seismic\.sgy \(trace \d+ counting from 0\): .*the truth must be a 0\/1 salt volume/);
});
