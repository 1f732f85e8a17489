// `halite bench segy`: a synthetic survey of a chosen size written with SegyWriter, predicted whole
// (both directions, flip TTA), with the peak RSS (the bar: a 2 GB survey under 1.5 GB) and
// traces/s and sections/s beside the model's own inference images/s on the same machine.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TILE } from '../data/rle.js';
import { ensemblePredictor, predictSurvey, type SurveyProgress, type TilePredictor } from '../infer/survey.js';
import { loadMembers, disposeMembers } from '../infer/ensemble.js';
import { predictProbabilities } from '../infer/predict.js';
import { createModel } from '../models/registry.js';
import type { Module } from '../nn/module.js';
import { newSurvey, SegyWriter } from '../segy/index.js';
import * as T from '../torch/index.js';

export interface SegyBenchOptions {
  /** Survey size in bytes (headers and float32 samples). */
  bytes: number;
  samples: number;
  /** Folder for the survey, its prediction and the scratch file (all removed after). */
  dir: string;
  /** A run (or cv folder) to predict with; default an untrained residual U-Net of `startFilters`. */
  run?: string;
  /** Predict with an identity stub instead of a network: reading, tiling, stitching and writing alone. */
  stub?: boolean;
  startFilters: number;
  tta: boolean;
  batchSize: number;
  threads: number;
  log: (line: string) => void;
  /** Aborting stops between sections (predictSurvey's SurveyAborted) and still removes the folder. */
  signal?: AbortSignal;
}

/** A `nIl × nXl × ns` float32 survey at `path` (4 ms, inlines from 1000, crosslines from 2000): dipping layers over a dome with a little noise, inline by inline through SegyWriter. */
export function writeSyntheticSurvey(path: string, nIl: number, nXl: number, ns: number): void {
  const survey = newSurvey(path, {
    inlines: { first: 1000, count: nIl }, crosslines: { first: 2000, count: nXl }, samples: ns, sampleInterval: 4000,
    text: ['halite bench segy: a synthetic survey for timing survey prediction'],
  });
  const w = SegyWriter.open(path, survey, { format: 5 });
  try {
    const s = new Float32Array(nXl * ns);
    let seed = 1;
    const noise = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
    for (let i = 0; i < nIl; i++) {
      for (let j = 0; j < nXl; j++) {
        const r2 = ((i - nIl / 2) ** 2 + (j - nXl / 2) ** 2) / (0.1 * (nIl * nIl + nXl * nXl));
        const lift = 0.3 * ns * Math.exp(-r2);
        for (let k = 0; k < ns; k++) s[j * ns + k] = 1000 * Math.sin((2 * Math.PI * (k + lift + 0.05 * i)) / 25) + 200 * noise();
      }
      w.writeSection(survey.inlineTraces(i), s);
    }
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
}

/** Forward passes alone: images/s of `model` on random tiles (no TTA), as `bench engine` measures inference. */
function modelImagesPerSecond(model: Module, batch: number): number {
  const x = new Float32Array(batch * TILE * TILE).map(() => Math.random());
  predictProbabilities(model, x, { tta: false, batchSize: batch });
  const t0 = performance.now();
  const reps = 3;
  for (let r = 0; r < reps; r++) predictProbabilities(model, x, { tta: false, batchSize: batch });
  return (reps * batch) / ((performance.now() - t0) / 1000);
}

export interface SegyBenchResult {
  survey_bytes: number;
  inlines: number;
  crosslines: number;
  samples: number;
  traces: number;
  sections: number;
  tiles: number;
  tta: boolean;
  model: string;
  threads: number;
  write_s: number;
  predict_s: number;
  /** Traces predicted per second over both passes (each trace is predicted twice). */
  traces_s: number;
  sections_s: number;
  /** Model forward images per second during the survey (tiles × TTA), and in isolation. */
  survey_images_s: number;
  engine_infer_img_s: number | null;
  /** Peak RSS (MiB) up to the end of the survey: writing it, reading it, the model and its batches. */
  peak_rss_mb: number;
}

export async function benchSegy(o: SegyBenchOptions): Promise<SegyBenchResult> {
  T.setNumThreads(o.threads);
  const traceBytes = 240 + 4 * o.samples;
  const side = Math.max(2, Math.round(Math.sqrt((o.bytes - 3600) / traceBytes)));
  const dir = mkdtempSync(join(o.dir, 'halite-bench-segy-'));
  try {
    const input = join(dir, 'survey.sgy');
    let t0 = performance.now();
    writeSyntheticSurvey(input, side, side, o.samples);
    const writeS = (performance.now() - t0) / 1000;
    const bytes = statSync(input).size;
    o.log(`wrote a ${side} × ${side} × ${o.samples} survey (${(bytes / 2 ** 20).toFixed(0)} MiB) in ${writeS.toFixed(1)} s`);

    let predict: TilePredictor, model: Module | null, label: string, dispose: () => void;
    if (o.stub) {
      predict = (t) => t.slice();
      model = null;
      label = 'identity stub (no network)';
      dispose = () => {};
    } else if (o.run) {
      const members = loadMembers([{ dir: o.run }]);
      predict = ensemblePredictor(members, { tta: o.tta, batchSize: o.batchSize });
      model = members[0]!.run.model;
      label = o.run;
      dispose = () => disposeMembers(members);
    } else {
      T.manualSeed(0);
      model = createModel('resunet', { startFilters: o.startFilters });
      const m = model;
      predict = (t) => predictProbabilities(m, t, { tta: o.tta, batchSize: o.batchSize });
      label = `untrained resunet, startFilters ${o.startFilters}`;
      dispose = () => m.dispose();
    }
    try {
      let last = 0;
      const progress = (p: SurveyProgress) => {
        if (p.seconds - last < 10 && p.sections !== p.totalSections) return;
        last = p.seconds;
        o.log(`  ${p.sections}/${p.totalSections} sections, ${(p.traces / p.seconds).toFixed(0)} traces/s, RSS ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MiB`);
      };
      t0 = performance.now();
      const r = await predictSurvey({ input, out: join(dir, 'salt.sgy'), predict, threshold: 0.5, tta: o.tta && !o.stub, model: label, onProgress: progress, signal: o.signal });
      const s = (performance.now() - t0) / 1000;
      const peak = process.resourceUsage().maxRSS / 1024; // before the model-alone batches below add theirs
      // Measured after the survey, warm, on the same model: the ceiling the survey's tiles could reach.
      const engine = model ? modelImagesPerSecond(model, o.batchSize) : null;
      if (engine !== null) o.log(`model alone: ${engine.toFixed(1)} images/s (${label}, batch ${o.batchSize}, ${o.threads} threads)`);
      const sections = r.inlines + r.crosslines;
      return {
        survey_bytes: bytes, inlines: r.inlines, crosslines: r.crosslines, samples: r.samples, traces: r.traces, sections, tiles: r.tiles,
        tta: o.tta && !o.stub, model: label, threads: o.threads, write_s: writeS, predict_s: s,
        traces_s: (2 * r.traces) / s, sections_s: sections / s,
        survey_images_s: (r.tiles * (o.tta && !o.stub ? 2 : 1)) / s, engine_infer_img_s: engine,
        peak_rss_mb: peak,
      };
    } finally {
      dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
