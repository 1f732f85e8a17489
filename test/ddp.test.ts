// Data-parallel training (issue 23) with real processes on loopback: two ranks with batch 8 against
// one process with batch 16 (same weights after 20 steps, same validation mAP), a rank killed
// mid-epoch (the other names it and exits non-zero; a resume finishes), a resume with another
// world size (refused), `halite train --nproc 2`, and two ranks in two network namespaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DistributedSampler } from '../src/data/distributed-sampler.js';
import { BatchLoader } from '../src/data/loader.js';
import { SEED_AUGMENTATIONS } from '../src/data/augment.js';
import { writeSynth } from '../src/data/synth/generate.js';
import { splitIndices } from '../src/data/split.js';
import { readTgs } from '../src/data/tgs.js';
import { loadSafetensors } from '../src/io/safetensors.js';
import { resolveConfig, type TrainConfig } from '../src/run/config.js';
import { launchPlan } from '../src/cli/launch-flags.js';
import { freePort, workerEnv } from '../src/distributed/launcher.js';
import { train } from '../src/train/trainer.js';
import { registerTinyNet } from './helpers/ddp-model.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORKER = join(root, 'test', 'helpers', 'ddp-worker.ts');
const dir = mkdtempSync(join(tmpdir(), 'halite-ddp-'));
const data = join(dir, 'data');
writeSynth({ out: data, train: 81, test: 2, seed: 9 }); // 64 training tiles (whole global batches), 17 validation (uneven shards)
registerTinyNet();

function config(name: string, over: Partial<TrainConfig> = {}): TrainConfig {
  return resolveConfig([{
    data, runsDir: join(dir, 'runs'), name, model: 'ddp-tiny', modelOptions: {}, batchSize: 16, valFraction: 0.2,
    seed: 4, threads: 1, phases: [{ loss: 'bce', epochs: 5 }], augmentations: [], sweep: { from: 0.3, to: 0.7, steps: 3 }, ...over,
  }]);
}


interface Rank { p: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }> }

function spawnRank(args: string[], env: NodeJS.ProcessEnv, prefix: string[] = []): Rank {
  const t0 = Date.now();
  const cmd = [...prefix, process.execPath, '--import', 'tsx', WORKER, ...args];
  const p = spawn(cmd[0]!, cmd.slice(1), { cwd: root, env: { ...process.env, GLOO_SOCKET_IFNAME: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  p.stdout!.on('data', (d) => (stdout += d));
  p.stderr!.on('data', (d) => (stderr += d));
  const kill = setTimeout(() => p.kill('SIGKILL'), 120000);
  const done = new Promise<Awaited<Rank['done']>>((res) => p.on('close', (code, signal) => {
    clearTimeout(kill);
    res({ code, signal, stdout, stderr, ms: Date.now() - t0 });
  }));
  return { p, done };
}

/** `world` worker processes on a fresh loopback port. */
async function job(world: number, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Rank[]> {
  const port = await freePort();
  return Array.from({ length: world }, (_, r) => spawnRank(args, {
    RANK: String(r), WORLD_SIZE: String(world), LOCAL_RANK: String(r), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), ...extra,
  }));
}

function writeConfig(c: TrainConfig): string {
  const f = join(dir, `${c.name}.json`);
  writeFileSync(f, JSON.stringify(c));
  return f;
}

const modelTensors = (run: string) => new Map([...loadSafetensors(join(run, 'last.ckpt.safetensors')).tensors].filter(([k]) => k.startsWith('model.')));
const history = (run: string) => readFileSync(join(run, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { val_map: number; val_loss: number; train_loss: number });

/** Asserts that two runs' five epochs have the same validation mAP and losses (float32 tolerance), and that training lowered the loss. */
function sameHistory(refRun: string, run: string): void {
  const ha = history(refRun), hb = history(run);
  assert.equal(hb.length, 5);
  for (let e = 0; e < 5; e++) {
    assert.ok(Math.abs(ha[e]!.val_map - hb[e]!.val_map) < 1e-9, `epoch ${e + 1}: mAP ${hb[e]!.val_map} vs ${ha[e]!.val_map}`);
    assert.ok(Math.abs(ha[e]!.val_loss - hb[e]!.val_loss) < 1e-5, `epoch ${e + 1}: val loss ${hb[e]!.val_loss} vs ${ha[e]!.val_loss}`);
    assert.ok(Math.abs(ha[e]!.train_loss - hb[e]!.train_loss) < 1e-5, `epoch ${e + 1}: train loss ${hb[e]!.train_loss} vs ${ha[e]!.train_loss}`);
  }
  assert.ok(ha[4]!.train_loss < ha[0]!.train_loss);
}

test("each rank's loader deals its DistributedSampler shard; together the shards are one process's epoch", () => {
  const images = new Float32Array(21 * 4), items = Array.from({ length: 21 }, (_, i) => i);
  const one = new BatchLoader({ images, height: 2, width: 2 }, items, { batchSize: 8, seed: 3, shuffle: true });
  const ranks = [0, 1].map((rank) => new BatchLoader({ images, height: 2, width: 2 }, items,
    { batchSize: 4, seed: 3, shuffle: true, sampler: new DistributedSampler(items, { numReplicas: 2, rank, seed: 3 }) }));
  for (const epoch of [0, 5]) {
    const [a, b] = ranks.map((l) => l.order(epoch));
    // 21 tiles over 2 ranks: 11 each, the permutation's first tile repeated as DistributedSampler pads.
    const whole = one.order(epoch);
    assert.deepEqual(a, whole.filter((_, i) => i % 2 === 0));
    assert.deepEqual(b, [...whole.filter((_, i) => i % 2 === 1), whole[0]]);
  }
  assert.equal(ranks[0]!.batchesPerEpoch, 3);
  assert.equal(one.batchesPerEpoch, 3);
});

test('two ranks with batch 8 train the weights of one process with batch 16, and validate to the same mAP', async () => {
  const split = splitIndices(await readTgs(data, { test: false }), config('x'));
  assert.equal(split.train.length % 16, 0, 'the test needs whole global batches (no DistributedSampler padding)');
  assert.equal(split.train.length / 16 * 5, 20, '20 optimizer steps');
  const ranks = await job(2, [writeConfig(config('ddp2', { batchSize: 8 }))]);
  const ref = await train(config('ref'), { log: () => {} });
  const [r0, r1] = await Promise.all(ranks.map((r) => r.done));
  assert.equal(r0!.code, 0, r0!.stderr.slice(-3000));
  assert.equal(r1!.code, 0, r1!.stderr.slice(-3000));
  const run = join(dir, 'runs', 'ddp2');
  const a = modelTensors(ref.run), b = modelTensors(run);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [k, t] of a) {
    const d = t.sub(b.get(k)!).abs().max().item();
    assert.ok(t.allclose(b.get(k)!, 1e-4, 1e-6), `${k} differs by up to ${d}`);
  }
  // The weights moved: 20 Adam steps are not the initial weights (which rank 0 broadcast).
  sameHistory(ref.run, run);
  // Only rank 0 wrote: the run folder is the one rank 0 made, with what one process writes.
  for (const f of ['config.json', 'history.jsonl', 'best.safetensors', 'last.ckpt.safetensors', 'threshold.json', 'status']) assert.ok(existsSync(join(run, f)), f);
  assert.equal(readFileSync(join(run, 'status'), 'utf8').trim(), 'finished');
  assert.equal(JSON.parse(readFileSync(join(run, 'threshold.json'), 'utf8')).threshold, JSON.parse(readFileSync(join(ref.run, 'threshold.json'), 'utf8')).threshold);
  assert.equal(JSON.parse(r1!.stdout.trim().split('\n').pop()!).stopped, 'finished');
});

test('SyncBatchNorm: two ranks with batch 8 train a network with BatchNorm to the weights and BatchNorm statistics of one process with batch 16; per-rank BatchNorm does not', async () => {
  const bn = (name: string, over: Partial<TrainConfig> = {}) => config(name, { model: 'ddp-tiny-bn', syncBatchNorm: true, ...over });
  const synced = await job(2, [writeConfig(bn('sbn2', { batchSize: 8 }))]);
  // One process with the same config: syncBatchNorm changes nothing there.
  const ref = await train(bn('sbn-ref'), { log: () => {} });
  const [s0, s1] = await Promise.all(synced.map((r) => r.done));
  assert.equal(s0!.code, 0, s0!.stderr.slice(-3000));
  assert.equal(s1!.code, 0, s1!.stderr.slice(-3000));
  assert.match(s0!.stderr, /SyncBatchNorm: 1 BatchNorm layer takes statistics over all 2 processes' batches/);
  const plain = await job(2, [writeConfig(bn('bn2', { batchSize: 8, syncBatchNorm: false }))]);
  const [p0, p1] = await Promise.all(plain.map((r) => r.done));
  assert.equal(p0!.code, 0, p0!.stderr.slice(-3000));
  assert.equal(p1!.code, 0, p1!.stderr.slice(-3000));
  const a = modelTensors(ref.run), b = modelTensors(join(dir, 'runs', 'sbn2')), c = modelTensors(join(dir, 'runs', 'bn2'));
  assert.deepEqual([...b.keys()], [...a.keys()]);
  assert.deepEqual([...a.keys()].filter((k) => k.startsWith('model.bn.')), ['model.bn.weight', 'model.bn.bias', 'model.bn.running_mean', 'model.bn.running_var', 'model.bn.num_batches_tracked']);
  let synced_ = 0, plain_ = 0;
  for (const [k, t] of a) {
    const d = t.sub(b.get(k)!).abs().max().item();
    synced_ = Math.max(synced_, d);
    plain_ = Math.max(plain_, t.sub(c.get(k)!).abs().max().item());
    // The running statistics too: both ranks update them with the global batch's mean and unbiased variance.
    assert.ok(t.allclose(b.get(k)!, 1e-4, 1e-6), `${k} differs by up to ${d}`);
  }
  assert.equal(b.get('model.bn.num_batches_tracked')!.item(), 20);
  console.log(`# largest difference from 1 process: ${synced_} with SyncBatchNorm, ${plain_} with per-rank BatchNorm`);
  assert.ok(plain_ > 100 * Math.max(synced_, 1e-6), "per-rank BatchNorm: each rank's statistics train other weights");
  sameHistory(ref.run, join(dir, 'runs', 'sbn2'));
});

test('a rank killed mid-epoch makes the other exit naming it; another world size is refused; a resume finishes', async () => {
  const c = config('fault', { batchSize: 8, phases: [{ loss: 'bce', epochs: 3 }] });
  const run = join(dir, 'runs', 'fault');
  // 300 ms a step, so that the kill lands inside epoch 2 (epoch 1 is checkpointed).
  const [r0, r1] = await job(2, [writeConfig(c)], { DDP_BATCH_DELAY_MS: '300', DDP_TIMEOUT_MS: '20000' });
  let killedAt = 0;
  r1!.p.stdout!.on('data', (d: Buffer) => {
    if (!killedAt && String(d).includes('batch 2.2')) { killedAt = Date.now(); r1!.p.kill('SIGKILL'); }
  });
  const [e0, e1] = await Promise.all([r0!.done, r1!.done]);
  assert.ok(killedAt > 0, `rank 1 never reached epoch 2: ${e1.stderr.slice(-2000)}`);
  assert.equal(e1.signal, 'SIGKILL');
  assert.equal(e0.code, 1, e0.stderr.slice(-2000));
  assert.match(e0.stderr, /data-parallel training stopped at epoch 2, batch \d on rank 0 of 2: lost rank 1 \(pid \d+ on /);
  const afterKill = Date.now() - killedAt;
  assert.ok(afterKill < 20000, `rank 0 took ${afterKill} ms to stop`);
  assert.match(readFileSync(join(run, 'status'), 'utf8'), /^failed: .*lost rank 1/);
  assert.equal(history(run).length, 1);

  // One process may not continue what two checkpointed: its shard and batch position were two ranks'.
  await assert.rejects(train({ resume: run }, { log: () => {} }), /checkpointed with world size 2 and this resume has world size 1: resume it with 2 processes/);

  const again = await job(2, ['--resume', run]);
  const [f0, f1] = await Promise.all(again.map((r) => r.done));
  assert.equal(f0!.code, 0, f0!.stderr.slice(-2000));
  assert.equal(f1!.code, 0, f1!.stderr.slice(-2000));
  assert.match(f0!.stderr, /resuming .*fault at epoch 2/);
  assert.deepEqual(history(run).map((h) => (h as unknown as { epoch: number }).epoch), [1, 2, 3]);
  assert.equal(readFileSync(join(run, 'status'), 'utf8').trim(), 'finished');
  // Finished: nothing to resume, said before the world size it would otherwise refuse.
  await assert.rejects(train({ resume: run }, { log: () => {} }), /has trained all its 3 epochs; there is nothing to resume/);
});

test('two ranks interrupted mid-epoch and resumed end with the weights of an uninterrupted run: dropout and augmentation streams continue per rank', async () => {
  // resunet's dropout draws from libtorch's generator (seeded alike on every rank, its state in the
  // checkpoint), the flips from a generator seeded by (seed, epoch, batch, rank).
  const c = (name: string) => config(name, {
    batchSize: 8, model: 'resunet', modelOptions: { startFilters: 4 }, augmentations: SEED_AUGMENTATIONS, phases: [{ loss: 'bce', epochs: 2 }],
  });
  const whole = await job(2, [writeConfig(c('whole'))]);
  const cut = await job(2, [writeConfig(c('cut'))], { DDP_BATCH_DELAY_MS: '300' });
  let signalled = false;
  cut[0]!.p.stdout!.on('data', (d: Buffer) => {
    if (!signalled && String(d).includes('batch 2.1')) { signalled = true; cut[0]!.p.kill('SIGINT'); }
  });
  const ends = await Promise.all([...whole, ...cut].map((r) => r.done));
  for (const e of ends) assert.equal(e.code, 0, e.stderr.slice(-2000));
  const [, , c0, c1] = ends;
  for (const e of [c0!, c1!]) assert.equal(JSON.parse(e.stdout.trim().split('\n').pop()!).stopped, 'interrupted');
  const run = join(dir, 'runs', 'cut');
  const again = await Promise.all((await job(2, ['--resume', run])).map((r) => r.done));
  for (const e of again) assert.equal(e.code, 0, e.stderr.slice(-2000));
  // At least one batch of epoch 2 was trained before the stop ("batch N" is the next one to train).
  assert.match(again[0]!.stderr, /resuming .*cut at epoch 2, batch [2-4] /, 'resumed inside epoch 2');
  const a = modelTensors(join(dir, 'runs', 'whole')), b = modelTensors(run);
  for (const [k, t] of a) assert.ok(t.equal(b.get(k)!), `${k} differs by up to ${t.sub(b.get(k)!).abs().max().item()}`);
  assert.deepEqual(history(run).map((h) => h.val_loss), history(join(dir, 'runs', 'whole')).map((h) => h.val_loss));
});

test('halite train --nproc 2 launches two ranks that train one run; bad launch flags are refused by name', async () => {
  const halite = (args: string[]) => spawnSync(process.execPath, ['bin/halite.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, HALITE_FROM_SOURCE: '1', GLOO_SOCKET_IFNAME: '' } });
  const runs = join(dir, 'cli-runs');
  const t = halite(['train', '--nproc', '2', '--data', data, '--model', 'resunet', '--model-options', '{"startFilters":4}', '--epochs', '1', '--losses', 'bce',
    '--batch-size', '8', '--val', '0.2', '--runs', runs, '--name', 'two']);
  assert.equal(t.status, 0, t.stderr.slice(-3000));
  assert.match(t.stdout, /run .*two: finished, best val mAP [\d.]+ \(epoch \d\), tuned post-processing -> [\d.]+ \(2 processes\)/);
  assert.equal(readFileSync(join(runs, 'two', 'history.jsonl'), 'utf8').trim().split('\n').length, 1);
  assert.ok(existsSync(join(runs, 'two', 'threshold.json')));
  const bad = halite(['train', '--data', data, '--nproc', '0']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /'--nproc <n>' argument '0' is invalid\. Expected a whole number from 1 to 1024/);
  // A worker that dies stops the job, named by the launcher and by rank 0.
  const launcher = spawn(process.execPath, ['bin/halite.js', 'train', '--nproc', '2', '--data', data, '--model', 'resunet', '--model-options', '{"startFilters":4}',
    '--epochs', '50', '--losses', 'bce', '--batch-size', '8', '--val', '0.2', '--runs', runs, '--name', 'killed'],
  { cwd: root, env: { ...process.env, HALITE_FROM_SOURCE: '1', GLOO_SOCKET_IFNAME: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '', victim = 0;
  launcher.stderr!.on('data', (d) => (err += d));
  launcher.stdout!.on('data', (d) => {
    out += d;
    if (victim || !/epoch 1\/50/.test(out)) return;
    // Rank 1 is the launcher's child whose environment says RANK=1.
    const kids = readFileSync(`/proc/${launcher.pid}/task/${launcher.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    victim = kids.find((k) => readFileSync(`/proc/${k}/environ`, 'utf8').split('\0').includes('RANK=1'))!;
    process.kill(victim, 'SIGKILL');
  });
  const code = await new Promise<number | null>((res) => launcher.on('close', (c) => res(c)));
  assert.ok(victim > 0, `no epoch finished: ${err.slice(-2000)}`);
  assert.equal(code, 137, err.slice(-2000));
  assert.match(err, new RegExp(`halite: rank 1 \\(pid ${victim}\\) was killed by SIGKILL; stopping the other ranks`));
  assert.match(err, /halite: rank 0: data-parallel training stopped at .* lost rank 1/);
  assert.match(err, /the job failed: rank 1 was killed by SIGKILL/);

  // The flags' combinations, checked before anything starts.
  const refused: [Parameters<typeof launchPlan>[0], RegExp][] = [
    [{ nproc: 2, nodeRank: 1 }, /--node-rank needs --nnodes/],
    [{ nnodes: 2, nodeRank: 2, masterAddr: '10.0.0.1', masterPort: 29500 }, /--node-rank 2 must be below --nnodes 2/],
    [{ nnodes: 2, nodeRank: 1 }, /--nnodes 2 needs --master-addr HOST/],
    [{ nnodes: 2, masterAddr: '10.0.0.1' }, /--nnodes 2 needs --master-port P/],
  ];
  for (const [flags, message] of refused) assert.throws(() => launchPlan(flags, {}), message, JSON.stringify(flags));
  assert.throws(() => launchPlan({ nproc: 2 }, { RANK: '0', WORLD_SIZE: '2' }), /RANK\/WORLD_SIZE are set .*drop those flags/);
  assert.deepEqual(launchPlan({ nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.1', masterPort: 29500, nproc: 4 }, {}),
    { nproc: 4, nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.1', masterPort: 29500 });
  assert.equal(launchPlan({}, {}), null);
  assert.equal(launchPlan({ nproc: 2 }, { HALITE_LAUNCHED: '1', RANK: '1', WORLD_SIZE: '2' }), null, 'a worker the launcher started trains');
  // torchrun's numbering: node 1 of 2 with 4 processes each holds global ranks 4-7.
  assert.deepEqual(workerEnv({ nproc: 4, nnodes: 2, nodeRank: 1, masterAddr: 'h' }, 3, 29500),
    { RANK: '7', WORLD_SIZE: '8', LOCAL_RANK: '3', LOCAL_WORLD_SIZE: '4', GROUP_RANK: '1', MASTER_ADDR: 'h', MASTER_PORT: '29500', HALITE_LAUNCHED: '1' });
});

test('halite train --dist-timeout 3 --sync-batchnorm: a rank whose peer hangs fails within about 3 s, naming the peer and the flag', async () => {
  const port = await freePort();
  const args = ['bin/halite.js', 'train', '--data', data, '--model', 'resunet', '--model-options', '{"startFilters":4}', '--epochs', '50', '--losses', 'bce',
    '--batch-size', '8', '--val', '0.2', '--runs', join(dir, 'timeout-runs'), '--name', 'hung', '--dist-timeout', '3', '--sync-batchnorm'];
  const ranks = [0, 1].map((r) => spawn(process.execPath, args, {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HALITE_FROM_SOURCE: '1', GLOO_SOCKET_IFNAME: '', RANK: String(r), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), HALITE_THREADS: '1' },
  }));
  const [r0, r1] = ranks as [ChildProcess, ChildProcess];
  const guard = setTimeout(() => ranks.forEach((p) => p.kill('SIGKILL')), 120000);
  let out = '', err = '', stoppedAt = 0;
  r0.stderr!.on('data', (d) => (err += d));
  r0.stdout!.on('data', (d) => {
    out += d;
    // Rank 1 stops answering (as a hung machine would) once epoch 1 is done: rank 0 waits in a SyncBatchNorm or gradient collective.
    if (!stoppedAt && /epoch 1\/50/.test(out)) { stoppedAt = Date.now(); r1.kill('SIGSTOP'); }
  });
  const code = await new Promise<number | null>((res) => r0.on('close', (c) => res(c)));
  const waited = Date.now() - stoppedAt;
  r1.kill('SIGKILL');
  clearTimeout(guard);
  assert.ok(stoppedAt > 0, `epoch 1 never ended: ${err.slice(-2000)}`);
  assert.equal(code, 1, err.slice(-2000));
  assert.match(out, /SyncBatchNorm: \d+ BatchNorm layers take statistics over all 2 processes' batches/);
  assert.match(err, /halite: rank 0: data-parallel training stopped at epoch 2, batch \d on rank 0 of 2: lost rank 1 .*no answer within the 3 s timeout.*--dist-timeout 3 s bounds each wait/);
  assert.ok(waited >= 2500 && waited < 15000, `rank 0 failed ${waited} ms after rank 1 stopped`);
});

test('two hosts: ranks in two network namespaces joined by a veth pair train a few steps', async (t) => {
  const [a, b] = [`hddp-a-${process.pid}`, `hddp-b-${process.pid}`];
  const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
  const made = ip('netns', 'add', a);
  if (made.status !== 0) {
    t.skip(`network namespaces cannot be made here (ip netns add: ${(made.stderr || made.error?.message || '').trim()}); run as root on Linux to test two hosts`);
    return;
  }
  try {
    // Each namespace is a host: its own loopback, one end of the "cable" named ddp0, a private address.
    for (const step of [['netns', 'add', b], ['link', 'add', `va${process.pid}`, 'type', 'veth', 'peer', 'name', `vb${process.pid}`],
      ['link', 'set', `va${process.pid}`, 'netns', a], ['link', 'set', `vb${process.pid}`, 'netns', b],
      ['-n', a, 'link', 'set', `va${process.pid}`, 'name', 'ddp0'], ['-n', b, 'link', 'set', `vb${process.pid}`, 'name', 'ddp0'],
      ['-n', a, 'addr', 'add', '10.23.0.1/24', 'dev', 'ddp0'], ['-n', b, 'addr', 'add', '10.23.0.2/24', 'dev', 'ddp0'],
      ['-n', a, 'link', 'set', 'ddp0', 'up'], ['-n', b, 'link', 'set', 'ddp0', 'up'], ['-n', a, 'link', 'set', 'lo', 'up'], ['-n', b, 'link', 'set', 'lo', 'up']]) {
      const r = ip(...step);
      assert.equal(r.status, 0, `ip ${step.join(' ')}: ${r.stderr}`);
    }
    const cfg = writeConfig(config('hosts', { batchSize: 8, phases: [{ loss: 'bce', epochs: 1 }] }));
    // Rank 0's TCPStore listens on host A's address; host B reaches it only over the veth pair.
    const env = (r: number): NodeJS.ProcessEnv => ({ RANK: String(r), WORLD_SIZE: '2', MASTER_ADDR: '10.23.0.1', MASTER_PORT: '29511', GLOO_SOCKET_IFNAME: 'ddp0', DDP_TIMEOUT_MS: '30000' });
    const ranks = [spawnRank([cfg], env(0), ['ip', 'netns', 'exec', a]), spawnRank([cfg], env(1), ['ip', 'netns', 'exec', b])];
    const [e0, e1] = await Promise.all(ranks.map((r) => r.done));
    assert.equal(e0!.code, 0, e0!.stderr.slice(-2000));
    assert.equal(e1!.code, 0, e1!.stderr.slice(-2000));
    assert.equal((e1!.stdout.match(/^batch 1\.\d$/gm) ?? []).length, 4, 'rank 1 took 4 steps');
    assert.equal(history(join(dir, 'runs', 'hosts')).length, 1);
  } finally {
    ip('netns', 'del', a);
    ip('netns', 'del', b);
  }
});
