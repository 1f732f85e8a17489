// What a U-Net needs from a backbone: feature maps from shallow to deep, their channels and how
// much each is downsampled; and which parameter is the first convolution (grey-input adaptation).
import { Module } from '../../nn/module.js';
import { kaimingNormal_ } from '../../nn/init.js';
import { Conv2d, type Linear } from '../../nn/layers.js';
import { F, tidy } from '../../torch/index.js';
import type { Tensor } from '../../torch/tensor.js';

export abstract class Encoder extends Module {
  /** Channels of each map features() returns, shallow to deep. */
  abstract readonly channels: number[];
  /** Downsampling factor of each map relative to the input. */
  abstract readonly reductions: number[];
  /** State-dict key of the first convolution's weight. */
  abstract readonly firstConvKey: string;
  /** State-dict key prefixes of the ImageNet classifier, which a segmentation model leaves out. */
  abstract readonly classifierPrefix: string;

  /**
   * NCHW input to one map per entry of `channels`, shallow to deep, each 1/reductions[i] of the input's
   * size. Like call(), it frees what it makes on the way and returns only the maps.
   */
  features(x: Tensor): Tensor[] { return tidy(() => this.featureMaps(x)); }
  protected abstract featureMaps(x: Tensor): Tensor[];

  /** The stem's map, then each stage run on the previous stage's output (the first on `pooled`). */
  protected stages(stem: Tensor, pooled: Tensor, layers: Module[]): Tensor[] {
    const out = [stem];
    for (const l of layers) out.push(l.call(out[out.length - 1] === stem ? pooled : out[out.length - 1]!));
    return out;
  }

  /** ImageNet classification: global average pool of the deepest map, then the linear head. */
  protected classify(x: Tensor, head: Linear | null): Tensor {
    if (!head) throw new Error(`this ${this.constructor.name} was built without a classifier (numClasses); use features()`);
    return head.call(F.adaptiveAvgPool2d(this.features(x).at(-1)!, 1).flatten(1));
  }
}

/** torchvision's initialisation for ResNets: Kaiming-normal (fan-out, ReLU) convolutions. */
export function initConvs(m: Module): void {
  for (const [, c] of m.namedModules()) if (c instanceof Conv2d) kaimingNormal_(c.weight, 0, 'relu', 'fanOut');
}
