// SE-ResNeXt encoders with the module names of Cadene's pretrainedmodels (layer0.conv1/bn1,
// layer1..4 of grouped SE bottlenecks with se_module.fc1/fc2, last_linear), so its ImageNet
// checkpoints load as is.
import { BatchNorm2d, Conv2d, Linear, Sequential } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { F } from '../../torch/index.js';
import type { Tensor } from '../../torch/tensor.js';
import { Encoder, initConvs } from './encoder.js';
import { Bottleneck } from './blocks.js';
import type { EncoderOptions } from './resnet.js';

/** layer0: 7x7 stride-2 conv, BN, ReLU, 3x3 stride-2 max-pool (ceil mode), as pretrainedmodels. */
class Layer0 extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  constructor(cin: number) {
    super();
    this.conv1 = this.module('conv1', new Conv2d(cin, 64, 7, { stride: 2, padding: 3, bias: false }));
    this.bn1 = this.module('bn1', new BatchNorm2d(64));
  }
  forward(x: Tensor): Tensor { return this.bn1.call(this.conv1.call(x)).relu(); }
}

export class SEResNeXt extends Encoder {
  readonly channels = [64, 256, 512, 1024, 2048];
  readonly reductions = [2, 4, 8, 16, 32];
  readonly firstConvKey = 'layer0.conv1.weight';
  readonly classifierPrefix = 'last_linear.';
  private readonly layer0: Layer0;
  private readonly layers: Sequential[];
  private readonly lastLinear: Linear | null;

  constructor(layers: [number, number, number, number], o: EncoderOptions = {}) {
    super();
    const groups = 32, baseWidth = 4, reduction = 16;
    this.layer0 = this.module('layer0', new Layer0(o.inChannels ?? 3));
    let cin = 64;
    this.layers = layers.map((n, i) => {
      const planes = 64 * 2 ** i;
      const blocks: Module[] = [];
      for (let b = 0; b < n; b++) {
        blocks.push(new Bottleneck(cin, planes, b === 0 && i > 0 ? 2 : 1, { groups, baseWidth, seReduction: reduction }));
        cin = planes * Bottleneck.expansion;
      }
      return this.module(`layer${i + 1}`, new Sequential(...blocks));
    });
    this.lastLinear = o.numClasses ? this.module('last_linear', new Linear(cin, o.numClasses)) : null;
    initConvs(this);
  }

  protected featureMaps(x: Tensor): Tensor[] {
    const stem = this.layer0.call(x);
    return this.stages(stem, F.maxPool2d(stem, 3, { stride: 2, ceilMode: true }), this.layers);
  }

  forward(x: Tensor): Tensor { return this.classify(x, this.lastLinear); }

}
