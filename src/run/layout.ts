// The run directory's layout: the one place that knows its file names. Everything else asks here.
import { existsSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, relative } from 'node:path';
import { quote } from 'shell-quote';

/** The files a run directory (halite train) or a cv folder (halite cv) holds. */
export const RUN_FILES = {
  /** The resolved training config (run/config.ts). */
  config: 'config.json',
  /** One line: `running PID`, `finished`, `time`, `interrupted`, `limit` or `failed: why` (run/status.ts). */
  status: 'status',
  /** The writer's pid and host while a trainer holds the run (run/lock.ts). */
  lock: 'lock',
  /** One JSON EpochRecord per line (run/history.ts). */
  history: 'history.jsonl',
  /** The current epoch's progress, rewritten about once a second (run/progress.ts). */
  progress: 'progress.json',
  /** The weights of the best validation epoch. */
  best: 'best.safetensors',
  /** Weights, optimizer, generator and callback state to resume from (run/checkpoint.ts). */
  checkpoint: 'last.ckpt.safetensors',
  /** Post-processing tuned for the best weights (run/tuning.ts). */
  tuning: 'threshold.json',
  /** Post-processing tuned for the snapshot ensemble (best weights and snapshots, predict --snapshots). */
  snapshotTuning: 'threshold-snapshots.json',
  /** A cv folder's out-of-fold summary (run/cv.ts). */
  cv: 'cv.json',
  /** halite report's page. */
  report: 'report.html',
  /** The web app's in-browser model: the best weights exported as ONNX (flip TTA, the salt gate left to the post-processing). */
  onnx: 'model.onnx',
} as const;

export type RunFile = keyof typeof RUN_FILES;

/** The path of one of a run's files. */
export function runPath(dir: string, file: RunFile): string {
  return join(dir, RUN_FILES[file]);
}

/**
 * How the user started halite, for the commands it prints to be pasted back: `npx halite` under npm's
 * exec (npx, from a repository clone: npm sets npm_command=exec), `node bin/halite.js` when the script
 * was run by its path (relative inside the working folder, else absolute), else `halite` (a bin link on PATH: a global
 * install, or the distributed launcher's ranks, which inherit the environment).
 */
export function haliteProgram(env: NodeJS.ProcessEnv = process.env, script = process.argv[1] ?? '', cwd = process.cwd()): string {
  if (env.npm_command === 'exec') return 'npx halite';
  // Relative where that is shorter to read (inside the working folder), else absolute.
  const rel = relative(cwd, script);
  if (basename(script) === 'halite.js') return `node ${quote([rel.startsWith('..') || isAbsolute(rel) ? script : rel])}`;
  return 'halite';
}

/**
 * The command that continues a stopped run, its folder quoted for a POSIX shell (shell-quote) so it
 * can be pasted: `npx halite train --resume '/tmp/my runs/r'`, halite named as it was started (haliteProgram).
 */
export function resumeCommand(run: string): string {
  return `${haliteProgram()} train --resume ${quote([run])}`;
}

/** A cv folder's continuation: the same command again, which keeps the folds that finished. */
export function cvContinueCommand(root: string): string {
  return `${haliteProgram()} cv --out ${quote([root])} with the same flags (finished folds are kept)`;
}

/** Does `dir` hold this file of a run? */
export function runHas(dir: string, file: RunFile): boolean {
  return existsSync(runPath(dir, file));
}

const SNAPSHOT = /^snapshot-e(\d+)\.safetensors$/;

/** The weights file saved at the end of 1-based `epoch` for the snapshot ensemble. */
export function snapshotName(epoch: number): string {
  return `snapshot-e${epoch}.safetensors`;
}

/** A run's snapshot weights files (names, not paths), oldest first; none when the folder is missing. */
export function snapshotFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const num = (f: string) => Number(SNAPSHOT.exec(f)![1]);
  return readdirSync(dir).filter((f) => SNAPSHOT.test(f)).sort((a, b) => num(a) - num(b));
}
