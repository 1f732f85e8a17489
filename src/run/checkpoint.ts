// last.ckpt.safetensors: weights, optimizer state and the generator state in one safetensors file,
// with the trainer's loop position and callbacks' state as JSON in its header. Written atomically, so
// an interrupted write leaves the previous checkpoint intact.
import { existsSync } from 'node:fs';
import type { Module } from '../nn/module.js';
import type { OptimizerLike, OptimizerState } from '../optim/optimizer.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import { getRngState, setRngState } from '../torch/runtime.js';
import { dispose } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';
import { runPath } from './layout.js';

export function hasCheckpoint(dir: string): boolean {
  return existsSync(runPath(dir, 'checkpoint'));
}

/**
 * Saves model (`model.*`), optimizer (`optim.*`), CPU generator (`rng.cpu`), `extra` tensors
 * (`extra.*`: callbacks' tensor state, such as averaged weights) and `state` (any JSON) to the run's checkpoint.
 */
export function saveCheckpoint(dir: string, model: Module, opt: OptimizerLike, state: unknown, extra: ReadonlyMap<string, Tensor> = new Map()): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of model.stateDict()) tensors.set(`model.${k}`, t);
  const os = opt.stateDict();
  for (const [k, t] of os.tensors) tensors.set(`optim.${k}`, t);
  const rng = getRngState();
  tensors.set('rng.cpu', rng);
  for (const [k, t] of extra) tensors.set(`extra.${k}`, t);
  try {
    saveSafetensors(runPath(dir, 'checkpoint'), tensors, { format: 'halite-checkpoint', state: JSON.stringify(state), optimizer: JSON.stringify(os.meta) });
  } finally {
    rng.dispose();
  }
}

/**
 * Restores model, optimizer and generator from the run's checkpoint and returns the saved state JSON.
 * Throws Error naming the file when it is not a halite checkpoint or lacks the generator state, and
 * StateDictError when the model does not match.
 */
export function loadCheckpoint(dir: string, model: Module, opt: OptimizerLike): unknown {
  const path = runPath(dir, 'checkpoint');
  const { tensors, metadata } = loadSafetensors(path);
  try {
    if (metadata.format !== 'halite-checkpoint' || !metadata.state || !metadata.optimizer) {
      throw new Error(`${path}: not a halite checkpoint (no loop state in its header)`);
    }
    const pick = (prefix: string) => new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, t]) => [k.slice(prefix.length), t]));
    model.loadStateDict(pick('model.'));
    const os: OptimizerState = { tensors: pick('optim.'), meta: JSON.parse(metadata.optimizer) as OptimizerState['meta'] };
    opt.loadStateDict(os);
    const rng = tensors.get('rng.cpu');
    if (!rng) throw new Error(`${path}: no generator state`);
    setRngState(rng);
    return JSON.parse(metadata.state) as unknown;
  } finally {
    dispose([...tensors.values()]);
  }
}

/**
 * The checkpoint's `extra.*` tensors whose names start with `prefix` (prefix removed), for the
 * callback that saved them; the caller disposes them. Throws Error naming the file when unreadable.
 */
export function loadCheckpointExtra(dir: string, prefix: string): Map<string, Tensor> {
  const { tensors } = loadSafetensors(runPath(dir, 'checkpoint'));
  const out = new Map<string, Tensor>();
  for (const [k, t] of tensors) {
    if (k.startsWith(`extra.${prefix}`)) out.set(k.slice(`extra.${prefix}`.length), t);
    else t.dispose();
  }
  return out;
}
