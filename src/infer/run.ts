// A finished run as a predictor: its config, its best weights and its tuned post-processing.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadWeights } from '../io/weights.js';
import { isMultiHead } from '../models/heads.js';
import { createModel } from '../models/registry.js';
import type { Module } from '../nn/module.js';
import { readRunConfig, type TrainConfig } from '../run/config.js';
import { readThreshold } from '../train/history.js';
import type { Postprocess } from './tune.js';

export interface LoadedRun {
  dir: string;
  config: TrainConfig;
  model: Module;
  post: Postprocess;
  /** The epoch the weights were saved at (null in files without it). */
  epoch: number | null;
}

/** A run's tuned post-processing from threshold.json (or another tuning file), or null before tuning. */
export function tunedPostprocess(dir: string, file?: string): Postprocess | null {
  const th = readThreshold(dir, file);
  return th && { threshold: th.threshold, minArea: th.minArea ?? 0, gate: th.gate ?? null };
}

/** What loadRun would read changes with this: the best weights' time and the tuning. Keys caches of loaded runs. */
export function runVersion(dir: string): string {
  return `${statSync(join(dir, 'best.safetensors')).mtimeMs}:${JSON.stringify(tunedPostprocess(dir))}`;
}

export function loadRun(dir: string, weightsFile = 'best.safetensors'): LoadedRun {
  const run = resolve(dir);
  const need = (f: string) => {
    const p = join(run, f);
    if (!existsSync(p)) throw new Error(`${run}: no ${f}; is this a finished halite run directory?`);
    return p;
  };
  need('config.json');
  const config = readRunConfig(run);
  const model = createModel(config.model, config.modelOptions);
  const meta = loadWeights(need(weightsFile), model);
  const post = tunedPostprocess(run) ?? { threshold: 0.5, minArea: 0, gate: null };
  // Used directly (the web app), the model gates with the tuned value; predictTiles gates in the pipeline.
  if (isMultiHead(model) && post.gate !== null) model.gateThreshold = post.gate;
  return { dir: run, config, model, post, epoch: meta.epoch !== undefined ? Number(meta.epoch) : null };
}
