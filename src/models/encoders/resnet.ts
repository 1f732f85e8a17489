// ResNets with torchvision's module names and shapes (conv1, bn1, layer1..4, fc; blocks with
// conv/bn pairs and downsample.0/1), so a torchvision state dict loads as is. The winners' variant
// swaps the 7x7 stride-2 stem for a 3x3 stride-1 one and drops the max-pool, keeping detail on 101px tiles.
import { BatchNorm2d, Conv2d, Linear, Sequential } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { F } from '../../torch/index.js';
import type { Tensor } from '../../torch/tensor.js';
import { Bottleneck, downsample, residual } from './blocks.js';
import { Encoder, initConvs } from './encoder.js';

class BasicBlock extends Module {
  static readonly expansion = 1;
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly down: Sequential | null;
  constructor(cin: number, planes: number, stride: number) {
    super();
    this.conv1 = this.module('conv1', new Conv2d(cin, planes, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.module('bn1', new BatchNorm2d(planes));
    this.conv2 = this.module('conv2', new Conv2d(planes, planes, 3, { padding: 1, bias: false }));
    this.bn2 = this.module('bn2', new BatchNorm2d(planes));
    this.down = stride !== 1 || cin !== planes ? this.module('downsample', downsample(cin, planes, stride)) : null;
  }
  forward(x: Tensor): Tensor {
    return residual(this.bn2.call(this.conv2.call(this.bn1.call(this.conv1.call(x)).relu())), x, this.down);
  }
}

export interface ResNetSpec {
  block: 'basic' | 'bottleneck';
  layers: [number, number, number, number];
  /** '7x7': torchvision's stem (7x7 stride 2, then 3x3 stride-2 max-pool); '3x3': 3x3 stride 1, no pool. */
  stem?: '7x7' | '3x3';
}

export interface EncoderOptions {
  inChannels?: number;
  /** With a number, the ImageNet head (avgpool + fc) is built and forward() classifies. */
  numClasses?: number | null;
}

export class ResNet extends Encoder {
  readonly channels: number[];
  readonly reductions: number[];
  readonly firstConvKey = 'conv1.weight';
  readonly classifierPrefix = 'fc.';
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly layers: Sequential[];
  private readonly fc: Linear | null;
  private readonly pool: boolean;

  constructor(spec: ResNetSpec, o: EncoderOptions = {}) {
    super();
    const seven = (spec.stem ?? '7x7') === '7x7';
    this.pool = seven;
    this.conv1 = this.module('conv1', seven
      ? new Conv2d(o.inChannels ?? 3, 64, 7, { stride: 2, padding: 3, bias: false })
      : new Conv2d(o.inChannels ?? 3, 64, 3, { stride: 1, padding: 1, bias: false }));
    this.bn1 = this.module('bn1', new BatchNorm2d(64));
    const exp = spec.block === 'basic' ? BasicBlock.expansion : Bottleneck.expansion;
    let cin = 64;
    this.layers = spec.layers.map((n, i) => {
      const planes = 64 * 2 ** i;
      const blocks: Module[] = [];
      for (let b = 0; b < n; b++) {
        const stride = b === 0 && i > 0 ? 2 : 1;
        blocks.push(spec.block === 'basic' ? new BasicBlock(cin, planes, stride) : new Bottleneck(cin, planes, stride));
        cin = planes * exp;
      }
      return this.module(`layer${i + 1}`, new Sequential(...blocks));
    });
    this.fc = o.numClasses ? this.module('fc', new Linear(cin, o.numClasses)) : null;
    this.channels = [64, ...[0, 1, 2, 3].map((i) => 64 * 2 ** i * exp)];
    const r0 = seven ? 2 : 1, r1 = seven ? 4 : 1;
    this.reductions = [r0, r1, r1 * 2, r1 * 4, r1 * 8];
    initConvs(this);
  }

  /** Stem (after ReLU) and the four stages' outputs. */
  protected featureMaps(x: Tensor): Tensor[] {
    const stem = this.bn1.call(this.conv1.call(x)).relu();
    return this.stages(stem, this.pool ? F.maxPool2d(stem, 3, { stride: 2, padding: 1 }) : stem, this.layers);
  }

  /** ImageNet classification (needs numClasses). */
  forward(x: Tensor): Tensor { return this.classify(x, this.fc); }

}
