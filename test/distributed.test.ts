// Process groups over c10d/Gloo with real processes on loopback: collectives against hand-computed
// sums, a FileStore rendezvous, lost peers that must end in an error within the timeout (never a
// hang), and DDP's gradient averaging against one process with the whole batch.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessGroup, readLaunchEnv, initProcessGroup, planBuckets } from '../src/distributed/index.js';
import { tensor } from '../src/torch/index.js';
import { BatchNorm2d, Sequential, convertSyncBatchNorm } from '../src/nn/index.js';
import { scenarios, syncBatchNormInputs, SYNCBN_SPLIT, type Env, type Report } from './helpers/dist-scenarios.js';
import { syncBatchNorm } from '../src/distributed/index.js';
import { F, ones, zeros } from '../src/torch/index.js';
import { freePort } from '../src/distributed/launcher.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORKER = join(root, 'test', 'helpers', 'dist-worker.ts');


interface Ended { code: number | null; out: Report | null; stderr: string }

/** Runs one rank of a scenario in its own process (dist-worker.ts); resolves when it exits (killed after killMs). */
function spawnRank(scenario: string, env: Env, killMs = 30000): Promise<Ended> {
  return new Promise((res) => {
    const p = spawn(process.execPath, ['--import', 'tsx', WORKER, scenario], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const kill = setTimeout(() => p.kill('SIGKILL'), killMs);
    p.on('close', (code) => {
      clearTimeout(kill);
      let out: Report | null = null;
      try { out = JSON.parse(stdout.trim().split('\n').pop() ?? ''); } catch { /* reported by ok() with stderr */ }
      res({ code, out, stderr });
    });
  });
}

/** Rank 0 of a scenario in this process, as an Ended. */
async function here(scenario: string, env: Env): Promise<Ended> {
  return { code: 0, out: await scenarios[scenario]!(env), stderr: '' };
}

/**
 * `world` ranks of a scenario on a fresh loopback port (torchrun's variables): rank 0 here (libtorch
 * is loaded already, which keeps the test fast), the others in processes of their own.
 */
async function job(scenario: string, world: number, extra: Env = {}): Promise<Ended[]> {
  const port = await freePort();
  const env = (r: number): Env => ({
    RANK: String(r), WORLD_SIZE: String(world), LOCAL_RANK: String(r), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port),
    GLOO_SOCKET_IFNAME: '', ...extra,
  });
  return Promise.all(Array.from({ length: world }, (_, r) => (r === 0 ? here(scenario, env(0)) : spawnRank(scenario, env(r)))));
}

function ok(e: Ended, what: string): Report {
  assert.equal(e.code, 0, `${what} exited ${e.code}: ${e.stderr.slice(-2000)}`);
  assert.ok(e.out, `${what} printed no JSON: ${e.stderr.slice(-2000)}`);
  return e.out;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sumOver = (world: number, f: (r: number) => number) => range(world).reduce((s, r) => s + f(r), 0);

/** What every rank of `collectives` must report, computed from dist-worker's `mine(r)` by hand. */
function expected(world: number) {
  return {
    sum: [
      { dtype: 'float32', shape: [2, 3], values: range(6).map((i) => sumOver(world, (r) => i + r + 1)) },
      { dtype: 'float64', shape: [4], values: [sumOver(world, (r) => r * 0.5), sumOver(world, (r) => -r), sumOver(world, (r) => 1e6 * (r + 1)), 3 * world] },
      { dtype: 'int64', shape: [2, 2], values: range(4).map((i) => sumOver(world, (r) => i * (r + 2))) },
      { dtype: 'int32', shape: [1, 2], values: [sumOver(world, (r) => r), world] },
    ],
    avg: [
      range(6).map((i) => sumOver(world, (r) => i + r + 1) / world),
      [sumOver(world, (r) => r * 0.5) / world, sumOver(world, (r) => -r) / world, sumOver(world, (r) => 1e6 * (r + 1)) / world, 3],
    ],
    max: [world - 1, 10, world > 1 ? 1 : 0],
    min: [0, 10 - (world - 1), 0],
    broadcast: [[10, 11], [100, 101, 102]],
    // Odd positions summed over ranks, even ones left as the rank had them (base i * (r + 1)).
    strided: (r: number) => range(8).map((i) => (i % 2 ? sumOver(world, (q) => i * (q + 1)) : i * (r + 1))),
  };
}

for (const world of [2, 3]) {
  test(`${world} processes over a TCPStore: allreduce (sum, avg, max, min) of a list of dtypes and shapes, broadcast from rank 1, barrier`, async () => {
    const ends = await job('collectives', world);
    const want = expected(world);
    ends.forEach((e, r) => {
      const o = ok(e, `rank ${r}`);
      assert.equal(o.rank, r);
      assert.equal(o.world, world);
      assert.deepEqual(o.sum, want.sum, `rank ${r} sum`);
      (o.avg as number[][]).forEach((got, k) => got.forEach((v, i) => assert.ok(Math.abs(v - want.avg[k]![i]!) <= 1e-6 * Math.max(1, Math.abs(want.avg[k]![i]!)), `rank ${r} avg[${k}][${i}] ${v} vs ${want.avg[k]![i]}`)));
      assert.deepEqual(o.max, want.max);
      assert.deepEqual(o.min, want.min);
      assert.deepEqual(o.broadcast, want.broadcast, `rank ${r} broadcast from rank 1`);
      assert.deepEqual(o.strided, want.strided(r), `rank ${r} allreduce of a strided view`);
      assert.equal(o.destroyed, true);
    });
  });
}

test('2 processes over a FileStore rendezvous', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halite-dist-'));
  try {
    const env = (r: number): Env => ({ RANK: String(r), WORLD_SIZE: '2', DIST_FILE: join(dir, 'store') });
    const ends = await Promise.all([here('collectives', env(0)), spawnRank('collectives', env(1))]);
    ends.forEach((e, r) => assert.deepEqual(ok(e, `rank ${r}`).sum, expected(2).sum));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The lost peers wait on clocks, not CPUs, so they run side by side.
describe('lost peers end in an error within the timeout, never a hang', { concurrency: true }, () => {
  test('a peer that joins but never calls allreduce: the other rank fails within the 3 s timeout, naming the operation, while its event loop runs', async () => {
    // A long rendezvous: the peer's process takes seconds to start on a loaded machine.
    const [a, b] = await job('lost-peer', 2, { DIST_TIMEOUT_MS: '3000', DIST_RENDEZVOUS_MS: '20000', DIST_PEER: 'idle' });
    const o = ok(a!, 'rank 0');
    console.log(`# ${o.error}`);
    // Gloo says "Operation timed out!" or, when the wait ran out in unbound_buffer.cc, "Timed out waiting 3000ms for recv".
    assert.match(String(o.error), /^allreduce \(rank 0 of 2\): .*[Tt]imed out.*no answer within the 3 s timeout/);
    assert.ok((o.ms as number) >= 2500 && (o.ms as number) < 8000, `failed after ${o.ms} ms`);
    assert.ok((o.ticks as number) >= 15, `the event loop ran ${o.ticks} 100 ms ticks while allreduce waited`);
    assert.equal(b!.code, 0, 'the idle peer ended by itself');
  });

  test('a peer that exits: the other rank fails at once with the operation and a closed connection', async () => {
    const [a] = await job('lost-peer', 2, { DIST_TIMEOUT_MS: '20000', DIST_PEER: 'exit' });
    const o = ok(a!, 'rank 0');
    console.log(`# ${o.error}`);
    assert.match(String(o.error), /^allreduce \(rank 0 of 2\): .*closed.*a peer closed its connection/i);
    assert.ok((o.ms as number) < 15000, `failed after ${o.ms} ms, the timeout was 20 s`);
  });

  test('a rank that never starts: rendezvous fails within the timeout, naming init, the rank and the store', async () => {
    const port = await freePort();
    const o = ok(await here('alone', { RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), DIST_TIMEOUT_MS: '2000' }), 'rank 0');
    console.log(`# ${o.error}`);
    assert.match(String(o.error), new RegExp(`^init \\(rank 0 of 2\\): 1 of 2 ranks joined the rendezvous within 2000 ms.*rendezvous: TCPStore at 127\\.0\\.0\\.1:${port}`));
    assert.ok((o.ms as number) >= 1500 && (o.ms as number) < 8000, `failed after ${o.ms} ms`);
  });
});

test('DDP: 2 ranks with 4 samples each and averaged gradients match 1 process with all 8, after rank 0 broadcast its weights', async () => {
  const one = await here('ddp', { WORLD_SIZE: '1' });
  const ref = ok(one, 'the 1-process reference').weights as number[][];
  const ends = await job('ddp', 2);
  const [o0, o1] = ends.map((e, r) => ok(e, `rank ${r}`));
  const [w0, w1] = [o0!.weights, o1!.weights] as number[][][];
  assert.notDeepEqual(o0!.before, o1!.before, 'the ranks start from different weights');
  assert.deepEqual(o1!.initial, o0!.before, "rank 1 holds rank 0's weights after the broadcast");
  assert.deepEqual(o0!.initial, one.out!.initial, 'the reference starts where rank 0 does');
  assert.equal(ref.length, 4, 'two convolutions, weight and bias each');
  assert.deepEqual(w0, w1, 'both ranks hold the same weights');
  const diff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((t, k) => t.map((v, i) => Math.abs(v - b[k]![i]!))));
  assert.ok(diff(ref, w0!) < 1e-5, `largest difference from the 1-process run: ${diff(ref, w0!)}`);
  assert.ok(diff(ref, o0!.initial as number[][]) > 1e-3, 'the 4 steps moved the weights');
});

/**
 * BatchNorm in training mode over a whole NCHW batch by the paper's formulas (Ioffe & Szegedy 2015,
 * §3: forward, and the backward they give), in float64: the output, the input, weight and bias
 * gradients for an upstream gradient `up`, and running statistics after one step from (0, 1).
 */
function batchNormByHand(x: number[], up: number[], shape: number[], weight: number[], bias: number[], eps: number, momentum: number) {
  const [n, c, h, w] = shape as [number, number, number, number];
  const hw = h * w, m = n * hw, ch = (i: number) => Math.floor(i / hw) % c;
  const y = new Array<number>(x.length), dx = new Array<number>(x.length);
  const dweight = new Array<number>(c).fill(0), dbias = new Array<number>(c).fill(0), runningMean: number[] = [], runningVar: number[] = [];
  for (let k = 0; k < c; k++) {
    const idx = range(x.length).filter((i) => ch(i) === k);
    const mean = idx.reduce((s, i) => s + x[i]!, 0) / m;
    const variance = idx.reduce((s, i) => s + (x[i]! - mean) ** 2, 0) / m;
    const invstd = 1 / Math.sqrt(variance + eps);
    const xhat = (i: number) => (x[i]! - mean) * invstd;
    for (const i of idx) {
      y[i] = xhat(i) * weight[k]! + bias[k]!;
      dbias[k] += up[i]!;
      dweight[k] += up[i]! * xhat(i);
    }
    for (const i of idx) dx[i] = (weight[k]! * invstd / m) * (m * up[i]! - dbias[k]! - xhat(i) * dweight[k]!);
    runningMean.push(momentum * mean);
    runningVar.push((1 - momentum) + momentum * variance * m / (m - 1));
  }
  return { y, dx, dweight, dbias, runningMean, runningVar };
}

const closeTo = (got: number[], want: number[], tol: number, what: string) => {
  assert.equal(got.length, want.length, what);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)), `${what}[${i}]: ${v} vs ${want[i]}`));
};

test("SyncBatchNorm on 2 ranks (4 and 2 samples) is BatchNorm over the 6: output, input/weight/bias gradients and running statistics, by hand and by libtorch's batch_norm", async () => {
  const [o0, o1] = (await job('syncbn', 2)).map((e, r) => ok(e, `rank ${r}`)) as Record<string, number[]>[];
  const { x, up, weight, bias } = syncBatchNormInputs();
  const hand = batchNormByHand(x.toNumbers(), up.toNumbers(), x.shape, weight.toNumbers(), bias.toNumbers(), 1e-5, 0.1);
  // libtorch's own kernel on the whole batch in one process.
  const xs = x.clone().requiresGrad_(), rm = zeros([3]), rv = ones([3]);
  const y = F.batchNorm(xs, rm, rv, { weight, bias, training: true, momentum: 0.1, eps: 1e-5 });
  y.mul(up).sum().backward();
  const per = 3 * 4 * 5;
  const rows = (a: number[], r: number) => a.slice(SYNCBN_SPLIT[r]![0] * per, SYNCBN_SPLIT[r]![1] * per);
  for (const [r, o] of [o0!, o1!].entries()) {
    for (const [what, want, lib] of [['y', hand.y, y.toNumbers()], ['dx', hand.dx, xs.grad!.toNumbers()]] as const) {
      closeTo(o[what]!, rows(want, r), 1e-5, `rank ${r} ${what} (by hand)`);
      closeTo(o[what]!, rows(lib, r), 1e-5, `rank ${r} ${what} (libtorch)`);
    }
    // Both ranks' running statistics are the global batch's (unbiased variance over 120 values per channel).
    closeTo(o.runningMean!, hand.runningMean, 1e-6, `rank ${r} running mean`);
    closeTo(o.runningVar!, hand.runningVar, 1e-6, `rank ${r} running var`);
    closeTo(o.runningVar!, rv.toNumbers(), 1e-6, `rank ${r} running var (libtorch)`);
  }
  // Weight and bias gradients are each rank's share; DDP's averaging (× world size) sums them.
  const sum = (k: string) => o0![k]!.map((v, i) => v + o1![k]![i]!);
  closeTo(sum('dweight'), hand.dweight, 1e-5, 'weight gradient');
  closeTo(sum('dbias'), hand.dbias, 1e-5, 'bias gradient');
  closeTo(sum('dweight'), weight.grad!.toNumbers(), 1e-5, 'weight gradient (libtorch)');
  // The check can fail: rank 1's two samples alone give other statistics.
  const alone = batchNormByHand(rows(x.toNumbers(), 1), rows(up.toNumbers(), 1), [2, 3, 4, 5], weight.toNumbers(), bias.toNumbers(), 1e-5, 0.1);
  assert.ok(Math.max(...alone.y.map((v, i) => Math.abs(v - o1!.y![i]!))) > 1e-2, "rank 1's own statistics would differ");
});

test('SyncBatchNorm in a group of one is BatchNorm; a BatchNorm2d converted to it keeps its names, and in eval mode uses its running statistics', async () => {
  const g = await ProcessGroup.create({ rank: 0, worldSize: 1, rendezvous: { kind: 'file', path: join(mkdtempSync(join(tmpdir(), 'halite-dist-')), 'store') }, timeoutMs: 5000 });
  const { x, up, weight, bias } = syncBatchNormInputs();
  const hand = batchNormByHand(x.toNumbers(), up.toNumbers(), x.shape, weight.toNumbers(), bias.toNumbers(), 1e-3, 0.01);
  const xs = x.clone().requiresGrad_(), rm = zeros([3]), rv = ones([3]);
  const y = syncBatchNorm(xs, rm, rv, g, { weight, bias, eps: 1e-3, momentum: 0.01 });
  y.mul(up).sum().backward();
  closeTo(y.toNumbers(), hand.y, 1e-5, 'y');
  closeTo(xs.grad!.toNumbers(), hand.dx, 1e-5, 'dx');
  closeTo(weight.grad!.toNumbers(), hand.dweight, 1e-5, 'dweight');
  closeTo(rm.toNumbers(), hand.runningMean, 1e-6, 'running mean');
  closeTo(rv.toNumbers(), hand.runningVar, 1e-6, 'running var');
  assert.throws(() => syncBatchNorm(x.narrow(0, 0, 1).narrow(2, 0, 1).narrow(3, 0, 1), null, null, g), /expected more than 1 value per channel/);
  const bn = new Sequential(new BatchNorm2d(3));
  const names = [...bn.stateDict().keys()];
  assert.equal(convertSyncBatchNorm(bn, g), 1);
  assert.equal((bn.at(0) as BatchNorm2d).syncGroup, g);
  assert.deepEqual([...bn.stateDict().keys()], names);
  bn.eval();
  closeTo(bn.call(x).toNumbers(), x.toNumbers().map((v) => v / Math.sqrt(1 + 1e-5)), 1e-6, 'eval mode: running statistics (0, 1)');
  g.destroy();
});

test('bucket plan: in order, one dtype per bucket, at most the cap (a larger tensor alone)', () => {
  const f = (numel: number, dtype: 'float32' | 'float64' = 'float32') => ({ numel, dtype });
  assert.deepEqual(planBuckets([f(10), f(10), f(10), f(30), f(2, 'float64'), f(1)], 80), [[0, 1], [2], [3], [4], [5]]);
  assert.deepEqual(planBuckets([f(5), f(5), f(5)], 40), [[0, 1], [2]]);
  assert.deepEqual(planBuckets([], 40), []);
});

test("torchrun's variables: each missing or bad one is named", async () => {
  const good = { RANK: '1', WORLD_SIZE: '2', MASTER_ADDR: 'node0', MASTER_PORT: '29500', LOCAL_RANK: '1' };
  assert.deepEqual(readLaunchEnv(good), { rank: 1, worldSize: 2, masterAddr: 'node0', masterPort: 29500, localRank: 1 });
  assert.deepEqual(readLaunchEnv({ ...good, LOCAL_RANK: undefined }).localRank, 0);
  for (const name of ['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'] as const) {
    assert.throws(() => readLaunchEnv({ ...good, [name]: undefined }), new RegExp(`^Error: ${name} is not set`));
  }
  assert.throws(() => readLaunchEnv({ ...good, RANK: '2' }), /RANK='2' is not a whole number in \[0, 1\]/);
  assert.throws(() => readLaunchEnv({ ...good, WORLD_SIZE: 'two' }), /WORLD_SIZE='two' is not a whole number/);
  assert.throws(() => readLaunchEnv({ ...good, MASTER_PORT: '70000' }), /MASTER_PORT='70000' is not a whole number in \[1, 65535\]/);
  assert.throws(() => readLaunchEnv({ ...good, LOCAL_RANK: '-1' }), /LOCAL_RANK='-1'/);
  await assert.rejects(initProcessGroup({ env: { ...good, MASTER_PORT: '' } }), /MASTER_PORT is not set/);
});

test("nccl on this libtorch, bad ranks and 'avg' of integers are clear errors; a destroyed group refuses work", async () => {
  const file = { kind: 'file' as const, path: join(mkdtempSync(join(tmpdir(), 'halite-dist-')), 'store') };
  await assert.rejects(ProcessGroup.create({ rank: 0, worldSize: 1, rendezvous: file, backend: 'nccl' }), /^Error: distInit: backend 'nccl': this libtorch has no NCCL \(it is a CPU build\); use gloo$/);
  await assert.rejects(ProcessGroup.create({ rank: 2, worldSize: 2, rendezvous: file }), /rank must be a whole number in \[0, 1\], got 2/);
  await assert.rejects(ProcessGroup.create({ rank: 0, worldSize: 1, rendezvous: { kind: 'tcp', host: '127.0.0.1', port: 0 } }), /port must be a whole number in \[1, 65535\]/);
  // A group of one: collectives are identities, which is what a 1-process run must see.
  const g = await ProcessGroup.create({ rank: 0, worldSize: 1, rendezvous: file, timeoutMs: 5000 });
  const t = tensor([1.5, 2]);
  await g.allreduce([t], 'avg');
  assert.deepEqual(t.toNumbers(), [1.5, 2]);
  await assert.rejects(g.allreduce([tensor([1, 2]).to('int64')], 'avg'), /allreduce 'avg': tensor 0 is int64; averaging needs a floating dtype/);
  await assert.rejects(g.allreduce([t, tensor([1]).to('bool')]), /allreduce: tensor 1 is bool; Gloo takes float32, float64, float16, int64, int32, uint8/);
  await assert.rejects(g.broadcast([t], 1), /broadcast root must be a whole number in \[0, 0\], got 1/);
  g.destroy();
  g.destroy();
  await assert.rejects(g.barrier(), /barrier: the process group \(rank 0 of 1\) was destroyed/);
});
