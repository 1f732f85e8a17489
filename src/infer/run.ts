// A finished run as a predictor: its config, its best weights and its tuned post-processing.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadWeights } from '../io/weights.js';
import { isMultiHead } from '../models/heads.js';
import { createModel } from '../models/registry.js';
import type { Module } from '../nn/module.js';
import { readRunConfig, type TrainConfig } from '../run/config.js';
import { RUN_FILES, resumeCommand, runPath } from '../run/layout.js';
import { readTuning, type TuningKind } from '../run/tuning.js';
import { fuseForInference, INFERENCE_CHANNELS_LAST, type FuseReport } from './fuse.js';
import type { Postprocess } from './tune.js';

export interface LoadedRun {
  dir: string;
  config: TrainConfig;
  model: Module;
  post: Postprocess;
  /** The epoch the weights were saved at (null in files without it). */
  epoch: number | null;
  /** What fuseForInference folded into the model's eval weights (null: loaded with fuse false). */
  fused: FuseReport | null;
}

export interface LoadRunOptions {
  /**
   * Fold the BatchNorms into the convolutions' eval weights, in channels-last layout (fuseForInference;
   * default true): faster eval-mode forwards, the parameters and state dict unchanged. An ONNX export
   * loads unfused, as it folds in its own graph.
   */
  fuse?: boolean;
}

/** A run's tuned post-processing (of its best weights or its snapshot ensemble), or null before tuning. */
export function tunedPostprocess(dir: string, kind: TuningKind = 'best'): Postprocess | null {
  const th = readTuning(dir, kind);
  return th && { threshold: th.threshold, minArea: th.minArea ?? 0, gate: th.gate ?? null };
}

/** What loadRun would read changes with this: the best weights' time and the tuning. Keys caches of loaded runs. */
export function runVersion(dir: string): string {
  return `${statSync(runPath(dir, 'best')).mtimeMs}:${JSON.stringify(tunedPostprocess(dir))}`;
}

/**
 * Loads a run's config, weights (best.safetensors, or a snapshot's file name) and tuning, the model
 * prepared for inference (o.fuse). Needs only the
 * run directory, not the data it was trained on. Throws Error naming the missing file.
 */
export function loadRun(dir: string, weightsFile: string = RUN_FILES.best, o: LoadRunOptions = {}): LoadedRun {
  const run = resolve(dir);
  const need = (f: string) => {
    const p = join(run, f);
    if (existsSync(p)) return p;
    // A run that stopped early has a config and perhaps a checkpoint, but no validated weights yet.
    const started = f === RUN_FILES.best && existsSync(runPath(run, 'config'));
    throw new Error(`${run}: no ${f}; ${!started ? 'is this a finished halite run directory?'
      : existsSync(runPath(run, 'checkpoint')) ? `the run has not validated an epoch yet: continue it with ${resumeCommand(run)}`
        : 'the run stopped before its first epoch ended: train it again'}`);
  };
  need(RUN_FILES.config);
  const config = readRunConfig(run);
  const model = createModel(config.model, config.modelOptions);
  const meta = loadWeights(need(weightsFile), model);
  const post = tunedPostprocess(run) ?? { threshold: 0.5, minArea: 0, gate: null };
  // Used directly (the web app), the model gates with the tuned value; predictTiles gates in the pipeline.
  if (isMultiHead(model) && post.gate !== null) model.gateThreshold = post.gate;
  const fused = o.fuse === false ? null : fuseForInference(model, { channelsLast: INFERENCE_CHANNELS_LAST });
  return { dir: run, config, model, post, epoch: meta.epoch !== undefined ? Number(meta.epoch) : null, fused };
}
