// `halite bench ddp`: data-parallel training throughput on this machine, one process against two
// (each with half the threads), and what the gradient allreduce costs per step: bytes, milliseconds
// and the share of the step, for the residual U-Net and the resnet34 encoder-unet. The peer is
// PyTorch's own DistributedDataParallel over Gloo (bench/peer/ddp.py), run alternately with halite.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { averageGradients, initProcessGroup, type ProcessGroup } from '../distributed/index.js';
import { freePort } from '../distributed/launcher.js';
import { createModel } from '../models/registry.js';
import { convertSyncBatchNorm } from '../nn/layers.js';
import { Adam } from '../optim/adam.js';
import * as T from '../torch/index.js';
import { peerEnv } from './peer-env.js';

/** The models measured: a name for the report, createModel's arguments, and whether bench/peer/ddp.py has it. */
export const DDP_BENCH_MODELS: Record<string, { model: string; options: Record<string, unknown>; peer: boolean }> = {
  resunet: { model: 'resunet', options: {}, peer: true },
  'encoder-unet-resnet34': { model: 'encoder-unet', options: { encoder: 'resnet34' }, peer: false },
};

/**
 * What one rank measures: `train`, training steps (forward, backward, gradient averaging, Adam);
 * `allreduce`, the gradient averaging alone on the model's gradient shapes, with no compute between
 * steps (the communication cost without waiting for a slower rank's backward).
 */
export type DdpMode = 'train' | 'allreduce';

/** A rank's options; its thread count is halite's global --threads, which the bench passes to each rank. */
export interface DdpWorkerOptions { model: string; mode: DdpMode; batch: number; warmup: number; steps: number; syncBatchNorm: boolean }

/** One rank's measurement (or the single process's): per-step times in ms and the gradient bytes reduced. */
export interface DdpWorkerResult { rank: number; world: number; step_ms: number; allreduce_ms: number; bytes: number; params: number }

/**
 * Times `steps` steps (after `warmup`) of `mode` for a model on random 101×101 tiles, `batch` per
 * process; in a job (torchrun's variables, WORLD_SIZE > 1) with DDP's gradient averaging (25 MiB
 * buckets) before each optimizer step, and with SyncBatchNorm when asked.
 * @throws for an unknown model name (see DDP_BENCH_MODELS) and the process group's errors.
 */
export async function benchDdpWorker(o: DdpWorkerOptions): Promise<DdpWorkerResult> {
  const spec = DDP_BENCH_MODELS[o.model];
  if (!spec) throw new Error(`bench ddp: unknown model '${o.model}' (known: ${Object.keys(DDP_BENCH_MODELS).join(', ')})`);
  T.manualSeed(0);
  const world = Number(process.env.WORLD_SIZE ?? 1);
  const group: ProcessGroup | null = world > 1 ? await initProcessGroup() : null;
  const model = createModel(spec.model, spec.options);
  if (o.syncBatchNorm) convertSyncBatchNorm(model, group);
  const params = model.parameters();
  const opt = new Adam(params, { lr: 1e-3 });
  const [x, y] = T.tidy(() => [T.rand([o.batch, 1, 101, 101]), T.rand([o.batch, 1, 101, 101]).gt(0.5).float()]);
  model.train();
  if (o.mode === 'allreduce') T.tidy(() => { T.F.bceWithLogits(model.call(x!), y!).backward(); });
  let reduceMs = 0;
  const step = async () => {
    if (o.mode === 'train') {
      T.tidy(() => {
        opt.zeroGrad();
        T.F.bceWithLogits(model.call(x!), y!).backward();
      });
    }
    const t0 = performance.now();
    if (group) await averageGradients(group, params);
    reduceMs += performance.now() - t0;
    if (o.mode === 'train') T.tidy(() => opt.step());
  };
  for (let i = 0; i < o.warmup; i++) await step();
  reduceMs = 0;
  if (group) await group.barrier();
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) await step();
  const stepMs = (performance.now() - t0) / o.steps;
  const n = model.numParameters();
  T.dispose([x, y]);
  model.dispose();
  group?.destroy();
  return { rank: group?.rank ?? 0, world, step_ms: stepMs, allreduce_ms: reduceMs / o.steps, bytes: n * 4, params: n };
}

export interface DdpBenchOptions {
  models: string[]; batch: number; warmup: number; steps: number; threads: number; rounds: number;
  syncBatchNorm: boolean; python: string; log: (line: string) => void;
}

export interface DdpBenchRow {
  model: string;
  params: number;
  /** Gradient bytes each rank sends into the allreduce per step (float32). */
  bytes_per_step: number;
  img_s_1: number;
  img_s_2: number;
  /** img_s_2 / img_s_1. */
  scaling: number;
  step_ms_1: number;
  step_ms_2: number;
  /** The slower rank's gradient averaging time per training step (waiting for the other rank included), and its share of the step. */
  allreduce_ms: number;
  comm_share: number;
  /** The gradient averaging alone (no compute between steps), and its bandwidth: bytes_per_step / that time. */
  allreduce_only_ms: number;
  allreduce_mb_s: number;
  /** PyTorch's figures in the same run: DDP training (null for a model the peer lacks) and the same bytes' bucketed allreduce. */
  peer_img_s_1: number | null;
  peer_img_s_2: number | null;
  peer_allreduce_only_ms: number;
  /** halite / PyTorch: images/s with 2 processes (null without the peer's model), and allreduce time (lower is better for halite). */
  img_s_2_ratio: number | null;
  allreduce_ratio: number;
}

/** Spawns `world` ranks of `argv` (a command line) on a fresh loopback port; each prints a DdpWorkerResult as its last line. */
async function runRanks(label: string, cmd: string, argv: string[], world: number, env: (extra: Record<string, string>) => NodeJS.ProcessEnv): Promise<DdpWorkerResult[]> {
  const port = await freePort();
  return Promise.all(Array.from({ length: world }, (_, r) => new Promise<DdpWorkerResult>((res, rej) => {
    const p = spawn(cmd, argv, { env: env({ RANK: String(r), WORLD_SIZE: String(world), LOCAL_RANK: String(r), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', (e) => rej(new Error(`bench ddp: cannot start ${cmd} (${label}): ${e.message}${cmd.includes('python') ? ' (install python3-torch)' : ''}`)));
    p.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`exited with code ${code}`);
        res(JSON.parse(out.trim().split('\n').pop()!) as DdpWorkerResult);
      } catch (e) {
        rej(new Error(`bench ddp: rank ${r} of ${world} (${label}) failed: ${(e as Error).message}\n${err.slice(-2000)}`));
      }
    });
  })));
}

/** Each of `world` ranks' share of the bench's threads (at least 1). */
const threadsPerRank = (o: DdpBenchOptions, world: number) => Math.max(1, Math.floor(o.threads / world));

/** halite's ranks: `halite bench ddp --worker` (the same CLI). */
function haliteRanks(model: string, mode: DdpMode, world: number, o: DdpBenchOptions): Promise<DdpWorkerResult[]> {
  const threads = threadsPerRank(o, world);
  return runRanks(`halite ${model} ${mode}`, process.execPath, [...process.execArgv, process.argv[1]!, 'bench', 'ddp', '--worker', '--mode', mode,
    '--models', model, '--batch', String(o.batch), '--warmup', String(o.warmup), '--steps', String(o.steps), '--threads', String(threads),
    ...(o.syncBatchNorm ? ['--sync-batchnorm'] : [])], world, (extra) => ({ ...process.env, ...extra }));
}

/** PyTorch's ranks: bench/peer/ddp.py (DDP training of the residual U-Net, or `bytes` of bucketed allreduce). */
function peerRanks(mode: DdpMode, world: number, bytes: number, o: DdpBenchOptions): Promise<DdpWorkerResult[]> {
  const script = fileURLToPath(new URL('../../bench/peer/ddp.py', import.meta.url));
  const threads = threadsPerRank(o, world);
  return runRanks(`PyTorch ${mode}`, o.python, [script, '--mode', mode, '--batch', String(o.batch), '--warmup', String(o.warmup),
    '--steps', String(o.steps), '--threads', String(threads), '--bytes', String(bytes)], world, peerEnv);
}

/** The slower rank's result (a data-parallel step lasts as long as its slowest rank). */
const slowest = (rs: DdpWorkerResult[]) => rs.reduce((a, b) => (b.step_ms > a.step_ms ? b : a));
const best = (a: number | undefined, b: number) => (a === undefined ? b : Math.min(a, b));

/**
 * One process against two, per model, halite and PyTorch alternately (`rounds` rounds, the side that
 * goes first swapping each round), each figure the best of its rounds (see the file's comment).
 * @throws for an unknown model, a rank that fails, or a peer that cannot start.
 */
export async function benchDdp(o: DdpBenchOptions): Promise<{ threads: number; batch_per_process: number; steps: number; rounds: number; sync_batchnorm: boolean; models: DdpBenchRow[] }> {
  const rows: DdpBenchRow[] = [];
  for (const m of o.models) {
    const spec = DDP_BENCH_MODELS[m];
    if (!spec) throw new Error(`bench ddp: unknown model '${m}' (known: ${Object.keys(DDP_BENCH_MODELS).join(', ')})`);
    const t: Record<string, number> = {};
    let bytes = 0, params = 0, reduceInStep = 0;
    const halite = async () => {
      const [one] = await haliteRanks(m, 'train', 1, o);
      const two = slowest(await haliteRanks(m, 'train', 2, o));
      const only = slowest(await haliteRanks(m, 'allreduce', 2, o));
      ({ bytes, params } = one!);
      if (t.h2 === undefined || two.step_ms < t.h2) reduceInStep = two.allreduce_ms;
      t.h1 = best(t.h1, one!.step_ms); t.h2 = best(t.h2, two.step_ms); t.hr = best(t.hr, only.allreduce_ms);
    };
    const peer = async () => {
      // PyTorch 1.13's SyncBatchNorm runs on CUDA only ("expected input tensor to be on GPU").
      if (spec.peer && !o.syncBatchNorm) {
        const [one] = await peerRanks('train', 1, 0, o);
        t.p1 = best(t.p1, one!.step_ms);
        t.p2 = best(t.p2, slowest(await peerRanks('train', 2, 0, o)).step_ms);
      }
      t.pr = best(t.pr, slowest(await peerRanks('allreduce', 2, bytes, o)).step_ms);
    };
    // ABBA order: halite first (the peer needs its byte count), then the sides swap each round.
    for (let k = 0; k < o.rounds; k++) {
      if (k % 2 === 0) { await halite(); await peer(); } else { await peer(); await halite(); }
    }
    const img = (ms: number | undefined, world: number) => (ms === undefined ? null : (world * o.batch) / (ms / 1000));
    const row: DdpBenchRow = {
      model: m, params, bytes_per_step: bytes,
      img_s_1: img(t.h1, 1)!, img_s_2: img(t.h2, 2)!, scaling: 0, step_ms_1: t.h1!, step_ms_2: t.h2!,
      allreduce_ms: reduceInStep, comm_share: reduceInStep / t.h2!,
      allreduce_only_ms: t.hr!, allreduce_mb_s: bytes / 2 ** 20 / (t.hr! / 1000),
      peer_img_s_1: img(t.p1, 1), peer_img_s_2: img(t.p2, 2), peer_allreduce_only_ms: t.pr!,
      img_s_2_ratio: null, allreduce_ratio: t.hr! / t.pr!,
    };
    row.scaling = row.img_s_2 / row.img_s_1;
    if (row.peer_img_s_2 !== null) row.img_s_2_ratio = row.img_s_2 / row.peer_img_s_2;
    const peerTrain = o.syncBatchNorm ? "PyTorch 1.13's SyncBatchNorm runs on CUDA only" : row.peer_img_s_1 === null ? 'PyTorch has no peer model here'
      : `PyTorch DDP ${row.peer_img_s_1.toFixed(1)} → ${row.peer_img_s_2!.toFixed(1)} img/s (×${(row.peer_img_s_2! / row.peer_img_s_1).toFixed(2)}); halite/PyTorch at 2 processes ×${row.img_s_2_ratio!.toFixed(2)}`;
    o.log(`${m}: ${(bytes / 2 ** 20).toFixed(1)} MiB of gradients per step` + (o.syncBatchNorm ? ', SyncBatchNorm' : ''));
    o.log(`  training: halite 1 process ${row.img_s_1.toFixed(1)} img/s, 2 processes ${row.img_s_2.toFixed(1)} img/s (×${row.scaling.toFixed(2)}); ${peerTrain}`);
    o.log(`  gradient allreduce in a 2-process step: ${row.allreduce_ms.toFixed(1)} ms (${(100 * row.comm_share).toFixed(1)}% of a ${row.step_ms_2.toFixed(0)} ms step, waiting for the slower rank included)`);
    o.log(`  allreduce alone: halite ${row.allreduce_only_ms.toFixed(1)} ms per step (${row.allreduce_mb_s.toFixed(0)} MiB/s), PyTorch ${row.peer_allreduce_only_ms.toFixed(1)} ms; halite/PyTorch time ×${row.allreduce_ratio.toFixed(2)}`);
    rows.push(row);
  }
  return { threads: o.threads, batch_per_process: o.batch, steps: o.steps, rounds: o.rounds, sync_batchnorm: o.syncBatchNorm, models: rows };
}
