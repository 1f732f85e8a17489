// A finished run as a predictor: its config, its best weights and its tuned threshold.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadWeights } from '../io/weights.js';
import { createModel } from '../models/registry.js';
import type { Module } from '../nn/module.js';
import { readRunConfig, type TrainConfig } from '../train/config.js';

export interface LoadedRun { dir: string; config: TrainConfig; model: Module; threshold: number }

export function loadRun(dir: string): LoadedRun {
  const run = resolve(dir);
  const need = (f: string) => {
    const p = join(run, f);
    if (!existsSync(p)) throw new Error(`${run}: no ${f}; is this a finished halite run directory?`);
    return p;
  };
  need('config.json');
  const config = readRunConfig(run);
  const model = createModel(config.model, config.modelOptions);
  loadWeights(need('best.safetensors'), model);
  const thPath = join(run, 'threshold.json');
  const threshold = existsSync(thPath) ? (JSON.parse(readFileSync(thPath, 'utf8')) as { threshold: number }).threshold : 0.5;
  return { dir: run, config, model, threshold };
}
