// Run directories as the web app sees them: a listing with status, best score and duration, and
// name-to-path resolution that never leaves the runs folder.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { dataSource, type DataSource } from '../data/source.js';
import type { TrainConfig } from '../run/config.js';
import { bestEpoch, readHistory, readThreshold, type ThresholdRecord } from '../train/history.js';
import type { EpochRecord } from '../train/trainer.js';

export type RunStatus = 'running' | 'finished' | 'failed' | 'stopped' | 'unknown';

export interface RunSummary {
  name: string;
  status: RunStatus;
  /** The status file's words: 'time', 'interrupted', the failure message... */
  detail: string;
  model: string;
  epochs: number;
  plannedEpochs: number;
  bestValMap: number | null;
  bestEpoch: number | null;
  threshold: number | null;
  thresholdScore: number | null;
  seconds: number;
  started: string;
  hasReport: boolean;
  /** What the run was trained on: its config's data folder, and whether halite synth made it. */
  data: DataSource;
}

export class PathError extends Error {
  constructor(message: string, readonly statusCode = 404) {
    super(message);
    this.name = 'PathError';
  }
}

/** `root/rel`, refusing anything (../, absolute paths, symlink-free tricks like a/../../) outside root. */
export function inside(root: string, rel: string): string {
  const base = resolve(root);
  const p = resolve(base, rel);
  if (p !== base && !p.startsWith(base + sep)) throw new PathError(`${rel}: outside the served folder`, 403);
  return p;
}

/** A run's directory by name: one path segment naming a folder with a config.json. */
export function runDir(runsDir: string, name: string): string {
  if (name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
    throw new PathError(`${JSON.stringify(name)} is not a run name`, 403);
  }
  const dir = inside(runsDir, name);
  if (!existsSync(join(dir, 'config.json'))) throw new PathError(`no run named ${name} in ${resolve(runsDir)}`);
  return dir;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Status from the trainer's status file; a 'running' run whose process is gone has failed. */
export function runStatus(dir: string): { status: RunStatus; detail: string } {
  const p = join(dir, 'status');
  if (!existsSync(p)) return { status: 'unknown', detail: 'no status file (a run from an older halite?)' };
  const text = readFileSync(p, 'utf8').trim();
  const running = /^running (\d+)$/.exec(text);
  if (running) {
    return pidAlive(Number(running[1])) ? { status: 'running', detail: `pid ${running[1]}` } : { status: 'failed', detail: 'the training process ended without a word' };
  }
  if (text === 'finished' || text === 'time') return { status: 'finished', detail: text };
  if (text === 'interrupted' || text === 'limit') return { status: 'stopped', detail: `${text}; resume with halite train --resume` };
  return { status: 'failed', detail: text.replace(/^failed:\s*/, '') };
}

/** A run's files, read once: its config, history and threshold, and the summary made from them. */
export function readRun(runsDir: string, name: string): { summary: RunSummary; config: TrainConfig; history: EpochRecord[]; threshold: ThresholdRecord | null } {
  const dir = runDir(runsDir, name);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as TrainConfig;
  const history = readHistory(dir);
  const best = bestEpoch(history);
  const th = readThreshold(dir);
  const summary: RunSummary = {
    name,
    ...runStatus(dir),
    model: config.model,
    epochs: history.length,
    plannedEpochs: config.phases.reduce((a, p) => a + p.epochs, 0),
    bestValMap: best?.val_map ?? null,
    bestEpoch: best?.epoch ?? null,
    threshold: th?.threshold ?? null,
    thresholdScore: th?.score ?? null,
    seconds: history.reduce((a, r) => a + r.seconds, 0),
    started: statSync(join(dir, 'config.json')).mtime.toISOString(),
    hasReport: existsSync(join(dir, 'report.html')),
    data: dataSource(config.data),
  };
  return { summary, config, history, threshold: th };
}

/** Every run under `runsDir`, newest first. */
export function listRuns(runsDir: string): RunSummary[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(runsDir, e.name, 'config.json')))
    .map((e) => readRun(runsDir, e.name).summary)
    .sort((a, b) => b.started.localeCompare(a.started));
}
