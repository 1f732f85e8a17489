// A module's weights on disk: its state dict as safetensors, with the model's name and options
// in the header so a file says what it holds.
import type { Module } from '../nn/module.js';
import { StateDictError } from '../nn/module.js';
import { dispose } from '../torch/scope.js';
import { loadSafetensors, saveSafetensors, type Metadata } from './safetensors.js';

export interface WeightsInfo {
  /** Registry name of the model, e.g. "resunet". */
  model?: string;
  /** Options the model was built with; stored as JSON. */
  options?: unknown;
  /** Anything else worth keeping (threshold, epoch, metric), as strings. */
  extra?: Metadata;
}

export function saveWeights(path: string, module: Module, info: WeightsInfo = {}): void {
  const meta: Metadata = { format: 'halite', ...(info.extra ?? {}) };
  if (info.model !== undefined) meta.model = info.model;
  if (info.options !== undefined) meta.options = JSON.stringify(info.options);
  saveSafetensors(path, module.stateDict(), meta);
}

/** Loads weights strictly (names and shapes must match) and returns the file's metadata. */
export function loadWeights(path: string, module: Module, strict = true): Metadata {
  const { tensors, metadata } = loadSafetensors(path);
  try {
    module.loadStateDict(tensors, strict);
  } catch (e) {
    if (e instanceof StateDictError) throw new StateDictError(e.missing, e.unexpected, e.mismatched, path);
    throw e;
  } finally {
    dispose([...tensors.values()]);
  }
  return metadata;
}
