// Post-processing tuned on a run's validation tiles with flip TTA: for its best weights
// (threshold.json) and, when it saved snapshots, for its snapshot ensemble (threshold-snapshots.json).
import { linspace } from '../metrics/competition.js';
import type { Module } from '../nn/module.js';
import { disposeMembers, loadMembers, predictEnsemble } from '../infer/ensemble.js';
import { fuseForInference, INFERENCE_CHANNELS_LAST, unfuse } from '../infer/fuse.js';
import { predictTiles } from '../infer/predict.js';
import { tunePostprocess, type Tuned } from '../infer/tune.js';
import { PIXELS } from '../data/rle.js';
import type { TrainConfig } from '../run/config.js';
import { snapshotFiles } from '../run/layout.js';
import { writeTuning, type TuningKind } from '../run/tuning.js';

export interface ValidationSet { images: Float32Array; masks: Uint8Array }

function tuneTo(run: string, kind: TuningKind, pred: { probs: Float32Array; salt: Float32Array | null }, masks: Uint8Array, c: TrainConfig): Tuned {
  const thresholds = linspace(c.sweep.from, c.sweep.to, c.sweep.steps);
  // Scored on tiles it was not tuned on too, where there are enough tiles for two folds.
  const t = tunePostprocess(pred.probs, masks, pred.salt, thresholds, { crossFit: masks.length >= 4 * PIXELS });
  writeTuning(run, kind, { ...t, tta: true });
  return t;
}

/**
 * Tunes threshold, minimum area and gate for `model` (the run's best weights) on `val` with flip TTA;
 * writes threshold.json. `predicted`: the model's flip-TTA predictions of `val`, when already made
 * (by the ranks of a data-parallel run together).
 */
export function tuneRun(run: string, model: Module, val: ValidationSet, c: TrainConfig,
  predicted?: { probs: Float32Array; salt: Float32Array | null }): Tuned {
  if (predicted) return tuneTo(run, 'best', predicted, val.masks, c);
  // Predicted as halite predict will predict these weights (loadRun folds the BatchNorms), so that the
  // tuned score is the one evaluate finds for its submission; undone after, as training may go on.
  fuseForInference(model, { channelsLast: INFERENCE_CHANNELS_LAST });
  try {
    return tuneTo(run, 'best', predictTiles(model, val.images, { tta: true, device: c.device }), val.masks, c);
  } finally {
    unfuse(model);
  }
}

/** Tunes the run's snapshot ensemble when it saved snapshots besides its best weights (threshold-snapshots.json); null when it has none. */
export function tuneSnapshots(run: string, val: ValidationSet, c: TrainConfig): { tuned: Tuned; models: number } | null {
  if (snapshotFiles(run).length === 0) return null;
  const members = loadMembers([{ dir: run, snapshots: true }]);
  try {
    return members.length > 1 ? { tuned: tuneTo(run, 'snapshots', predictEnsemble(members, val.images, { tta: true }), val.masks, c), models: members.length } : null;
  } finally {
    disposeMembers(members);
  }
}
