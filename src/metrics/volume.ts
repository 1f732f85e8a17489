// Scoring a predicted salt volume against a labelled one, both SEG-Y on the same survey grid: 3D salt
// IoU, voxel precision and recall, and the competition metric over every inline and every crossline
// section. Sections are streamed (SegyVolume), so memory is a few sections whatever the survey's size.
import { SegyError } from '../segy/errors.js';
import { axisValue } from '../segy/geometry.js';
import { gridDifferences, openVolume, type SectionDirection, type SegyVolume } from '../segy/volume.js';
import { overlap, overlapScore, type Overlap } from './competition.js';

export type SectionKind = SectionDirection;

export interface SurveyEvaluateOptions {
  /** A prediction sample > threshold is salt; default 0.5. */
  threshold?: number;
  /** Section directions scored with the competition metric; default both. */
  sections?: SectionKind[];
}

export interface SectionScores {
  /** Sections scored: every section of that direction holding at least one trace. */
  sections: number;
  /** Sections with no trace at all (wholly padded), left out of the mean. */
  skipped: number;
  /** Scored sections whose truth has no salt (each scores 1 or 0 on an empty prediction or not). */
  emptyTruth: number;
  /** Mean competition score (imageScore) over the scored sections. */
  score: number;
}

export interface SurveyEvaluation {
  prediction: string;
  truth: string;
  /** What the prediction's textual header says it is (halite predict --segy writes line 34), else 'unknown'. */
  predictionKind: 'probability' | 'mask' | 'unknown';
  threshold: number;
  inlines: number;
  crosslines: number;
  samples: number;
  /** Grid positions holding a trace; only their samples are scored. */
  traces: number;
  /** Grid positions without a trace, excluded from every count. */
  padded: number;
  /** Samples scored: traces × samples. */
  voxels: number;
  truthSalt: number;
  predictedSalt: number;
  /** Samples salt in both. */
  intersection: number;
  /** intersection / union over all scored samples; 1 when neither has salt. */
  iou: number;
  /** intersection / predictedSalt; null when nothing is predicted salt. */
  precision: number | null;
  /** intersection / truthSalt; null when the truth has no salt. */
  recall: number | null;
  inline?: SectionScores;
  crossline?: SectionScores;
}

function predictionKind(v: SegyVolume): SurveyEvaluation['predictionKind'] {
  const t = v.file.textHeader.text;
  return /HALITE salt mask/.test(t) ? 'mask' : /HALITE salt probability/.test(t) ? 'probability' : 'unknown';
}

/**
 * Binarises one section's traced rows into `truth` and `pred` (padded rows dropped) and returns how
 * many rows were kept. Throws SegyError naming the file, trace, inline and crossline for a prediction
 * sample outside 0..1 (NaN included) or a truth sample other than 0 or 1.
 */
function binariseSection(
  traces: Int32Array, predRows: Float32Array, truthRows: Float32Array, ns: number, threshold: number,
  where: (row: number) => string, files: { pred: SegyVolume; truth: SegyVolume; truthTraces: Int32Array },
  truth: Uint8Array, pred: Uint8Array,
): number {
  let kept = 0;
  for (let r = 0; r < traces.length; r++) {
    if (traces[r]! < 0) continue;
    const from = r * ns, to = kept * ns;
    for (let s = 0; s < ns; s++) {
      const p = predRows[from + s]!, t = truthRows[from + s]!;
      // Outside 0..1 is not a probability: most likely the seismic passed as the prediction.
      if (!(p >= 0 && p <= 1)) throw new SegyError(files.pred.file.path, `sample ${s} of ${where(r)} is ${p}; a prediction holds salt probabilities 0..1 or a 0/1 mask (halite predict --segy writes them), not seismic amplitudes`, { trace: traces[r]! });
      if (t !== 0 && t !== 1) throw new SegyError(files.truth.file.path, `sample ${s} of ${where(r)} is ${t}; the truth must be a 0/1 salt volume (e.g. the salt.sgy of halite synth --volume), not seismic or probabilities`, { trace: files.truthTraces[r]! });
      pred[to + s] = p > threshold ? 1 : 0;
      truth[to + s] = t;
    }
    kept++;
  }
  return kept;
}

/**
 * Scores the salt volume `predPath` (halite predict --segy's float32 probabilities, or its 0/1 mask)
 * against the salt volume `truthPath` (every sample exactly 0 or 1). Samples of
 * padded grid positions (no trace) are excluded everywhere and counted in `padded`.
 * Metrics: 3D IoU = |P∩T| / |P∪T| over all scored samples (1 when both are empty), voxel precision
 * |P∩T|/|P| and recall |P∩T|/|T|; and per direction the TGS Salt Identification competition metric
 * (imageScore: mean over IoU thresholds 0.50..0.95 of [IoU > t], empty vs empty = 1) of each section,
 * an inline as [crosslines × samples], a crossline as [inlines × samples], averaged over sections.
 * Reads each section of each requested direction once from both files; memory is four sections.
 * Throws Error naming both files when their grids differ (inline/crossline axes, samples, sample
 * interval or padded positions), SegyError for an unreadable file, a prediction sample outside 0..1
 * or a truth sample other than 0 or 1.
 */
export function evaluateSurvey(predPath: string, truthPath: string, o: SurveyEvaluateOptions = {}): SurveyEvaluation {
  const threshold = o.threshold ?? 0.5;
  const kinds = o.sections ?? ['inline', 'crossline'];
  if (!kinds.length) throw new RangeError('no section directions to score: pass inline, crossline or both');
  const pred = openVolume(predPath);
  let truth: SegyVolume | undefined;
  try {
    truth = openVolume(truthPath);
    const diff = gridDifferences(pred, truth);
    if (diff.length) throw new Error(`${predPath} (prediction) and ${truthPath} (truth) are not on the same survey grid: ${diff.join('; ')} (prediction vs truth). Score a prediction of the survey the truth labels (halite predict --segy SEISMIC.sgy writes one on its grid).`);
    const ns = pred.samples, nIl = pred.inlines.count, nXl = pred.crosslines.count;
    const e: SurveyEvaluation = {
      prediction: predPath, truth: truthPath, predictionKind: predictionKind(pred), threshold,
      inlines: nIl, crosslines: nXl, samples: ns, traces: pred.geometry.traceCount, padded: pred.geometry.padded,
      voxels: pred.geometry.traceCount * ns, truthSalt: 0, predictedSalt: 0, intersection: 0, iou: 1, precision: null, recall: null,
    };
    const total: Overlap = { inter: 0, union: 0, t: 0, p: 0 };
    const scratch = { p: new Float32Array(Math.max(nIl, nXl) * ns), t: new Float32Array(Math.max(nIl, nXl) * ns) };
    const masks = { p: new Uint8Array(scratch.p.length), t: new Uint8Array(scratch.p.length) };
    kinds.forEach((kind, k) => {
      const count = kind === 'inline' ? nIl : nXl;
      const s: SectionScores = { sections: 0, skipped: 0, emptyTruth: 0, score: 0 };
      for (let x = 0; x < count; x++) {
        const traces = kind === 'inline' ? pred.inlineTraces(x) : pred.crosslineTraces(x);
        const truthTraces = kind === 'inline' ? truth!.inlineTraces(x) : truth!.crosslineTraces(x);
        if (traces.every((t) => t < 0)) { s.skipped++; continue; }
        const pr = kind === 'inline' ? pred.inlineAt(x, scratch.p) : pred.crosslineAt(x, scratch.p);
        const tr = kind === 'inline' ? truth!.inlineAt(x, scratch.t) : truth!.crosslineAt(x, scratch.t);
        const where = (r: number) => {
          const [i, j] = kind === 'inline' ? [x, r] : [r, x];
          return `inline ${axisValue(pred.inlines, i)}, crossline ${axisValue(pred.crosslines, j)}`;
        };
        const kept = binariseSection(traces, pr, tr, ns, threshold, where, { pred, truth: truth!, truthTraces }, masks.t, masks.p);
        const c = overlap(masks.t.subarray(0, kept * ns), masks.p.subarray(0, kept * ns));
        s.sections++;
        s.score += overlapScore(c);
        if (c.t === 0) s.emptyTruth++;
        // Every scored sample lies in exactly one section of a direction: count the voxels on the first.
        if (k === 0) { total.inter += c.inter; total.union += c.union; total.t += c.t; total.p += c.p; }
      }
      s.score = s.sections ? s.score / s.sections : Number.NaN;
      e[kind] = s;
    });
    e.truthSalt = total.t;
    e.predictedSalt = total.p;
    e.intersection = total.inter;
    e.iou = total.union === 0 ? 1 : total.inter / total.union;
    e.precision = total.p === 0 ? null : total.inter / total.p;
    e.recall = total.t === 0 ? null : total.inter / total.t;
    return e;
  } finally {
    pred.close();
    truth?.close();
  }
}

/** A short text table of an evaluation (what halite evaluate --segy prints). */
export function formatSurveyEvaluation(e: SurveyEvaluation): string {
  const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
  const kind = e.predictionKind === 'mask' ? '0/1 salt mask' : e.predictionKind === 'probability' ? 'salt probabilities' : 'not written by halite predict';
  const rows: [string, string][] = [
    ['prediction', `${e.prediction} (${kind})`],
    ['truth', e.truth],
    ['grid', `${e.inlines} inlines × ${e.crosslines} crosslines × ${e.samples} samples; ${e.traces} traces, ${e.padded} padded positions excluded`],
    ['voxels', `${e.voxels} scored: ${e.truthSalt} salt in truth, ${e.predictedSalt} predicted (> ${e.threshold}), ${e.intersection} both`],
    ['3D salt IoU', f(e.iou)],
    ['precision', f(e.precision)],
    ['recall', f(e.recall)],
  ];
  for (const k of ['inline', 'crossline'] as const) {
    const s = e[k];
    if (!s) continue;
    const skipped = s.skipped ? `, ${s.skipped} without traces skipped` : '';
    rows.push([`metric (${k}s)`, `${f(Number.isNaN(s.score) ? null : s.score)} over ${s.sections} sections (${s.emptyTruth} without salt in truth${skipped})`]);
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`).join('\n');
}
