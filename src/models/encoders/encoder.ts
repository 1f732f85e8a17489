// What a U-Net needs from a backbone: feature maps from shallow to deep, their channels and how
// much each is downsampled; and which parameter is the first convolution (grey-input adaptation).
import { Module } from '../../nn/module.js';
import { kaimingNormal_ } from '../../nn/init.js';
import { Conv2d, type Linear } from '../../nn/layers.js';
import { chain } from '../../nn/chain.js';
import { F } from '../../torch/index.js';
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
  abstract features(x: Tensor): Tensor[];

  /** The stem's map, then each stage run on the previous stage's output (the first on `pooled`). */
  protected stages(stem: Tensor, pooled: Tensor, layers: Module[]): Tensor[] {
    const out = [stem];
    for (const l of layers) out.push(l.forward(out[out.length - 1] === stem ? pooled : out[out.length - 1]!));
    if (pooled !== stem) pooled.dispose();
    return out;
  }

  /** ImageNet classification: global average pool of the deepest map, then the linear head. */
  protected classify(x: Tensor, head: Linear | null): Tensor {
    if (!head) throw new Error(`this ${this.constructor.name} was built without a classifier (numClasses); use features()`);
    const f = this.features(x);
    const last = f.pop()!;
    f.forEach((t) => t.dispose());
    return chain(last, (t) => F.adaptiveAvgPool2d(t, 1), (t) => t.flatten(1), (t) => head.forward(t));
  }
}

/** torchvision's initialisation for ResNets: Kaiming-normal (fan-out, ReLU) convolutions. */
export function initConvs(m: Module): void {
  for (const [, c] of m.namedModules()) if (c instanceof Conv2d) kaimingNormal_(c.weight, 0, 'relu', 'fanOut');
}
