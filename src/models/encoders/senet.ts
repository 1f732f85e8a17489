// SE-ResNeXt encoders with the module names of Cadene's pretrainedmodels (layer0.conv1/bn1,
// layer1..4 of SEResNeXtBottleneck with se_module.fc1/fc2, last_linear), so its ImageNet
// checkpoints load as is.
import { chain } from '../../nn/chain.js';
import { BatchNorm2d, Conv2d, Linear, Sequential } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { F } from '../../torch/index.js';
import type { Tensor } from '../../torch/tensor.js';
import { Encoder, initConvs } from './encoder.js';
import { downsample, residual, type EncoderOptions } from './resnet.js';

/** Squeeze-and-excitation: channel weights from globally pooled features through a bottleneck. */
export class SEModule extends Module {
  private readonly fc1: Conv2d;
  private readonly fc2: Conv2d;
  constructor(channels: number, reduction: number) {
    super();
    this.fc1 = this.module('fc1', new Conv2d(channels, Math.floor(channels / reduction), 1));
    this.fc2 = this.module('fc2', new Conv2d(Math.floor(channels / reduction), channels, 1));
  }
  forward(x: Tensor): Tensor {
    const w = chain(x, (t) => F.adaptiveAvgPool2d(t, 1), (t) => this.fc1.forward(t), (t) => t.relu(), (t) => this.fc2.forward(t), (t) => t.sigmoid());
    const out = x.mul(w);
    w.dispose();
    return out;
  }
}

/** 1x1 → grouped 3x3 (the stride) → 1x1, SE on the branch, then the shortcut. */
class SEResNeXtBottleneck extends Module {
  static readonly expansion = 4;
  private readonly steps: Module[] = [];
  private readonly se: SEModule;
  private readonly down: Sequential | null;
  constructor(cin: number, planes: number, stride: number, groups: number, baseWidth: number, reduction: number) {
    super();
    const width = Math.floor((planes * baseWidth) / 64) * groups;
    const out = planes * SEResNeXtBottleneck.expansion;
    const convs = [new Conv2d(cin, width, 1, { bias: false }), new Conv2d(width, width, 3, { stride, padding: 1, groups, bias: false }),
      new Conv2d(width, out, 1, { bias: false })];
    convs.forEach((c, i) => this.steps.push(this.module(`conv${i + 1}`, c), this.module(`bn${i + 1}`, new BatchNorm2d(c.outChannels))));
    this.se = this.module('se_module', new SEModule(out, reduction));
    this.down = stride !== 1 || cin !== out ? this.module('downsample', downsample(cin, out, stride)) : null;
  }
  forward(x: Tensor): Tensor {
    const [c1, b1, c2, b2, c3, b3] = this.steps as [Module, Module, Module, Module, Module, Module];
    const b = chain(x, (t) => c1.forward(t), (t) => b1.forward(t), (t) => t.relu(), (t) => c2.forward(t), (t) => b2.forward(t), (t) => t.relu(),
      (t) => c3.forward(t), (t) => b3.forward(t), (t) => this.se.forward(t));
    return residual(b, x, this.down);
  }
}

/** layer0: 7x7 stride-2 conv, BN, ReLU, 3x3 stride-2 max-pool (ceil mode), as pretrainedmodels. */
class Layer0 extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  constructor(cin: number) {
    super();
    this.conv1 = this.module('conv1', new Conv2d(cin, 64, 7, { stride: 2, padding: 3, bias: false }));
    this.bn1 = this.module('bn1', new BatchNorm2d(64));
  }
  forward(x: Tensor): Tensor { return chain(x, (t) => this.conv1.forward(t), (t) => this.bn1.forward(t), (t) => t.relu()); }
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
        blocks.push(new SEResNeXtBottleneck(cin, planes, b === 0 && i > 0 ? 2 : 1, groups, baseWidth, reduction));
        cin = planes * SEResNeXtBottleneck.expansion;
      }
      return this.module(`layer${i + 1}`, new Sequential(...blocks));
    });
    this.lastLinear = o.numClasses ? this.module('last_linear', new Linear(cin, o.numClasses)) : null;
    initConvs(this);
  }

  features(x: Tensor): Tensor[] {
    const stem = this.layer0.forward(x);
    return this.stages(stem, F.maxPool2d(stem, 3, { stride: 2, ceilMode: true }), this.layers);
  }

  forward(x: Tensor): Tensor { return this.classify(x, this.lastLinear); }

}
