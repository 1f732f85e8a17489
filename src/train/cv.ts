// Stratified k-fold cross-validation: one run per fold (fold-0 ... fold-k-1) in a folder, then the
// out-of-fold predictions of every fold's best weights, scored per fold and together, with the
// post-processing tuned on all of them (cv.json). Finished folds are kept, unfinished ones resumed.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { concatTyped } from '../data/arrays.js';
import { PIXELS } from '../data/rle.js';
import { validationTiles } from '../data/split.js';
import { readTgs } from '../data/tgs.js';
import { predictTiles } from '../infer/predict.js';
import { loadRun } from '../infer/run.js';
import { tunePostprocess } from '../infer/tune.js';
import { linspace } from '../metrics/competition.js';
import { hasCheckpoint } from '../run/checkpoint.js';
import { resolveConfig, type TrainConfig } from '../run/config.js';
import { writeCv, type CvSummary } from '../run/cv.js';
import { bestEpoch, readHistory } from '../run/history.js';
import { RunLock } from '../run/lock.js';
import { readTuning } from '../run/tuning.js';
import { train, type TrainHooks } from './trainer.js';

/**
 * Trains (or resumes) every fold of `folds` in `dir`, then writes cv.json. Holds the folder's lock
 * throughout, so a second `halite cv` on it is refused (RunLockedError). Throws Error when a fold
 * stops before finishing (Ctrl-C): running it again resumes.
 */
export async function crossValidate(base: TrainConfig, folds: number, dir: string, hooks: TrainHooks = {}): Promise<CvSummary> {
  const log = hooks.log ?? ((l: string) => console.log(l));
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  const lock = RunLock.acquire(root, log, `halite cv --out ${root} with the same flags (finished folds are kept)`);
  try {
    for (let k = 0; k < folds; k++) {
      const run = join(root, `fold-${k}`);
      if (readTuning(run)) { log(`fold ${k + 1}/${folds}: finished already (${run})`); continue; }
      log(`fold ${k + 1}/${folds}: ${run}`);
      const r = hasCheckpoint(run)
        ? await train({ resume: run }, hooks)
        : await train(resolveConfig([{ ...base, folds, fold: k, runsDir: root, name: `fold-${k}` }], `fold ${k}`), hooks);
      if (r.stopped === 'interrupted' || r.stopped === 'limit') throw new Error(`fold ${k} stopped (${r.stopped}); run halite cv again to resume it`);
    }
    const data = await readTgs(resolve(base.data), { test: false });
    const parts: { probs: Float32Array; salt: Float32Array | null; masks: Uint8Array }[] = [];
    const rows: CvSummary['folds'] = [];
    for (let k = 0; k < folds; k++) {
      const run = loadRun(join(root, `fold-${k}`));
      const val = validationTiles(data, run.config);
      const { probs, salt } = predictTiles(run.model, val.images, { tta: true, device: run.config.device });
      parts.push({ probs, salt, masks: val.masks });
      rows.push({ fold: k, run: `fold-${k}`, tiles: val.ids.length, map: readTuning(run.dir)!.score, bestEpoch: bestEpoch(readHistory(run.dir))?.epoch ?? -1 });
      run.model.dispose();
    }
    const probs = concatTyped(parts.map((p) => p.probs));
    const masks = concatTyped(parts.map((p) => p.masks));
    const salt = parts.every((p) => p.salt) ? concatTyped(parts.map((p) => p.salt!)) : null;
    const t = tunePostprocess(probs, masks, salt, linspace(base.sweep.from, base.sweep.to, base.sweep.steps));
    const summary: CvSummary = {
      folds: rows,
      oof: { threshold: t.threshold, minArea: t.minArea, gate: t.gate, map: t.score, thresholdMap: t.thresholdScore, tiles: masks.length / PIXELS },
    };
    writeCv(root, summary);
    return summary;
  } finally {
    lock.release();
  }
}
