// Network ops with torch.nn.functional's names, defaults and semantics.
import { native } from './native.js';
import { Tensor, wrap } from './tensor.js';

export type Pair = number | [number, number];
export const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export interface ConvOptions { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number }
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, o: ConvOptions = {}): Tensor {
  return wrap(native.conv2d(x.handle, weight.handle, bias?.handle ?? null, pair(o.stride ?? 1), pair(o.padding ?? 0),
    pair(o.dilation ?? 1), o.groups ?? 1));
}

export interface ConvTransposeOptions extends ConvOptions { outputPadding?: Pair }
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, o: ConvTransposeOptions = {}): Tensor {
  return wrap(native.convTranspose2d(x.handle, weight.handle, bias?.handle ?? null, pair(o.stride ?? 1), pair(o.padding ?? 0),
    pair(o.outputPadding ?? 0), o.groups ?? 1, pair(o.dilation ?? 1)));
}

export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return wrap(native.linear(x.handle, weight.handle, bias?.handle ?? null));
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  /** PyTorch's convention: running = (1 - momentum) * running + momentum * batch. Keras' 0.99 is 0.01 here. */
  momentum?: number;
  eps?: number;
}
/** Batch normalisation; in training mode it updates runningMean/runningVar in place. */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, o: BatchNormOptions = {}): Tensor {
  return wrap(native.batchNorm(x.handle, o.weight?.handle ?? null, o.bias?.handle ?? null, runningMean?.handle ?? null,
    runningVar?.handle ?? null, o.training ?? false, o.momentum ?? 0.1, o.eps ?? 1e-5));
}

export interface PoolOptions { stride?: Pair; padding?: Pair; ceilMode?: boolean }
export function maxPool2d(x: Tensor, kernel: Pair, o: PoolOptions & { dilation?: Pair } = {}): Tensor {
  return wrap(native.maxPool2d(x.handle, pair(kernel), pair(o.stride ?? kernel), pair(o.padding ?? 0), pair(o.dilation ?? 1),
    o.ceilMode ?? false));
}
export function avgPool2d(x: Tensor, kernel: Pair, o: PoolOptions & { countIncludePad?: boolean } = {}): Tensor {
  return wrap(native.avgPool2d(x.handle, pair(kernel), pair(o.stride ?? kernel), pair(o.padding ?? 0), o.ceilMode ?? false,
    o.countIncludePad ?? true));
}
export function adaptiveAvgPool2d(x: Tensor, size: Pair): Tensor { return wrap(native.adaptiveAvgPool2d(x.handle, pair(size))); }
export function adaptiveMaxPool2d(x: Tensor, size: Pair): Tensor { return wrap(native.adaptiveMaxPool2d(x.handle, pair(size))); }

export interface InterpolateOptions {
  size?: Pair;
  scaleFactor?: number;
  mode?: 'nearest' | 'bilinear';
  alignCorners?: boolean;
}
/** Resizes the last two dims of an NCHW tensor to `size`, or by `scaleFactor` (floored, as PyTorch). */
export function interpolate(x: Tensor, o: InterpolateOptions): Tensor {
  const [H, W] = [x.size(-2), x.size(-1)];
  let size: [number, number];
  if (o.size !== undefined) size = pair(o.size);
  else if (o.scaleFactor !== undefined) size = [Math.floor(H * o.scaleFactor), Math.floor(W * o.scaleFactor)];
  else throw new TypeError('interpolate: give size or scaleFactor');
  const mode = o.mode ?? 'nearest';
  return wrap(native.interpolate(x.handle, size, mode, o.alignCorners ?? false));
}

/** Sampling grids for a batch of 2x3 affine matrices, as torch.nn.functional.affine_grid. */
export function affineGrid(theta: Tensor, size: number[], alignCorners = false): Tensor {
  return wrap(native.affineGrid(theta.handle, size, alignCorners));
}
export interface GridSampleOptions {
  mode?: 'bilinear' | 'nearest' | 'bicubic';
  paddingMode?: 'zeros' | 'border' | 'reflection';
  alignCorners?: boolean;
}
/** Samples x at grid locations in [-1, 1], as torch.nn.functional.grid_sample. */
export function gridSample(x: Tensor, grid: Tensor, o: GridSampleOptions = {}): Tensor {
  return wrap(native.gridSample(x.handle, grid.handle, o.mode ?? 'bilinear', o.paddingMode ?? 'zeros', o.alignCorners ?? false));
}

export type PadMode = 'constant' | 'reflect' | 'replicate';
/** Pads trailing dims; `pads` lists (left, right) for the last dim first, as torch.nn.functional.pad. */
export function pad(x: Tensor, pads: number[], mode: PadMode = 'constant', value = 0): Tensor {
  return wrap(native.pad(x.handle, pads, mode, value));
}

export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkP(p);
  return wrap(native.dropout(x.handle, p, training));
}
/** Zeroes whole channels of an NCHW tensor with probability p. */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  checkP(p);
  return wrap(native.dropout2d(x.handle, p, training));
}
function checkP(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability must be in [0, 1], got ${p}`);
}

export type Reduction = 'mean' | 'sum' | 'none';
export interface BCEOptions { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction }
/** Binary cross-entropy on logits, computed stably by libtorch. */
export function bceWithLogits(logits: Tensor, target: Tensor, o: BCEOptions = {}): Tensor {
  return wrap(native.bceWithLogits(logits.handle, target.handle, o.weight?.handle ?? null, o.posWeight?.handle ?? null,
    o.reduction ?? 'mean'));
}
export function mseLoss(x: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return wrap(native.mseLoss(x.handle, target.handle, reduction));
}

export const relu = (x: Tensor): Tensor => x.relu();
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const elu = (x: Tensor, alpha = 1): Tensor => x.elu(alpha);
export const softmax = (x: Tensor, dim: number): Tensor => x.softmax(dim);
