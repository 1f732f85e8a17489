// The plain U-Net of the Keras TGS write-up ("Model 1"): two 3x3 ReLU convolutions per level,
// 2x2 max-pool, dropout 0.25 after the first pool and 0.5 elsewhere, 3x3 stride-2 transposed
// convolutions, skip concatenation and a 1x1 head. Tiles are resized 101 -> 128 on the way in and
// the logits back to 101 on the way out. The head returns logits: the sigmoid lives in the loss
// (BCE with logits) and in prediction, which is the same model, computed stably.
import { F } from '../torch/index.js';
import type { Tensor } from '../torch/tensor.js';
import { Module } from '../nn/module.js';
import { Conv2d, ConvTranspose2d, Dropout, MaxPool2d } from '../nn/layers.js';
import type { InitScheme } from '../nn/init.js';
import { unetForward, type UNetParts } from './unet-skeleton.js';

export interface UNetOptions {
  startNeurons: number;
  /** Side the tile is resized to before the network (the write-up's 128). */
  inputSize: number;
  init: InitScheme;
  inChannels: number;
}

export const UNET_DEFAULTS: UNetOptions = { startNeurons: 16, inputSize: 128, init: 'keras', inChannels: 1 };

class DoubleConv extends Module {
  private readonly a: Conv2d;
  private readonly b: Conv2d;
  constructor(cin: number, c: number, init: InitScheme) {
    super();
    this.a = this.module('conv1', new Conv2d(cin, c, 3, { padding: 'same', init }));
    this.b = this.module('conv2', new Conv2d(c, c, 3, { padding: 'same', init }));
  }
  forward(x: Tensor): Tensor { return this.b.call(this.a.call(x).relu()).relu(); }
}

export class UNet extends Module {
  readonly options: UNetOptions;
  private readonly parts: UNetParts;

  constructor(options: Partial<UNetOptions> = {}) {
    super();
    const o = (this.options = { ...UNET_DEFAULTS, ...options });
    if (o.inputSize % 16 !== 0) throw new Error(`unet needs an input size divisible by 16 (four 2x2 pools), got ${o.inputSize}`);
    const s = o.startNeurons;
    const f = [s, s * 2, s * 4, s * 8];
    this.parts = {
      enc: f.map((c, i) => this.module(`enc${i + 1}`, new DoubleConv(i === 0 ? o.inChannels : f[i - 1]!, c, o.init))),
      middle: this.module('middle', new DoubleConv(s * 8, s * 16, o.init)),
      // 3x3 stride-2 "same" transposed convolutions double the size exactly.
      up: [3, 2, 1, 0].map((l) => this.module(`up${l + 1}`, new ConvTranspose2d(f[l]! * 2, f[l]!, 3, { stride: 2, padding: 1, outputPadding: 1, init: o.init }))),
      dec: [3, 2, 1, 0].map((l) => this.module(`dec${l + 1}`, new DoubleConv(f[l]! * 2, f[l]!, o.init))),
      head: this.module('head', new Conv2d(s, 1, 1, { init: o.init })),
      pool: new MaxPool2d(2),
      firstDrop: this.module('drop_first', new Dropout(0.25)),
      drop: this.module('drop', new Dropout(0.5)),
    };
  }

  forward(x: Tensor): Tensor {
    const [H, W] = [x.size(-2), x.size(-1)];
    const size = this.options.inputSize;
    if (H === size && W === size) return unetForward(x, this.parts);
    const logits = unetForward(F.interpolate(x, { size, mode: 'bilinear' }), this.parts);
    return F.interpolate(logits, { size: [H, W], mode: 'bilinear' });
  }
}
