// The run directory's owner (src/run/): one writer at a time (the lock, a second trainer, a second
// cv), a stale lock taken over, the status file's forms, and history read as it grows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSynth } from '../src/data/synth/generate.js';
import { resolveConfig } from '../src/run/config.js';
import { HistoryFollower, type EpochRecord } from '../src/run/history.js';
import { haliteProgram } from '../src/run/layout.js';
import { RunLock, RunLockedError } from '../src/run/lock.js';
import { processStart } from '../src/run/process.js';
import { runStatus, writeStatus } from '../src/run/status.js';
import { crossValidate } from '../src/train/cv.js';
import { train } from '../src/train/trainer.js';
import { cudaIsAvailable } from '../src/torch/index.js';

const root = mkdtempSync(join(tmpdir(), 'halite-rundir-'));
const fresh = (name: string) => { const d = join(root, name); mkdirSync(d); return d; };
/** A pid that certainly belongs to no process: one that has just exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

test('a run lock is exclusive, names its holder, and is removed on release', () => {
  const dir = fresh('lock');
  const a = RunLock.acquire(dir);
  const holder = JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'));
  assert.deepEqual([holder.pid, holder.host], [process.pid, hostname()]);
  assert.throws(() => RunLock.acquire(dir), (e: unknown) => e instanceof RunLockedError &&
    new RegExp(`is being written by pid ${process.pid} on this machine .*kill ${process.pid}.*continue with halite train --resume`).test(e.message));
  a.release();
  assert.equal(existsSync(join(dir, 'lock')), false);
  RunLock.acquire(dir).release();
});

test('a stale lock (its process gone) is taken over with a message; another host\'s lock is refused', () => {
  const dir = fresh('stale');
  const pid = deadPid();
  writeFileSync(join(dir, 'lock'), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00Z' }));
  const logs: string[] = [];
  const l = RunLock.acquire(dir, (m) => logs.push(m));
  assert.match(logs.join('\n'), new RegExp(`taking over the lock of .*stale: pid ${pid}, which held it since 2026-01-01T00:00:00Z, is gone`));
  assert.equal(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).pid, process.pid);
  l.release();
  writeFileSync(join(dir, 'lock'), JSON.stringify({ pid, host: 'elsewhere', since: 'x' }));
  assert.throws(() => RunLock.acquire(dir), /pid \d+ on host elsewhere .*if that process is gone, delete .*lock/);
});

test('a lock whose pid now belongs to a later process (another start time) is stale; the same process holds it', () => {
  const dir = fresh('reused');
  // pid 1 is alive, but it is not the process that wrote this lock: its start time differs.
  writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 1, host: hostname(), since: 'x', start: '-1' }));
  const logs: string[] = [];
  RunLock.acquire(dir, (m) => logs.push(m)).release();
  assert.match(logs.join('\n'), /taking over the lock of .*reused: pid 1, which held it since x, is gone/);
  const held = RunLock.acquire(dir);
  assert.equal(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).start, processStart(process.pid));
  assert.throws(() => RunLock.acquire(dir), RunLockedError);
  held.release();
});

test('status: a running run whose process is gone reads as failed; stopped runs say how to resume', () => {
  const dir = fresh('status');
  assert.deepEqual(runStatus(dir).status, 'unknown');
  writeStatus(dir, { state: 'running', pid: process.pid });
  assert.deepEqual(runStatus(dir), { status: 'running', detail: `pid ${process.pid}` });
  writeStatus(dir, { state: 'running', pid: deadPid() });
  assert.deepEqual(runStatus(dir), { status: 'failed', detail: 'the training process ended without a word' });
  writeStatus(dir, { state: 'interrupted' });
  assert.deepEqual(runStatus(dir), { status: 'stopped', detail: 'interrupted; resume with halite train --resume' });
  writeStatus(dir, { state: 'failed', message: 'out of\nmemory' });
  assert.deepEqual(runStatus(dir), { status: 'failed', detail: 'out of memory' });
});

test('HistoryFollower returns each complete record once, holding back a half-written line', () => {
  const dir = fresh('follow');
  const f = new HistoryFollower(dir);
  assert.deepEqual(f.next(), []);
  const r = (epoch: number): EpochRecord => ({ epoch, phase: 1, loss: 'bce', train_loss: 1, val_loss: 1, val_map: 0, lr: 1e-3, seconds: 1, best: false });
  const line = JSON.stringify(r(2));
  appendFileSync(join(dir, 'history.jsonl'), JSON.stringify(r(1)) + '\n' + line.slice(0, 10));
  assert.deepEqual(f.next().map((x) => x.epoch), [1]);
  appendFileSync(join(dir, 'history.jsonl'), line.slice(10) + '\n');
  assert.deepEqual(f.next().map((x) => x.epoch), [2]);
  assert.deepEqual(f.next(), []);
});

const data = join(root, 'data');
writeSynth({ out: data, train: 48, test: 2, seed: 4 });
const base = { data, model: 'resunet', modelOptions: { startFilters: 2 }, batchSize: 8, valFraction: 0.25, threads: 1, sweep: { from: 0.4, to: 0.6, steps: 3 } };

test('a second trainer on a run that is training is refused with the holder\'s pid, and the first finishes alone', async () => {
  // A runs folder with a space: the commands the refusals print quote it, so they can be pasted.
  const runs = join(root, 'my runs');
  const pasted = `'${join(runs, 'busy')}'`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const args = ['bin/halite.js', 'train', '--data', data, '--model', 'resunet', '--model-options', '{"startFilters":2}', '--epochs', '4', '--losses', 'bce',
    '--batch-size', '8', '--val', '0.25', '--runs', runs, '--name', 'busy', '--threads', '1'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HALITE_FROM_SOURCE: '1' } });
  let out = '';
  const firstEpoch = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('epoch 1/4')) resolve(); }));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  await Promise.race([firstEpoch, exited]);
  await assert.rejects(train({ resume: join(runs, 'busy') }, { log: () => {} }), new RegExp(`is being written by pid ${child.pid} on this machine.*halite train --resume ${pasted}`));
  await assert.rejects(train(resolveConfig([{ ...base, runsDir: runs, name: 'busy' }]), { log: () => {} }), new RegExp(`already holds a run; continue it with halite train --resume ${pasted}, or pick another --name`));
  assert.equal(await exited, 0, out);
  const epochs = readFileSync(join(runs, 'busy', 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch);
  assert.deepEqual(epochs, [1, 2, 3, 4], 'one writer: every epoch once');
  assert.equal(existsSync(join(runs, 'busy', 'lock')), false, 'the lock is released at the end');
  assert.equal(readFileSync(join(runs, 'busy', 'status'), 'utf8'), 'finished\n');
});

test('resuming a finished run says there is nothing to resume; a bad model option value or a missing CUDA device leaves no run folder', async () => {
  const runs = join(root, 'my runs');
  await assert.rejects(train({ resume: join(runs, 'busy') }, { log: () => {} }), /busy has trained all its 4 epochs; there is nothing to resume\. Tune it again with halite tune --run/);
  // Training a new run under its name points to tuning, not to a resume that would only refuse.
  await assert.rejects(train(resolveConfig([{ ...base, runsDir: runs, name: 'busy' }]), { log: () => {} }),
    { message: `${join(runs, 'busy')} already holds a finished run; pick another --name (or tune it again with halite tune --run '${join(runs, 'busy')}')` });
  assert.equal(existsSync(join(runs, 'busy', 'lock')), false);
  await assert.rejects(train(resolveConfig([{ ...base, runsDir: runs, name: 'neg', modelOptions: { startFilters: -1 } }]), { log: () => {} }),
    /config\.modelOptions: .*\(model resunet, options \{"startFilters":-1\}\)/);
  assert.equal(existsSync(join(runs, 'neg')), false, 'no half-made run folder');
  if (!cudaIsAvailable()) {
    // Refused before the folder is made: a folder left behind would block the name, with nothing to resume.
    await assert.rejects(train(resolveConfig([{ ...base, runsDir: runs, name: 'gpu', device: 'cuda' }]), { log: () => {} }),
      /device cuda: this libtorch sees no CUDA device \(halite doctor lists them\); train with --device cpu/);
    assert.equal(existsSync(join(runs, 'gpu')), false, 'no run folder for a device that is not there');
  }
  // A run stopped before its first epoch ended has a config and no checkpoint: the refusal says what to do.
  const early = join(runs, 'early');
  mkdirSync(early);
  writeFileSync(join(early, 'config.json'), JSON.stringify(resolveConfig([{ ...base, runsDir: runs, name: 'early' }])));
  await assert.rejects(train({ resume: early }, { log: () => {} }), /early: no last\.ckpt\.safetensors to resume from \(the run stopped before its first epoch ended.*another --name, or delete the folder/);
  assert.throws(() => resolveConfig([{ ...base, modelOptions: { startFilters: '4' } }]), /model 'resunet' option 'startFilters' must be a number \(like its default \d+\), got "4"/);
});

test('halite cv refuses a folder another cv is writing, with the command to continue quoted for pasting', async () => {
  const dir = fresh('cv folder');
  const held = RunLock.acquire(dir);
  try {
    await assert.rejects(crossValidate(resolveConfig([{ ...base, runsDir: dir, phases: [{ loss: 'bce', epochs: 1 }] }]), 2, dir, { log: () => {} }),
      new RegExp(`cv folder is being written by pid \\d+ on this machine .*continue with halite cv --out '${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' with the same flags \\(finished folds are kept\\)`));
    assert.equal(existsSync(join(dir, 'fold-0')), false, 'no fold was started');
  } finally {
    held.release();
  }
});

test('printed commands name halite as it was started: npx, node with the script, or halite on PATH', () => {
  assert.equal(haliteProgram({ npm_command: 'exec' }, '/repo/node_modules/.bin/halite', '/repo'), 'npx halite');
  assert.equal(haliteProgram({ npm_command: 'test' }, '/repo/bin/halite.js', '/repo'), 'node bin/halite.js');
  assert.equal(haliteProgram({}, '/my repo/bin/halite.js', '/tmp'), "node '/my repo/bin/halite.js'");
  assert.equal(haliteProgram({}, '/usr/local/bin/halite', '/tmp'), 'halite');
});
