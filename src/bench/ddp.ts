// `halite bench ddp`: data-parallel training throughput on this machine, one process against two
// (each with half the threads), and what the gradient allreduce costs per step: bytes, milliseconds
// and the share of the step, for the residual U-Net and the resnet34 encoder-unet.
import { spawn } from 'node:child_process';
import { averageGradients, initProcessGroup, type ProcessGroup } from '../distributed/index.js';
import { freePort } from '../distributed/launcher.js';
import { createModel } from '../models/registry.js';
import { Adam } from '../optim/adam.js';
import * as T from '../torch/index.js';

/** The models measured: a name for the report and createModel's arguments. */
export const DDP_BENCH_MODELS: Record<string, { model: string; options: Record<string, unknown> }> = {
  resunet: { model: 'resunet', options: {} },
  'encoder-unet-resnet34': { model: 'encoder-unet', options: { encoder: 'resnet34' } },
};

export interface DdpWorkerOptions { model: string; batch: number; warmup: number; steps: number; threads: number }

/** One rank's measurement (or the single process's): per-step times in ms and the gradient bytes reduced. */
export interface DdpWorkerResult { rank: number; world: number; step_ms: number; allreduce_ms: number; bytes: number; params: number }

/**
 * Trains `steps` timed steps (after `warmup`) of a model on random 101×101 tiles, `batch` per process;
 * in a job (torchrun's variables, WORLD_SIZE > 1) with DDP's gradient averaging before each step.
 * @throws for an unknown model name (see DDP_BENCH_MODELS) and the process group's errors.
 */
export async function benchDdpWorker(o: DdpWorkerOptions): Promise<DdpWorkerResult> {
  const spec = DDP_BENCH_MODELS[o.model];
  if (!spec) throw new Error(`bench ddp: unknown model '${o.model}' (known: ${Object.keys(DDP_BENCH_MODELS).join(', ')})`);
  T.setNumThreads(o.threads);
  T.manualSeed(0);
  const world = Number(process.env.WORLD_SIZE ?? 1);
  const group: ProcessGroup | null = world > 1 ? await initProcessGroup() : null;
  const model = createModel(spec.model, spec.options);
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const [x, y] = T.tidy(() => [T.rand([o.batch, 1, 101, 101]), T.rand([o.batch, 1, 101, 101]).gt(0.5).float()]);
  model.train();
  let reduceMs = 0;
  const step = async () => {
    T.tidy(() => {
      opt.zeroGrad();
      T.F.bceWithLogits(model.call(x!), y!).backward();
    });
    const t0 = performance.now();
    if (group) await averageGradients(group, model.parameters());
    reduceMs += performance.now() - t0;
    T.tidy(() => opt.step());
  };
  for (let i = 0; i < o.warmup; i++) await step();
  reduceMs = 0;
  if (group) await group.barrier();
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) await step();
  const stepMs = (performance.now() - t0) / o.steps;
  const params = model.numParameters();
  T.dispose([x, y]);
  model.dispose();
  group?.destroy();
  return { rank: group?.rank ?? 0, world, step_ms: stepMs, allreduce_ms: reduceMs / o.steps, bytes: params * 4, params };
}

export interface DdpBenchOptions { models: string[]; batch: number; warmup: number; steps: number; threads: number; log: (line: string) => void }

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
  /** The slower rank's allreduce time per step, and its share of the step. */
  allreduce_ms: number;
  comm_share: number;
  /** Effective allreduce bandwidth: bytes_per_step / allreduce time. */
  allreduce_mb_s: number;
}

/** Runs `halite bench ddp --worker` processes (the same CLI), `world` of them on a fresh loopback port. */
async function runWorkers(model: string, world: number, o: DdpBenchOptions): Promise<DdpWorkerResult[]> {
  const port = await freePort();
  const threads = Math.max(1, Math.floor(o.threads / world));
  const argv = [...process.execArgv, process.argv[1]!, 'bench', 'ddp', '--worker', '--models', model, '--batch', String(o.batch),
    '--warmup', String(o.warmup), '--steps', String(o.steps), '--threads', String(threads)];
  return Promise.all(Array.from({ length: world }, (_, r) => new Promise<DdpWorkerResult>((res, rej) => {
    const env = { ...process.env, RANK: String(r), WORLD_SIZE: String(world), LOCAL_RANK: String(r), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) };
    const p = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`exited with code ${code}`);
        res(JSON.parse(out.trim().split('\n').pop()!) as DdpWorkerResult);
      } catch (e) {
        rej(new Error(`bench ddp: rank ${r} of ${world} (${model}) failed: ${(e as Error).message}\n${err.slice(-2000)}`));
      }
    });
  })));
}

/** One process against two, per model (see the file's comment). */
export async function benchDdp(o: DdpBenchOptions): Promise<{ threads: number; batch_per_process: number; steps: number; models: DdpBenchRow[] }> {
  const rows: DdpBenchRow[] = [];
  for (const m of o.models) {
    if (!DDP_BENCH_MODELS[m]) throw new Error(`bench ddp: unknown model '${m}' (known: ${Object.keys(DDP_BENCH_MODELS).join(', ')})`);
    const [one] = await runWorkers(m, 1, o);
    const two = await runWorkers(m, 2, o);
    const slow = two.reduce((a, b) => (b.step_ms > a.step_ms ? b : a));
    const reduce = Math.max(...two.map((r) => r.allreduce_ms));
    const row: DdpBenchRow = {
      model: m, params: one!.params, bytes_per_step: slow.bytes,
      img_s_1: o.batch / (one!.step_ms / 1000), img_s_2: (2 * o.batch) / (slow.step_ms / 1000), scaling: 0,
      step_ms_1: one!.step_ms, step_ms_2: slow.step_ms, allreduce_ms: reduce, comm_share: reduce / slow.step_ms,
      allreduce_mb_s: slow.bytes / 2 ** 20 / (reduce / 1000),
    };
    row.scaling = row.img_s_2 / row.img_s_1;
    o.log(`${m}: ${(row.bytes_per_step / 2 ** 20).toFixed(1)} MiB of gradients per step; 1 process ${row.img_s_1.toFixed(1)} img/s, 2 processes ` +
      `${row.img_s_2.toFixed(1)} img/s (×${row.scaling.toFixed(2)}); allreduce ${row.allreduce_ms.toFixed(1)} ms per step ` +
      `(${(100 * row.comm_share).toFixed(1)}% of a ${row.step_ms_2.toFixed(0)} ms step, ${row.allreduce_mb_s.toFixed(0)} MiB/s)`);
    rows.push(row);
  }
  return { threads: o.threads, batch_per_process: o.batch, steps: o.steps, models: rows };
}
