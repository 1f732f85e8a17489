// Stratified k-fold cross-validation: one run per fold (fold-0 ... fold-k-1) in a folder, then the
// out-of-fold predictions of every fold's best weights, scored per fold and together, with the
// post-processing tuned on all of them (cv.json). Finished folds are kept, unfinished ones resumed.
// Over a process group, fold k trains on rank k mod W and rank 0 gathers the out-of-fold predictions.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { gatherBytes, packParts, unpackParts, type ProcessGroup } from '../distributed/index.js';
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
import { cvContinueCommand, haliteProgram } from '../run/layout.js';
import { RunLock } from '../run/lock.js';
import { readTuning } from '../run/tuning.js';
import { broadcastBytes } from './data-parallel.js';
import { train, type TrainHooks } from './trainer.js';
import { makeFolders } from '../io/folders.js';

/** Spreading folds over ranks: every rank of `group` calls crossValidate with the same arguments. */
export interface CvRanks {
  group?: ProcessGroup;
  /** Take the folder's lock (default true); one rank per machine should (the ranks of a machine share the folder). */
  lock?: boolean;
}

type FoldPart = { row: CvSummary['folds'][number]; probs: Float32Array; salt: Float32Array | null; masks: Uint8Array; host: string };

/** cv's result: cv.json's summary and, over a group, the host name of the machine that trained each fold. */
export type CvResult = CvSummary & { trainedOn?: string[] };

/**
 * Trains (or resumes) every fold of `folds` in `dir`, then writes cv.json. Holds the folder's lock
 * throughout, so a second `halite cv` on it is refused (RunLockedError). Throws Error when a fold
 * stops before finishing (Ctrl-C): running it again resumes.
 * With `ranks.group`, fold k is an ordinary one-process training on rank k mod W, in `dir` on that
 * rank's machine; each rank predicts its folds' validation tiles, and rank 0 gathers them (with each
 * fold's row), tunes, and writes cv.json exactly as one process does. Every rank returns the summary.
 */
export async function crossValidate(base: TrainConfig, folds: number, dir: string, hooks: TrainHooks = {}, ranks: CvRanks = {}): Promise<CvResult> {
  const log = hooks.log ?? ((l: string) => console.log(l));
  const group = ranks.group, rank = group?.rank ?? 0, world = group?.worldSize ?? 1;
  const mine = Array.from({ length: folds }, (_, k) => k).filter((k) => k % world === rank);
  const root = resolve(dir);
  makeFolders(root);
  const lock = ranks.lock === false ? null : RunLock.acquire(root, log, cvContinueCommand(root));
  try {
    for (const k of mine) {
      const run = join(root, `fold-${k}`);
      if (readTuning(run)) { log(`fold ${k + 1}/${folds}: finished already (${run})`); continue; }
      log(`fold ${k + 1}/${folds}: ${run}`);
      const r = hasCheckpoint(run)
        ? await train({ resume: run }, hooks)
        : await train(resolveConfig([{ ...base, folds, fold: k, runsDir: root, name: `fold-${k}` }], `fold ${k}`), hooks);
      if (r.stopped === 'interrupted' || r.stopped === 'limit') throw new Error(`fold ${k} stopped (${r.stopped}); run ${haliteProgram()} cv again to resume it`);
    }
    const data = mine.length ? await readTgs(resolve(base.data), { test: false }) : null;
    const own: FoldPart[] = mine.map((k) => {
      const run = loadRun(join(root, `fold-${k}`));
      const val = validationTiles(data!, run.config);
      const { probs, salt } = predictTiles(run.model, val.images, { tta: true, device: run.config.device });
      const row = { fold: k, run: `fold-${k}`, tiles: val.ids.length, map: readTuning(run.dir)!.score, bestEpoch: bestEpoch(readHistory(run.dir))?.epoch ?? -1 };
      run.model.dispose();
      return { row, probs, salt, masks: val.masks, host: hostname() };
    });
    const parts = group ? await gatherFolds(group, own, folds) : own;
    let summary: CvResult | null = null;
    if (parts) {
      const probs = concatTyped(parts.map((p) => p.probs));
      const masks = concatTyped(parts.map((p) => p.masks));
      const salt = parts.every((p) => p.salt) ? concatTyped(parts.map((p) => p.salt!)) : null;
      const t = tunePostprocess(probs, masks, salt, linspace(base.sweep.from, base.sweep.to, base.sweep.steps));
      summary = {
        folds: parts.map((p) => p.row),
        oof: { threshold: t.threshold, minArea: t.minArea, gate: t.gate, map: t.score, thresholdMap: t.thresholdScore, tiles: masks.length / PIXELS },
      };
      writeCv(root, summary);
      if (group) summary = { ...summary, trainedOn: parts.map((p) => p.host) };
    }
    if (!group) return summary!;
    // Every rank returns rank 0's summary, once cv.json is written.
    const bytes = await broadcastBytes(group, summary ? new TextEncoder().encode(JSON.stringify(summary)) : null);
    return JSON.parse(new TextDecoder().decode(bytes)) as CvResult;
  } finally {
    lock?.release();
  }
}

/**
 * Every rank's folds at rank 0 (through the group: ranks on other machines share no files), in fold
 * order; null on the other ranks.
 */
async function gatherFolds(group: ProcessGroup, own: FoldPart[], folds: number): Promise<FoldPart[] | null> {
  const arrays = own.flatMap((p) => [p.probs, p.masks, ...(p.salt ? [p.salt] : [])]);
  const all = await gatherBytes(group, packParts(own.map((p) => ({ row: p.row, salt: p.salt !== null, host: p.host })), arrays));
  if (!all) return null;
  const byFold: FoldPart[] = [];
  for (const bytes of all) {
    const { meta, parts } = unpackParts<{ row: FoldPart['row']; salt: boolean; host: string }[]>(bytes);
    let i = 0;
    for (const m of meta) {
      const probs = parts[i++] as Float32Array, masks = parts[i++] as Uint8Array;
      byFold[m.row.fold] = { row: m.row, host: m.host, probs, masks, salt: m.salt ? parts[i++] as Float32Array : null };
    }
  }
  for (let k = 0; k < folds; k++) if (!byFold[k]) throw new Error(`cv: no rank sent fold ${k}'s out-of-fold predictions`);
  return byFold;
}
