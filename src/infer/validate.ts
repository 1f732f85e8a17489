// A finished run scored on its own validation tiles: its tuned threshold, flip TTA, the competition
// metric with its tables. The demo prints it and the report draws it.
import { PIXELS } from '../data/rle.js';
import { imageScore } from '../metrics/competition.js';
import { evaluate, type Evaluation } from '../metrics/submission.js';
import { predictTiles } from './predict.js';
import type { LoadedRun } from './run.js';
import { toMask } from './submission.js';

export interface ValidationScore {
  preds: Uint8Array[];
  /** Per-tile competition scores, in the order of the ids. */
  scores: number[];
  evaluation: Evaluation;
}

export function scoreValidation(run: LoadedRun, val: { ids: string[]; images: Float32Array; masks: Uint8Array }): ValidationScore {
  const { probs, salt } = predictTiles(run.model, val.images, { tta: true, device: run.config.device });
  const preds = val.ids.map((_, k) => toMask(probs.subarray(k * PIXELS, (k + 1) * PIXELS), run.post, salt ? salt[k]! : null));
  const truth = (k: number) => val.masks.subarray(k * PIXELS, (k + 1) * PIXELS);
  return {
    preds,
    scores: preds.map((p, k) => imageScore(truth(k), p)),
    evaluation: evaluate(val.ids, val.masks, new Map(val.ids.map((id, k) => [id, preds[k]!]))),
  };
}
