// Layers with PyTorch's parameter names and shapes, so state dicts interchange with torch.
import { empty, ones, zeros } from '../torch/creation.js';
import * as F from '../torch/functional.js';
import { pair, type Pair } from '../torch/functional.js';
import { noGrad } from '../torch/autograd.js';
import type { Tensor } from '../torch/tensor.js';
import { initLayer, type InitScheme } from './init.js';
import { Module, sameShape, type AnyModule } from './module.js';
import { subPixelConvTranspose, subPixelWeights, type SubPixelWeights } from './subpixel.js';
import { keep } from '../torch/scope.js';
import { syncBatchNorm } from '../distributed/sync-batchnorm.js';
import type { ProcessGroup } from '../distributed/process-group.js';

/** 'same' keeps the size at stride 1 (odd kernels); 'valid' pads nothing; numbers pad explicitly. */
export type Padding = Pair | 'same' | 'valid';

function resolvePadding(p: Padding, kernel: [number, number], dilation: [number, number]): [number, number] {
  if (p === 'valid') return [0, 0];
  if (p === 'same') {
    if (kernel[0] % 2 === 0 || kernel[1] % 2 === 0) throw new Error(`'same' padding needs an odd kernel, got [${kernel}]`);
    return [((kernel[0] - 1) / 2) * dilation[0], ((kernel[1] - 1) / 2) * dilation[1]];
  }
  return pair(p);
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Padding;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  init?: InitScheme;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernel: Pair, o: Conv2dOptions = {}) {
    super();
    const k = pair(kernel);
    this.groups = o.groups ?? 1;
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new Error(`Conv2d: ${inChannels} in and ${outChannels} out channels must both divide by groups=${this.groups}`);
    }
    this.stride = pair(o.stride ?? 1);
    this.dilation = pair(o.dilation ?? 1);
    this.padding = resolvePadding(o.padding ?? 0, k, this.dilation);
    this.weight = this.param('weight', empty([outChannels, inChannels / this.groups, k[0], k[1]]));
    this.bias = o.bias === false ? null : this.param('bias', empty([outChannels]));
    initLayer(this.weight, this.bias, o.init ?? 'pytorch');
  }

  /** Weights and bias used in eval mode instead of the parameters (a BatchNorm folded in, src/infer/fuse.ts). */
  private evalWeights: { weight: Tensor; bias: Tensor | null } | null = null;

  /**
   * Runs eval-mode forwards with `weight` (the parameter's shape, any memory format) and `bias` (C_out,
   * or null for none) instead of the parameters, which stay as they are (state dicts and training are
   * unaffected); null goes back to the parameters. The module owns and disposes the tensors it is
   * given, unless one is the parameter itself.
   * @throws Error when weight's shape is not the parameter's, or bias is not C_out.
   */
  setEvalWeights(w: { weight: Tensor; bias: Tensor | null } | null): void {
    if (w && (!sameShape(w.weight.shape, this.weight.shape) || (w.bias !== null && !sameShape(w.bias.shape, [this.outChannels])))) {
      throw new Error(`Conv2d.setEvalWeights: expected [${this.weight.shape}] and [${this.outChannels}], got [${w.weight.shape}] and [${w.bias?.shape ?? 'none'}]`);
    }
    const own = (t: Tensor | null) => t !== null && t !== this.weight && t !== this.bias;
    if (this.evalWeights) for (const t of [this.evalWeights.weight, this.evalWeights.bias]) if (own(t)) t!.dispose();
    if (w) for (const t of [w.weight, w.bias]) if (own(t)) keep(t!);
    this.evalWeights = w;
  }

  forward(x: Tensor): Tensor {
    const o = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
    if (this.evalWeights && !this.training) return F.conv2d(x, this.evalWeights.weight, this.evalWeights.bias, o);
    return F.conv2d(x, this.weight, this.bias, o);
  }

  protected override releaseHeld(): void {
    this.setEvalWeights(null);
  }
}

export interface ConvTranspose2dOptions extends Omit<Conv2dOptions, 'padding'> {
  padding?: Pair;
  outputPadding?: Pair;
}

export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  private readonly o: { stride: [number, number]; padding: [number, number]; outputPadding: [number, number]; dilation: [number, number]; groups: number };

  constructor(readonly inChannels: number, readonly outChannels: number, kernel: Pair, o: ConvTranspose2dOptions = {}) {
    super();
    const k = pair(kernel);
    const groups = o.groups ?? 1;
    this.o = {
      stride: pair(o.stride ?? 1),
      padding: pair(o.padding ?? 0),
      outputPadding: pair(o.outputPadding ?? 0),
      dilation: pair(o.dilation ?? 1),
      groups,
    };
    // PyTorch's layout for transposed kernels: [in, out / groups, kH, kW].
    this.weight = this.param('weight', empty([inChannels, outChannels / groups, k[0], k[1]]));
    this.bias = o.bias === false ? null : this.param('bias', empty([outChannels]));
    initLayer(this.weight, this.bias, o.init ?? 'pytorch');
  }

  /** The sub-pixel form run in eval mode instead (src/nn/subpixel.ts; src/infer/fuse.ts sets it), or null. */
  private subPixel: SubPixelWeights | null = null;

  /** Whether this layer has a sub-pixel form: groups 1, dilation 1, the same stride (> 1) both ways. */
  get hasSubPixelForm(): boolean {
    const o = this.o;
    return o.groups === 1 && o.dilation[0] === 1 && o.dilation[1] === 1 && o.stride[0] === o.stride[1] && o.stride[0] > 1;
  }

  /**
   * With on, eval-mode forwards run as one conv2d and a pixel shuffle (src/nn/subpixel.ts), from weights
   * computed now from the current parameters (set again after loading other weights), in channels-last
   * layout when channelsLast; off goes back to conv_transpose2d. Training and the state dict are unaffected.
   * @throws Error when on and the layer has no sub-pixel form (hasSubPixelForm).
   */
  setEvalSubPixel(on: boolean, channelsLast = false): void {
    if (on && !this.hasSubPixelForm) throw new Error(`ConvTranspose2d.setEvalSubPixel: needs groups 1, dilation 1 and one stride > 1, got ${JSON.stringify(this.o)}`);
    if (this.subPixel) { this.subPixel.weight.dispose(); this.subPixel.bias?.dispose(); this.subPixel = null; }
    if (!on) return;
    const w = subPixelWeights(this.weight, this.bias, this.o.stride[0]);
    if (channelsLast) { const cl = keep(w.weight.contiguous('channelsLast')); w.weight.dispose(); w.weight = cl; }
    this.subPixel = w;
  }

  forward(x: Tensor): Tensor {
    if (this.subPixel && !this.training) {
      const k = this.weight.shape;
      return subPixelConvTranspose(x, this.subPixel, { stride: this.o.stride[0], padding: this.o.padding, outputPadding: this.o.outputPadding, kernel: [k[2]!, k[3]!] });
    }
    return F.convTranspose2d(x, this.weight, this.bias, this.o);
  }

  protected override releaseHeld(): void {
    this.setEvalSubPixel(false);
  }
}

export interface BatchNormOptions {
  eps?: number;
  /** PyTorch convention (weight of the new batch statistic); Keras' momentum m is 1 - m here. */
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

export class BatchNorm2d extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number;

  constructor(readonly numFeatures: number, o: BatchNormOptions = {}) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum ?? 0.1;
    const affine = o.affine ?? true;
    this.weight = affine ? this.param('weight', ones([numFeatures])) : null;
    this.bias = affine ? this.param('bias', zeros([numFeatures])) : null;
    const track = o.trackRunningStats ?? true;
    this.runningMean = track ? this.buffer('running_mean', zeros([numFeatures])) : null;
    this.runningVar = track ? this.buffer('running_var', ones([numFeatures])) : null;
    this.numBatchesTracked = track ? this.buffer('num_batches_tracked', zeros([], { dtype: 'int64' })) : null;
  }

  /**
   * Set when the convolution before this layer holds it folded into its eval weights
   * (Conv2d.setEvalWeights): in eval mode forward() then passes its input through.
   */
  foldedIntoConv = false;

  /**
   * SyncBatchNorm (torch.nn.SyncBatchNorm): while training, batch statistics over the whole batch of
   * every rank of this group (see distributed/sync-batchnorm.ts), set by convertSyncBatchNorm. Null,
   * or a group of one, is plain per-process BatchNorm; eval mode is unchanged either way.
   */
  syncGroup: ProcessGroup | null = null;

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d expects NCHW input, got shape [${x.shape}]`);
    // A new handle on the same values (as Identity): callers may dispose the input once they have the output.
    if (this.foldedIntoConv && !this.training) return x.view(x.shape);
    const useBatchStats = this.training || this.runningMean === null;
    if (this.training && this.numBatchesTracked) noGrad(() => this.numBatchesTracked!.add_(1));
    if (this.training && this.syncGroup && this.syncGroup.worldSize > 1) {
      return syncBatchNorm(x, this.runningMean, this.runningVar, this.syncGroup, { weight: this.weight, bias: this.bias, momentum: this.momentum, eps: this.eps });
    }
    return F.batchNorm(x, this.runningMean, this.runningVar, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, o: { bias?: boolean; init?: InitScheme } = {}) {
    super();
    this.weight = this.param('weight', empty([outFeatures, inFeatures]));
    this.bias = o.bias === false ? null : this.param('bias', empty([outFeatures]));
    initLayer(this.weight, this.bias, o.init ?? 'pytorch');
  }
  forward(x: Tensor): Tensor { return F.linear(x, this.weight, this.bias); }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) { super(); }
  forward(x: Tensor): Tensor { return F.dropout(x, this.p, this.training); }
}

/** Zeroes whole feature maps (spatial dropout). */
export class Dropout2d extends Module {
  constructor(readonly p = 0.5) { super(); }
  forward(x: Tensor): Tensor { return F.dropout2d(x, this.p, this.training); }
}

export class MaxPool2d extends Module {
  constructor(readonly kernel: Pair, readonly o: F.PoolOptions & { dilation?: Pair } = {}) { super(); }
  forward(x: Tensor): Tensor { return F.maxPool2d(x, this.kernel, this.o); }
}

export class AvgPool2d extends Module {
  constructor(readonly kernel: Pair, readonly o: F.PoolOptions & { countIncludePad?: boolean } = {}) { super(); }
  forward(x: Tensor): Tensor { return F.avgPool2d(x, this.kernel, this.o); }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly size: Pair) { super(); }
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool2d(x, this.size); }
}

export class ReLU extends Module { forward(x: Tensor): Tensor { return x.relu(); } }
export class Sigmoid extends Module { forward(x: Tensor): Tensor { return x.sigmoid(); } }
export class Tanh extends Module { forward(x: Tensor): Tensor { return x.tanh(); } }
export class Identity extends Module { forward(x: Tensor): Tensor { return x.view(x.shape); } }
export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return x.elu(this.alpha); }
}
export class LeakyReLU extends Module {
  constructor(readonly slope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return x.leakyRelu(this.slope); }
}
export class Flatten extends Module {
  constructor(readonly start = 1, readonly end = -1) { super(); }
  forward(x: Tensor): Tensor { return x.flatten(this.start, this.end); }
}

/** Runs its children in order; they are named "0", "1", ... as in torch.nn.Sequential. */
export class Sequential extends Module {
  private readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers.map((m, i) => this.module(String(i), m));
  }
  get length(): number { return this.layers.length; }
  at(i: number): Module {
    const m = this.layers[i];
    if (!m) throw new RangeError(`Sequential has ${this.layers.length} layers, no index ${i}`);
    return m;
  }
  forward(x: Tensor): Tensor {
    // Dropping our handle on an intermediate is safe: autograd holds its own references.
    let out = x;
    for (const l of this.layers) {
      const next = l.call(out);
      if (out !== x) out.dispose();
      out = next;
    }
    return out;
  }
}

/**
 * Makes every BatchNorm2d of `model` a SyncBatchNorm over `group` (torch.nn.SyncBatchNorm.
 * convert_sync_batchnorm), or plain BatchNorm again with null. The layers stay where they are, with
 * their parameters and buffers, so state dicts and checkpoints keep their names and stay
 * interchangeable with unsynchronised runs. With a group of one process it changes nothing: the
 * global batch is this process's batch.
 * @returns how many layers were set.
 */
export function convertSyncBatchNorm(model: AnyModule, group: ProcessGroup | null): number {
  let n = 0;
  for (const [, m] of model.namedModules()) {
    if (m instanceof BatchNorm2d) {
      m.syncGroup = group;
      n++;
    }
  }
  return n;
}
