// A model prepared for inference: every BatchNorm that follows a convolution alone is folded into that
// convolution's eval weights (src/nn/fold.ts, the fold the ONNX export uses), optionally in channels-last
// layout. Which convolution feeds which BatchNorm is read from one traced eval forward
// (src/torch/trace.ts), so every model, block and head is covered without describing any of them again.
// Transposed convolutions run in their sub-pixel form (src/nn/subpixel.ts) where conv2d goes to oneDNN.
import { isMultiHead } from '../models/heads.js';
import { foldBatchNorm } from '../nn/fold.js';
import { subPixelPays } from '../nn/subpixel.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { fromArray, noGrad, tidy, type Tensor } from '../torch/index.js';
import type { NativeHandle } from '../torch/native.js';
import { traceCalls } from '../torch/trace.js';
import { maskProbabilities, saltProbabilities } from './predict.js';

export interface FuseOptions {
  /** Hold the convolutions' eval weights in channels-last layout (libtorch's oneDNN convolutions then run NHWC). */
  channelsLast?: boolean;
  /**
   * Run strided transposed convolutions as conv2d + pixel shuffle (src/nn/subpixel.ts). Default: on a CPU
   * model where libtorch has oneDNN (MKL-DNN), whose conv2d then runs them, not conv_transpose2d's im2col path.
   */
  subPixel?: boolean;
  /** Tile side of the traced forward (101 for TGS tiles). */
  height?: number;
  width?: number;
}

export interface FuseReport {
  /** BatchNorm layers folded into the convolution before them. */
  folded: number;
  /** BatchNorm layers left as they are (their input is not one convolution's output alone). */
  kept: number;
  channelsLast: boolean;
  /** Transposed convolutions running in their sub-pixel form. */
  subPixel: number;
  /** Largest |probability difference| against the unfused model on the check tiles. */
  maxDiff: number;
}

/**
 * Whether halite's inference runs its convolutions channels-last (loadRun's default), as measured with
 * `halite bench engine` on 2 threads for the seed's residual U-Net at batch 64.
 */
export const INFERENCE_CHANNELS_LAST = true;

/** Largest |difference| the fused model may show against the unfused one before the fusion is undone. */
const TOLERANCE = 1e-5;
/** Tiles in the traced batch: not 1, so per-tile and per-batch dims are told apart. */
const BATCH = 2;

/**
 * Folds `model`'s BatchNorms into the convolutions before them for eval mode, in place: each such
 * Conv2d gets eval weights W' = W·s, b' = (b − μ)·s + β (setEvalWeights) and the BatchNorm passes its
 * input through in eval mode. A BatchNorm is folded only when every call of it reads the output of one
 * Conv2d, and every call of that Conv2d feeds it alone. The parameters, the state dict and training
 * are unaffected; the eval weights are a copy of the current parameters, so fuse again after loading
 * other weights. The fused model's probabilities (as predictProbabilities computes them, and the
 * classifier's) are checked against the unfused model's on BATCH deterministic tiles: over TOLERANCE
 * apart, the fusion is undone and `folded` is 0. Where o.subPixel (default: a CPU model and a libtorch
 * with oneDNN), every ConvTranspose2d with a sub-pixel form runs as conv2d + pixel shuffle in eval mode
 * (ConvTranspose2d.setEvalSubPixel), inside the same check.
 * @returns what was folded and the check's largest difference.
 */
export function fuseForInference(model: Module, o: FuseOptions = {}): FuseReport {
  const channelsLast = o.channelsLast ?? false;
  const h = o.height ?? 101, w = o.width ?? 101;
  const convs = new Map<NativeHandle, Conv2d>(), bns = new Map<NativeHandle, BatchNorm2d>();
  const ups: ConvTranspose2d[] = [];
  for (const [, m] of model.namedModules()) {
    if (m instanceof ConvTranspose2d) { m.setEvalSubPixel(false); ups.push(m); }
    if (m instanceof Conv2d) { m.setEvalWeights(null); convs.set(m.weight.handle, m); }
    if (m instanceof BatchNorm2d) { m.foldedIntoConv = false; if (m.runningMean) bns.set(m.runningMean.handle, m); }
  }
  const withSalt = isMultiHead(model) && model.hasClassifier;
  const probe = (x: Tensor): Float32Array[] => [
    maskProbabilities(model, x, false).toArray() as Float32Array,
    ...(withSalt ? [saltProbabilities(model, x, false).toArray() as Float32Array] : []),
  ];
  // A fixed pattern of grey levels in [0, 1] (no draw from the seeded generator, which training shares).
  const pixels = Float32Array.from({ length: BATCH * h * w }, (_, i) => { const v = Math.sin(i * 12.9898) * 43758.5453; return v - Math.floor(v); });
  const wasTraining = model.training;
  model.eval();
  try {
    return tidy(() => noGrad(() => {
      // On the model's device (a run trained on a GPU tunes there).
      const device = model.parameters()[0]?.device ?? 'cpu';
      const subPixel = o.subPixel ?? subPixelPays(device);
      const x = device === 'cpu' ? fromArray(pixels, [BATCH, 1, h, w]) : fromArray(pixels, [BATCH, 1, h, w]).to(device as 'cuda');
      const uses = new Map<NativeHandle, number>();
      const convOf = new Map<NativeHandle, Conv2d>();
      /** Per BatchNorm, the convolution that fed each of its calls (null: something else). */
      const fedBy = new Map<BatchNorm2d, (Conv2d | null)[]>();
      const convCalls = new Map<Conv2d, NativeHandle[]>();
      const count = (v: unknown): void => {
        if (typeof v === 'bigint') uses.set(v, (uses.get(v) ?? 0) + 1);
        else if (Array.isArray(v)) v.forEach(count);
      };
      const reference = traceCalls(() => probe(x), (c) => {
        c.args.forEach(count);
        if (c.op === 'conv2d' && typeof c.result === 'bigint') {
          const conv = convs.get(c.args[1] as NativeHandle);
          if (conv) { convOf.set(c.result, conv); convCalls.set(conv, [...(convCalls.get(conv) ?? []), c.result]); }
        }
        if (c.op === 'batchNorm') {
          const bn = bns.get(c.args[3] as NativeHandle);
          if (bn) fedBy.set(bn, [...(fedBy.get(bn) ?? []), convOf.get(c.args[0] as NativeHandle) ?? null]);
        }
      });
      let folded = 0;
      const foldedConvs = new Set<Conv2d>();
      for (const [bn, feeders] of fedBy) {
        const conv = feeders[0];
        if (!conv || !feeders.every((f) => f === conv) || foldedConvs.has(conv)) continue;
        // Every output of the convolution must reach this BatchNorm and nothing else.
        if (!convCalls.get(conv)!.every((out) => uses.get(out) === 1) || convCalls.get(conv)!.length !== feeders.length) continue;
        const f = foldBatchNorm(conv.weight, conv.bias, { gamma: bn.weight, beta: bn.bias, mean: bn.runningMean!, variance: bn.runningVar!, eps: bn.eps });
        if (channelsLast) { conv.setEvalWeights({ weight: f.weight.contiguous('channelsLast'), bias: f.bias }); f.weight.dispose(); } else conv.setEvalWeights(f);
        bn.foldedIntoConv = true;
        foldedConvs.add(conv);
        folded++;
      }
      if (channelsLast) {
        for (const conv of convs.values()) if (!foldedConvs.has(conv)) conv.setEvalWeights({ weight: conv.weight.contiguous('channelsLast'), bias: conv.bias });
      }
      const shuffled = subPixel ? ups.filter((u) => u.hasSubPixelForm) : [];
      for (const u of shuffled) u.setEvalSubPixel(true, channelsLast);
      const fused = probe(x);
      const maxDiff = Math.max(0, ...reference.map((r, k) => r.reduce((m, v, i) => Math.max(m, Math.abs(v - fused[k]![i]!)), 0)));
      const ok = maxDiff <= TOLERANCE;
      if (!ok) undo(convs.values(), bns.values(), ups);
      return { folded: ok ? folded : 0, kept: bns.size - (ok ? folded : 0), channelsLast: channelsLast && ok, subPixel: ok ? shuffled.length : 0, maxDiff };
    }));
  } catch (e) {
    undo(convs.values(), bns.values(), ups);
    throw e;
  } finally {
    model.train(wasTraining);
  }
}

/** Undoes fuseForInference: every Conv2d runs its parameters again, every BatchNorm its statistics and every ConvTranspose2d conv_transpose2d, in eval mode too. */
export function unfuse(model: Module): void {
  const all = [...model.namedModules()].map(([, m]) => m);
  undo(all.filter((m): m is Conv2d => m instanceof Conv2d), all.filter((m): m is BatchNorm2d => m instanceof BatchNorm2d),
    all.filter((m): m is ConvTranspose2d => m instanceof ConvTranspose2d));
}

function undo(convs: Iterable<Conv2d>, bns: Iterable<BatchNorm2d>, ups: Iterable<ConvTranspose2d>): void {
  for (const c of convs) c.setEvalWeights(null);
  for (const b of bns) b.foldedIntoConv = false;
  for (const u of ups) u.setEvalSubPixel(false);
}
