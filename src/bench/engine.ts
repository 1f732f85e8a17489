// `halite bench engine`: train and inference throughput of the seed's residual U-Net in halite,
// beside the same network in PyTorch's Python front end, and its inference exported as ONNX and run by
// onnxruntime-node, measured in the same run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exportOnnx } from '../export/onnx.js';
import { fuseForInference } from '../infer/fuse.js';
import { maskProbabilities } from '../infer/predict.js';
import { ResUNet } from '../models/resunet.js';
import { Adam } from '../optim/adam.js';
import * as T from '../torch/index.js';
import { peerEnv } from './peer-env.js';

export interface EngineBenchOptions {
  threads: number;
  batch: number;
  inferBatch: number;
  warmup: number;
  steps: number;
  inferSteps: number;
  python: string;
  /** Precision of the train step on both sides (inference is timed in fp32, and in bf16 with inferBf16). */
  precision: T.Precision;
  /** Also time inference under bfloat16 autocast on both sides (where the CPU has native bfloat16: elsewhere it is no path to offer). */
  inferBf16: boolean;
  /** Alternating rounds; each side keeps its best, so a passing hiccup on the machine does not decide. */
  rounds: number;
  log: (line: string) => void;
}

export interface Throughput {
  train_img_s: number;
  infer_img_s: number;
  /** Inference under bfloat16 autocast, logits back to float32 (halite: folded, as predict --precision bf16 runs); null when not timed. */
  infer_bf16_img_s: number | null;
  params: number;
  /** halite only: inference with the BatchNorms folded (fuseForInference, as loaded runs predict); infer_img_s is without. */
  infer_fused_img_s?: number;
}

export function measureHalite(channelsLast: boolean, o: EngineBenchOptions): Throughput {
  T.setNumThreads(o.threads);
  T.manualSeed(0);
  const fmt = channelsLast ? 'channelsLast' : 'contiguous';
  const model = new ResUNet().to({ memoryFormat: fmt });
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const [x, y] = T.tidy(() => [
    T.rand([o.batch, 1, 101, 101]).contiguous(fmt),
    T.rand([o.batch, 1, 101, 101]).gt(0.5).float().contiguous(fmt),
  ]);
  model.train();
  const step = (): number => T.tidy(() => {
    opt.zeroGrad();
    const out = T.autocast('cpu', o.precision, () => model.call(x!));
    const loss = T.F.bceWithLogits(out.float(), y!);
    loss.backward();
    opt.step();
    return loss.item();
  });
  for (let i = 0; i < o.warmup; i++) step();
  let t0 = performance.now();
  for (let i = 0; i < o.steps; i++) step();
  const train = (o.batch * o.steps) / ((performance.now() - t0) / 1000);

  model.eval();
  const xi = T.rand([o.inferBatch, 1, 101, 101]).contiguous(fmt);
  /** Images/s of maskProbabilities (predict's own batch step, no TTA) in `precision`. */
  const inferRate = (precision: T.Precision): number => {
    const infer = (): void => T.tidy(() => T.noGrad(() => { maskProbabilities(model, xi, false, precision); }));
    for (let i = 0; i < o.warmup; i++) infer();
    const t = performance.now();
    for (let i = 0; i < o.inferSteps; i++) infer();
    return (o.inferBatch * o.inferSteps) / ((performance.now() - t) / 1000);
  };
  const unfused = inferRate('fp32');
  fuseForInference(model, { channelsLast });
  const fused = inferRate('fp32'), bf16 = o.inferBf16 ? inferRate('bf16') : null;
  const params = model.numParameters();
  T.dispose([x, y, xi]);
  model.dispose();
  return { train_img_s: train, infer_img_s: unfused, infer_fused_img_s: fused, infer_bf16_img_s: bf16, params };
}

/**
 * Inference images/s of the same residual U-Net (seed 0) exported as ONNX (halite export: BatchNorm
 * folded, no TTA) and run by onnxruntime-node's CPU runtime with `threads` intra-op threads, on the
 * same batch size and steps as halite's inference. Returns onnxruntime's version too.
 */
export async function measureOnnxruntime(o: EngineBenchOptions): Promise<{ infer_img_s: number; onnxruntime: string }> {
  const ort = await import('onnxruntime-node');
  T.manualSeed(0);
  const model = new ResUNet();
  const { bytes } = exportOnnx(model);
  model.dispose();
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: o.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    const x = new ort.Tensor('float32', Float32Array.from({ length: o.inferBatch * 101 * 101 }, Math.random), [o.inferBatch, 1, 101, 101]);
    const infer = () => session.run({ image: x });
    for (let i = 0; i < o.warmup; i++) await infer();
    const t0 = performance.now();
    for (let i = 0; i < o.inferSteps; i++) await infer();
    return { infer_img_s: (o.inferBatch * o.inferSteps) / ((performance.now() - t0) / 1000), onnxruntime: ort.env.versions.node ?? 'unknown' };
  } finally {
    await session.release();
  }
}

export function measurePeer(channelsLast: boolean, o: EngineBenchOptions): Throughput & { torch: string } {
  const script = fileURLToPath(new URL('../../bench/peer/resunet.py', import.meta.url));
  const args = [script, '--threads', String(o.threads), '--batch', String(o.batch), '--infer-batch', String(o.inferBatch),
    '--warmup', String(o.warmup), '--steps', String(o.steps), '--infer-steps', String(o.inferSteps),
    '--channels-last', channelsLast ? 'yes' : 'no', '--precision', o.precision, '--infer-bf16', o.inferBf16 ? 'yes' : 'no'];
  const r = spawnSync(o.python, args, { encoding: 'utf8', env: peerEnv() });
  if (r.error) throw new Error(`cannot run the PyTorch peer with ${o.python}: ${r.error.message} (install python3-torch)`);
  if (r.status !== 0) throw new Error(`the PyTorch peer failed (exit ${r.status}):\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as Throughput & { torch: string };
}

export interface EngineBenchResult {
  threads: number;
  precision: T.Precision;
  train_img_s: number;
  train_peer_img_s: number;
  train_ratio: number;
  /** halite's inference as loaded runs predict: BatchNorms folded (fuseForInference), in its faster memory format. */
  infer_img_s: number;
  /** The same without folding (the model as trained), in its faster memory format. */
  infer_unfused_img_s: number;
  infer_peer_img_s: number;
  infer_ratio: number;
  /** The same network exported as ONNX and run by onnxruntime-node (inference only). */
  infer_onnxruntime_img_s: number;
  /** halite's inference over onnxruntime's. */
  infer_onnxruntime_ratio: number;
  /** halite's inference under bfloat16 autocast (predict --precision bf16), folded, in its faster memory format (null: not timed). */
  infer_bf16_img_s: number | null;
  /** PyTorch's eager inference under bfloat16 autocast, in its faster memory format. */
  infer_peer_bf16_img_s: number | null;
  /** halite bf16 over PyTorch eager fp32 (issue 24's anchor), over PyTorch bf16, and over onnxruntime (fp32). */
  infer_bf16_ratio: number | null;
  infer_bf16_peer_bf16_ratio: number | null;
  infer_bf16_onnxruntime_ratio: number | null;
  onnxruntime: string;
  params: number;
  peer_params: number;
  train_channels_last: boolean;
  infer_channels_last: boolean;
  infer_unfused_channels_last: boolean;
}

/**
 * Both sides run in both memory formats, interleaved (and in swapped order each round) so drift on
 * a busy machine hits both alike; each side is credited with its best run and format, as a PyTorch
 * user would pick channels-last only where it helps.
 */
export async function benchEngine(o: EngineBenchOptions): Promise<EngineBenchResult> {
  const rows: { fmt: boolean; side: 'halite' | 'pytorch'; r: Throughput }[] = [];
  const ortRuns: { infer_img_s: number; onnxruntime: string }[] = [];
  const run = (side: 'halite' | 'pytorch', fmt: boolean): void => {
    const r = side === 'pytorch' ? measurePeer(fmt, o) : measureHalite(fmt, o);
    const name = fmt ? 'channels-last' : 'contiguous';
    const fused = r.infer_fused_img_s !== undefined ? `  fused ${r.infer_fused_img_s.toFixed(2)} img/s` : '';
    const bf16 = r.infer_bf16_img_s !== null ? `  bf16 ${r.infer_bf16_img_s.toFixed(2)} img/s` : '';
    o.log(`${side.padEnd(8)}${name.padEnd(14)}train ${r.train_img_s.toFixed(2)} img/s  infer ${r.infer_img_s.toFixed(2)} img/s${fused}${bf16}`);
    rows.push({ fmt, side, r });
  };
  for (let round = 0; round < o.rounds; round++) {
    const order: ('halite' | 'pytorch')[] = round % 2 === 0 ? ['pytorch', 'halite'] : ['halite', 'pytorch'];
    for (const fmt of [false, true]) for (const side of order) run(side, fmt);
    const r = await measureOnnxruntime(o);
    o.log(`${'onnxrt'.padEnd(8)}${'(its own)'.padEnd(14)}${' '.repeat(22)}infer ${r.infer_img_s.toFixed(2)} img/s`);
    ortRuns.push(r);
  }
  const ort = ortRuns.reduce((a, b) => (b.infer_img_s > a.infer_img_s ? b : a));
  const best = (side: string, key: 'train_img_s' | 'infer_img_s' | 'infer_fused_img_s' | 'infer_bf16_img_s') =>
    rows.filter((r) => r.side === side).reduce((a, b) => ((b.r[key] ?? 0) > (a.r[key] ?? 0) ? b : a));
  const ht = best('halite', 'train_img_s'), pt = best('pytorch', 'train_img_s');
  const hi = best('halite', 'infer_fused_img_s'), pi = best('pytorch', 'infer_img_s');
  const hu = best('halite', 'infer_img_s');
  const hb = best('halite', 'infer_bf16_img_s').r.infer_bf16_img_s, pb = best('pytorch', 'infer_bf16_img_s').r.infer_bf16_img_s;
  const over = (a: number | null, b: number | null) => (a !== null && b !== null ? a / b : null);
  return {
    threads: o.threads,
    precision: o.precision,
    train_img_s: ht.r.train_img_s,
    train_peer_img_s: pt.r.train_img_s,
    train_ratio: ht.r.train_img_s / pt.r.train_img_s,
    infer_img_s: hi.r.infer_fused_img_s!,
    infer_unfused_img_s: hu.r.infer_img_s,
    infer_peer_img_s: pi.r.infer_img_s,
    infer_ratio: hi.r.infer_fused_img_s! / pi.r.infer_img_s,
    infer_onnxruntime_img_s: ort.infer_img_s,
    infer_onnxruntime_ratio: hi.r.infer_fused_img_s! / ort.infer_img_s,
    infer_bf16_img_s: hb,
    infer_peer_bf16_img_s: pb,
    infer_bf16_ratio: over(hb, pi.r.infer_img_s),
    infer_bf16_peer_bf16_ratio: over(hb, pb),
    infer_bf16_onnxruntime_ratio: over(hb, ort.infer_img_s),
    onnxruntime: ort.onnxruntime,
    params: ht.r.params,
    peer_params: pt.r.params,
    train_channels_last: ht.fmt,
    infer_channels_last: hi.fmt,
    infer_unfused_channels_last: hu.fmt,
  };
}
