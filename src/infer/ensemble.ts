// Ensembles: several runs, folds and snapshots, each with a weight; their probabilities (and salt
// probabilities) are averaged with flip TTA, and the post-processing is the members' (weighted) or
// the one tuned on out-of-fold predictions by `halite cv`.
import { join, resolve } from 'node:path';
import { PIXELS } from '../data/rle.js';
import { predictProbabilities, predictTiles, type PredictOptions } from './predict.js';
import { isCvFolder, readCv } from '../run/cv.js';
import { RUN_FILES, snapshotFiles } from '../run/layout.js';
import { loadRun, tunedPostprocess, type LoadedRun, type LoadRunOptions } from './run.js';
import type { Postprocess } from './tune.js';

export interface Member { label: string; run: LoadedRun; weight: number }

export interface MemberSpec { dir: string; weight?: number; snapshots?: boolean }

/**
 * Loads members. A run with `snapshots` contributes its best weights and every snapshot, sharing its
 * weight equally (the best weights once when they are also a snapshot); a `halite cv` folder
 * contributes each fold's run, sharing it likewise. `o` is loadRun's (fold the BatchNorms, by default).
 */
export function loadMembers(specs: MemberSpec[], o: LoadRunOptions = {}): Member[] {
  if (specs.length === 0) throw new Error('an ensemble needs at least one run');
  const out: Member[] = [];
  for (const s of specs) {
    const dir = resolve(s.dir);
    const w = s.weight ?? 1;
    if (!(w > 0)) throw new Error(`${dir}: ensemble weight must be > 0, got ${w}`);
    const folds = isCvFolder(dir) ? readCv(dir).folds.map((f) => join(dir, f.run)) : [dir];
    const loaded = folds.flatMap((d) => [RUN_FILES.best, ...(s.snapshots ? snapshotFiles(d) : [])].map((f) => ({ label: `${d}/${f}`, run: loadRun(d, f, o) })));
    // The best weights of a run whose best epoch was also a snapshot would count twice.
    const twin = (m: (typeof loaded)[number]) => m.label.endsWith(`/${RUN_FILES.best}`) && m.run.epoch !== null &&
      loaded.some((o) => o !== m && o.run.dir === m.run.dir && o.run.epoch === m.run.epoch);
    const runs = loaded.filter((m) => !twin(m));
    for (const m of loaded) if (!runs.includes(m)) m.run.model.dispose();
    for (const m of runs) out.push({ ...m, weight: w / runs.length });
  }
  return out;
}

/** Weighted mean of the members' probabilities; salt probabilities averaged over the members that have them. */
export function predictEnsemble(members: Member[], images: Float32Array, o: PredictOptions = {}): { probs: Float32Array; salt: Float32Array | null } {
  return averageTiles(members, members.map((m) => predictTiles(m.run.model, images, { ...o, device: m.run.config.device })));
}

/**
 * The ensemble of members' predictTiles results (one per member, in order): the weighted mean of the
 * probabilities, and of the salt probabilities over the members that have them.
 */
export function averageTiles(members: Member[], results: { probs: Float32Array; salt: Float32Array | null }[]): { probs: Float32Array; salt: Float32Array | null } {
  const total = members.reduce((a, m) => a + m.weight, 0);
  const probs = new Float32Array(results[0]!.probs.length);
  const n = probs.length / PIXELS;
  let salt: Float32Array | null = null, saltWeight = 0;
  for (const [k, m] of members.entries()) {
    const r = results[k]!;
    const w = m.weight / total;
    for (let i = 0; i < probs.length; i++) probs[i]! += w * r.probs[i]!;
    if (r.salt) {
      salt ??= new Float32Array(n);
      for (let i = 0; i < n; i++) salt[i]! += m.weight * r.salt[i]!;
      saltWeight += m.weight;
    }
  }
  if (salt) for (let i = 0; i < n; i++) salt[i]! /= saltWeight;
  return { probs, salt };
}

/** The weighted mean of members' probabilities (one array per member, in order). */
export function averageProbabilities(members: Member[], results: Float32Array[]): Float32Array {
  const total = members.reduce((a, m) => a + m.weight, 0);
  const probs = new Float32Array(results[0]!.length);
  members.forEach((m, k) => {
    const p = results[k]!, w = m.weight / total;
    for (let i = 0; i < probs.length; i++) probs[i]! += w * p[i]!;
  });
  return probs;
}

/**
 * Weighted mean of the members' probabilities as each model gives them alone (a model with a salt
 * gate empties its own tiles at its tuned gate): for tiles of a larger image, whose stitched mask
 * gets no per-tile post-processing.
 */
export function ensembleProbabilities(members: Member[], images: Float32Array, o: PredictOptions = {}): Float32Array {
  return averageProbabilities(members, members.map((m) => predictProbabilities(m.run.model, images, { ...o, device: m.run.config.device })));
}

/**
 * The members' post-processing: a cv folder's out-of-fold tuning, or a run's snapshot-ensemble tuning,
 * when given one of those alone; else the weighted mean.
 */
export function ensemblePostprocess(members: Member[], specs: MemberSpec[]): Postprocess {
  if (specs.length === 1 && isCvFolder(specs[0]!.dir)) return readCv(specs[0]!.dir).oof;
  const snap = specs.length === 1 && specs[0]!.snapshots ? tunedPostprocess(resolve(specs[0]!.dir), 'snapshots') : null;
  if (snap) return snap;
  const total = members.reduce((a, m) => a + m.weight, 0);
  const mean = (f: (p: Postprocess) => number) => members.reduce((a, m) => a + (m.weight / total) * f(m.run.post), 0);
  const gated = members.filter((m) => m.run.post.gate !== null);
  return {
    threshold: mean((p) => p.threshold),
    minArea: Math.round(mean((p) => p.minArea)),
    gate: gated.length ? gated.reduce((a, m) => a + m.run.post.gate!, 0) / gated.length : null,
  };
}

/** Frees every member's model. */
export function disposeMembers(members: Member[]): void {
  for (const m of members) m.run.model.dispose();
}
