// The ranks of test/distributed.test.ts's scenarios. Each scenario takes torchrun's variables
// (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) or DIST_FILE for a FileStore, and resolves to what this
// rank saw; the test computes what it should have seen. Rank 0 runs in the test's own process, the
// others through dist-worker.ts.
import { ProcessGroup, initProcessGroup, averageGradients, broadcastState, syncBatchNorm } from '../../src/distributed/index.js';
import { tensor, arange, randn, manualSeed, zeros, ones, type Tensor } from '../../src/torch/index.js';
import { F } from '../../src/torch/index.js';
import { Conv2d, ReLU, Sequential } from '../../src/nn/index.js';
import { SGD } from '../../src/optim/index.js';

export type Env = Record<string, string | undefined>;
export type Report = Record<string, unknown>;

const timeoutOf = (env: Env) => Number(env.DIST_TIMEOUT_MS ?? 20000);

/** Joins with DIST_TIMEOUT_MS for collectives; DIST_RENDEZVOUS_MS (default the same) for the start. */
async function join(env: Env): Promise<ProcessGroup> {
  const timeoutMs = timeoutOf(env);
  const rendezvousTimeoutMs = Number(env.DIST_RENDEZVOUS_MS ?? timeoutMs);
  if (env.DIST_FILE) {
    return ProcessGroup.create({
      rank: Number(env.RANK), worldSize: Number(env.WORLD_SIZE), rendezvous: { kind: 'file', path: env.DIST_FILE }, timeoutMs, rendezvousTimeoutMs,
    }, env);
  }
  return initProcessGroup({ timeoutMs, rendezvousTimeoutMs, env });
}

/** Rank r's tensors: values the test can recompute for every r. */
function mine(r: number): Tensor[] {
  return [
    arange(0, 6, 1, { dtype: 'float32' }).reshape(2, 3).add(r + 1),  // [2,3] float32: i + r + 1
    tensor([r * 0.5, -r, 1e6 * (r + 1), 3]).to('float64'),             // [4] float64
    arange(0, 4, 1, { dtype: 'int64' }).reshape(2, 2).mul(r + 2),      // [2,2] int64: i * (r + 2)
    tensor([[r, 1]]).to('int32'),                                      // [1,2] int32
  ];
}

async function collectives(env: Env): Promise<Report> {
  const out: Report = {};
  const g = await join(env);
  const r = g.rank;
  out.rank = r;
  out.world = g.worldSize;
  const sum = mine(r);
  await g.allreduce(sum, 'sum');
  out.sum = sum.map((t) => ({ dtype: t.dtype, shape: t.shape, values: t.toNumbers() }));
  const avg = mine(r).slice(0, 2);
  await g.allreduce(avg, 'avg');
  out.avg = avg.map((t) => t.toNumbers());
  const mx = [tensor([r, 10 - r, r % 2])], mn = [tensor([r, 10 - r, r % 2])];
  await g.allreduce(mx, 'max');
  await g.allreduce(mn, 'min');
  out.max = mx[0]!.toNumbers();
  out.min = mn[0]!.toNumbers();
  // A strided view: Gloo must see (and write back) only its elements, not the block under it.
  const base = arange(0, 8, 1).mul(r + 1);
  await g.allreduce([base.slice(0, 1, 8, 2)], 'sum');
  out.strided = base.toNumbers();
  const b = [tensor([r * 10, r * 10 + 1]), arange(0, 3, 1, { dtype: 'int64' }).add(r * 100)];
  await g.broadcast(b, 1);
  out.broadcast = b.map((t) => t.toNumbers());
  await g.barrier();
  g.destroy();
  out.destroyed = g.isDestroyed;
  return out;
}

/** Rank 1 joins, then (per DIST_PEER) exits or idles; rank 0 allreduces and reports how that ended. */
async function lostPeer(env: Env): Promise<Report> {
  const out: Report = {};
  const timeoutMs = timeoutOf(env);
  const g = await join(env);
  if (g.rank !== 0) {
    if (env.DIST_PEER === 'exit') process.exit(0);
    // Idle past rank 0's timeout (its allreduce must fail on the clock, not on a closed socket), then go.
    await new Promise((res) => setTimeout(res, timeoutMs + 1500));
    return out;
  }
  let ticks = 0;
  const timer = setInterval(() => ticks++, 100);
  const t0 = Date.now();
  try {
    await g.allreduce([tensor([1, 2, 3])], 'sum');
    out.error = null;
  } catch (e) {
    out.error = (e as Error).message;
  }
  clearInterval(timer);
  out.ms = Date.now() - t0;
  out.ticks = ticks;
  g.destroy();
  return out;
}

/** Rank 0 alone (WORLD_SIZE=2 but no rank 1): the rendezvous itself must time out. */
async function alone(env: Env): Promise<Report> {
  const out: Report = {};
  const t0 = Date.now();
  try {
    await join(env);
    out.error = null;
  } catch (e) {
    out.error = (e as Error).message;
  }
  out.ms = Date.now() - t0;
  return out;
}

/**
 * DDP's equivalence: a small network without BatchNorm, each rank's initial weights different (so the
 * broadcast matters), a global batch of 8 split over the ranks; SGD with momentum for 4 steps.
 * WORLD_SIZE=1 without a group is the reference: the whole batch in one process.
 */
async function ddp(env: Env): Promise<Report> {
  const out: Report = {};
  const world = Number(env.WORLD_SIZE ?? 1);
  const g = world > 1 ? await join(env) : null;
  const rank = g?.rank ?? 0;
  manualSeed(100 + rank);
  const model = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new ReLU(), new Conv2d(4, 1, 3, { padding: 1 }));
  out.before = [...model.stateDict().values()].map((t) => t.toNumbers());
  if (g) await broadcastState(g, model.stateDict().values(), 0);
  out.initial = [...model.stateDict().values()].map((t) => t.toNumbers());
  manualSeed(7);
  const x = randn([8, 1, 6, 6]), y = randn([8, 1, 6, 6]);
  const per = 8 / world;
  const xs = x.narrow(0, rank * per, per), ys = y.narrow(0, rank * per, per);
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  for (let step = 0; step < 4; step++) {
    model.zeroGrad();
    F.mseLoss(model.call(xs), ys).backward();
    // A small bucket cap, so the weights travel in more than one bucket.
    if (g) await averageGradients(g, model.parameters(), { bucketBytes: 200 });
    opt.step();
  }
  out.weights = [...model.stateDict().values()].map((t) => t.toNumbers());
  g?.destroy();
  return out;
}

/**
 * SyncBatchNorm's inputs, the same in every process: a batch of 6 (NCHW, 3 channels, 4 × 5), the
 * gradient flowing into the output, weight and bias. Rank r of SYNCBN_SPLIT takes rows [lo, hi).
 */
export function syncBatchNormInputs(): { x: Tensor; up: Tensor; weight: Tensor; bias: Tensor } {
  manualSeed(11);
  const x = randn([6, 3, 4, 5]).mul(tensor([2, 0.5, 3]).view(1, 3, 1, 1)).add(tensor([0.5, -1, 4]).view(1, 3, 1, 1));
  return { x, up: randn([6, 3, 4, 5]), weight: randn([3]).requiresGrad_(), bias: randn([3]).requiresGrad_() };
}
/** The rows each rank takes: uneven, so the count travels with the sums. */
export const SYNCBN_SPLIT: [number, number][] = [[0, 4], [4, 6]];

/** One training step of syncBatchNorm on this rank's rows: output, gradients and running statistics. */
async function syncbn(env: Env): Promise<Report> {
  const g = await join(env);
  const [lo, hi] = SYNCBN_SPLIT[g.rank]!;
  const { x, up, weight, bias } = syncBatchNormInputs();
  const mine = x.narrow(0, lo, hi - lo).clone().requiresGrad_();
  const runningMean = zeros([3]), runningVar = ones([3]);
  const y = syncBatchNorm(mine, runningMean, runningVar, g, { weight, bias, momentum: 0.1, eps: 1e-5 });
  y.mul(up.narrow(0, lo, hi - lo)).sum().backward();
  const out = {
    y: y.toNumbers(), dx: mine.grad!.toNumbers(), dweight: weight.grad!.toNumbers(), dbias: bias.grad!.toNumbers(),
    runningMean: runningMean.toNumbers(), runningVar: runningVar.toNumbers(),
  };
  g.destroy();
  return out;
}

export const scenarios: Record<string, (env: Env) => Promise<Report>> = { collectives, 'lost-peer': lostPeer, alone, ddp, syncbn };
