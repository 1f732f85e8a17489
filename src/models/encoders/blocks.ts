// The residual blocks the encoders share: the 1x1 shortcut, the residual sum, squeeze-excitation,
// and the bottleneck of torchvision's ResNet-50 (v1.5: the stride on the 3x3 conv), which with
// groups, a base width and SE is pretrainedmodels' SEResNeXtBottleneck.
import { BatchNorm2d, Conv2d, Sequential } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { F } from '../../torch/index.js';
import type { Tensor } from '../../torch/tensor.js';

/** The shortcut when shape changes: 1x1 conv (stride) + BN, named downsample.0 / downsample.1. */
export function downsample(cin: number, cout: number, stride: number): Sequential {
  return new Sequential(new Conv2d(cin, cout, 1, { stride, bias: false }), new BatchNorm2d(cout));
}

/** Adds the shortcut (x, or down(x) when the shape changes) to the branch and applies ReLU. */
export function residual(branch: Tensor, x: Tensor, down: Module | null): Tensor {
  return branch.add(down ? down.call(x) : x).relu();
}

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
    return x.mul(this.fc2.call(this.fc1.call(F.adaptiveAvgPool2d(x, 1)).relu()).sigmoid());
  }
}

export interface BottleneckOptions {
  groups?: number;
  /** Channels per group of the 3x3 conv at 64 planes: 64 for ResNet, 4 for ResNeXt 32x4d. */
  baseWidth?: number;
  /** With a number, squeeze-excitation (this reduction) on the branch before the sum. */
  seReduction?: number;
}

/** 1x1 → 3x3 (the stride, optionally grouped) → 1x1, optional SE, then the shortcut. */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  private readonly steps: Module[] = [];
  private readonly se: SEModule | null;
  private readonly down: Sequential | null;
  constructor(cin: number, planes: number, stride: number, o: BottleneckOptions = {}) {
    super();
    const groups = o.groups ?? 1;
    const width = Math.floor((planes * (o.baseWidth ?? 64)) / 64) * groups;
    const out = planes * Bottleneck.expansion;
    // Registered in torchvision's and pretrainedmodels' order: conv1, bn1, conv2, bn2, conv3, bn3, se_module, downsample.
    const convs = [new Conv2d(cin, width, 1, { bias: false }), new Conv2d(width, width, 3, { stride, padding: 1, groups, bias: false }),
      new Conv2d(width, out, 1, { bias: false })];
    convs.forEach((c, i) => this.steps.push(this.module(`conv${i + 1}`, c), this.module(`bn${i + 1}`, new BatchNorm2d(c.outChannels))));
    this.se = o.seReduction ? this.module('se_module', new SEModule(out, o.seReduction)) : null;
    this.down = stride !== 1 || cin !== out ? this.module('downsample', downsample(cin, out, stride)) : null;
  }
  forward(x: Tensor): Tensor {
    const [c1, b1, c2, b2, c3, b3] = this.steps as [Module, Module, Module, Module, Module, Module];
    const b = b3.call(c3.call(b2.call(c2.call(b1.call(c1.call(x)).relu())).relu()));
    return residual(this.se ? this.se.call(b) : b, x, this.down);
  }
}
