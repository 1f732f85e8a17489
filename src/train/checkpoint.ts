// The last checkpoint of a run: weights, optimizer state and the generator state in one safetensors
// file, with the loop's position and callback state as JSON in its header. Written atomically, so
// an interrupted write leaves the previous checkpoint intact.
import type { Module } from '../nn/module.js';
import type { OptimizerLike, OptimizerState } from '../optim/optimizer.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import { getRngState, setRngState } from '../torch/runtime.js';
import { dispose } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';

export interface LoopState {
  phase: number;
  /** Epochs completed in this phase. */
  epochInPhase: number;
  /** Epochs completed in the run. */
  epoch: number;
  /** Batches completed in the current, unfinished epoch (0 at an epoch boundary). */
  batch: number;
  /** Running sums of the unfinished epoch's training loss. */
  lossSum: number;
  lossCount: number;
  best: number;
  bestEpoch: number;
  badEpochs: number;
  plateau: { best: number; badEpochs: number; cooldownLeft: number } | null;
  lr: number;
  seconds: number;
}

export function saveCheckpoint(path: string, model: Module, opt: OptimizerLike, state: LoopState): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of model.stateDict()) tensors.set(`model.${k}`, t);
  const os = opt.stateDict();
  for (const [k, t] of os.tensors) tensors.set(`optim.${k}`, t);
  const rng = getRngState();
  tensors.set('rng.cpu', rng);
  try {
    saveSafetensors(path, tensors, { format: 'halite-checkpoint', state: JSON.stringify(state), optimizer: JSON.stringify(os.meta) });
  } finally {
    rng.dispose();
  }
}

export function loadCheckpoint(path: string, model: Module, opt: OptimizerLike): LoopState {
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
    return JSON.parse(metadata.state) as LoopState;
  } finally {
    dispose([...tensors.values()]);
  }
}
