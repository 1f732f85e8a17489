// Building blocks of the top TGS decoders: conv-BN-ReLU, concurrent spatial and channel
// squeeze-excitation (scSE, Roy et al. 2018) and Feature Pyramid Attention (FPA, Li et al. 2018).
import { BatchNorm2d, Conv2d } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { F } from '../torch/index.js';
import type { Tensor } from '../torch/tensor.js';

export class ConvBnRelu extends Module {
  private readonly conv: Conv2d;
  private readonly bn: BatchNorm2d;
  constructor(cin: number, cout: number, kernel = 3, stride = 1) {
    super();
    this.conv = this.module('conv', new Conv2d(cin, cout, kernel, { stride, padding: (kernel - 1) / 2, bias: false }));
    this.bn = this.module('bn', new BatchNorm2d(cout));
  }
  forward(x: Tensor): Tensor { return this.bn.call(this.conv.call(x)).relu(); }
}

/** x·cSE(x) + x·sSE(x): channel gates from pooled features, plus a per-pixel gate from a 1x1 conv. */
export class SCSE extends Module {
  private readonly fc1: Conv2d;
  private readonly fc2: Conv2d;
  private readonly spatial: Conv2d;
  constructor(channels: number, reduction = 16) {
    super();
    const mid = Math.max(1, Math.floor(channels / reduction));
    this.fc1 = this.module('cse_fc1', new Conv2d(channels, mid, 1));
    this.fc2 = this.module('cse_fc2', new Conv2d(mid, channels, 1));
    this.spatial = this.module('sse', new Conv2d(channels, 1, 1));
  }
  forward(x: Tensor): Tensor {
    const c = this.fc2.call(this.fc1.call(F.adaptiveAvgPool2d(x, 1)).relu()).sigmoid();
    const s = this.spatial.call(x).sigmoid();
    return x.mul(c.add(s)); // broadcast [N,C,1,1] + [N,1,H,W]; x·c + x·s = x·(c + s)
  }
}

/** Resizes a to b's spatial size (bilinear) unless it already has it. */
function upTo(a: Tensor, size: [number, number]): Tensor {
  return a.size(-2) === size[0] && a.size(-1) === size[1] ? a.view(a.shape) : F.interpolate(a, { size, mode: 'bilinear', alignCorners: false });
}

/**
 * Feature Pyramid Attention: a 7-5-3 pyramid of one-channel maps, each at half the previous size,
 * merged top-down into a pixel attention on a 1x1 projection of the input, plus a global-pool branch.
 * Max-pools use ceil mode so it also runs on the 4x4 maps of a /32 encoder at 128 px.
 */
export class FPA extends Module {
  private readonly glob: Conv2d;
  private readonly mid: ConvBnRelu;
  private readonly down1: ConvBnRelu;
  private readonly down2: ConvBnRelu;
  private readonly down3a: ConvBnRelu;
  private readonly down3b: ConvBnRelu;
  private readonly conv2: ConvBnRelu;
  private readonly conv1: ConvBnRelu;
  constructor(cin: number, cout: number) {
    super();
    this.glob = this.module('glob', new Conv2d(cin, cout, 1, { bias: false }));
    this.mid = this.module('mid', new ConvBnRelu(cin, cout, 1));
    this.down1 = this.module('down1', new ConvBnRelu(cin, 1, 7));
    this.down2 = this.module('down2', new ConvBnRelu(1, 1, 5));
    this.down3a = this.module('down3a', new ConvBnRelu(1, 1, 3));
    this.down3b = this.module('down3b', new ConvBnRelu(1, 1, 3));
    this.conv2 = this.module('conv2', new ConvBnRelu(1, 1, 5));
    this.conv1 = this.module('conv1', new ConvBnRelu(1, 1, 7));
  }
  forward(x: Tensor): Tensor {
    const size = (t: Tensor): [number, number] => [t.size(-2), t.size(-1)];
    const pool = (t: Tensor) => F.maxPool2d(t, 2, { ceilMode: true });
    const d1 = this.down1.call(pool(x));
    const d2 = this.down2.call(pool(d1));
    const d3 = this.down3b.call(this.down3a.call(pool(d2)));
    const c2 = this.conv2.call(d2);
    const c1 = this.conv1.call(d1);
    const s3 = upTo(d3, size(d2)).add(c2);
    const s2 = upTo(s3, size(d1)).add(c1);
    const att = upTo(s2, size(x));
    const g = this.glob.call(F.adaptiveAvgPool2d(x, 1));
    return this.mid.call(x).mul(att).add(g);
  }
}
