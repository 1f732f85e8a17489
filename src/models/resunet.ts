// The residual U-Net of the Keras TGS write-up ("Model 2"): native 101x101 input, a 3x3 conv and
// two residual blocks per level, dropout ratio/2 after the first pool and ratio elsewhere, and
// transposed convolutions "same" for 6->12 and 25->50, "valid" for 12->25 and 50->101.
import type { Tensor } from '../torch/tensor.js';
import { Module } from '../nn/module.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, MaxPool2d } from '../nn/layers.js';
import type { InitScheme } from '../nn/init.js';
import { SCSE } from './blocks.js';
import { unetForward, type UNetParts } from './unet-skeleton.js';

export interface ResUNetOptions {
  startFilters: number;
  dropout: number;
  /** Keras' defaults reproduce the write-up: Glorot kernels, BN momentum 0.99 (0.01 here), eps 1e-3. */
  init: InitScheme;
  bnMomentum: number;
  bnEps: number;
  inChannels: number;
  /** scSE (Roy et al. 2018) on every level's output, encoder, middle and decoder, as the TGS winners' decoders. */
  scse: boolean;
}

export const RESUNET_DEFAULTS: ResUNetOptions = {
  startFilters: 16, dropout: 0.5, init: 'keras', bnMomentum: 0.01, bnEps: 1e-3, inChannels: 1, scse: false,
};

/** BatchNorm then ReLU: the write-up's BatchActivate. */
class BatchActivate extends Module {
  private readonly bn: BatchNorm2d;
  constructor(f: number, o: ResUNetOptions) {
    super();
    this.bn = this.module('bn', new BatchNorm2d(f, { momentum: o.bnMomentum, eps: o.bnEps }));
  }
  forward(x: Tensor): Tensor { return this.bn.call(x).relu(); }
}

/** BN-ReLU-conv-BN-ReLU-conv plus the input, optionally followed by BN-ReLU. */
class ResidualBlock extends Module {
  private readonly act1: BatchActivate;
  private readonly conv1: Conv2d;
  private readonly act2: BatchActivate;
  private readonly conv2: Conv2d;
  private readonly actOut: BatchActivate | null;
  constructor(f: number, batchActivate: boolean, o: ResUNetOptions) {
    super();
    this.act1 = this.module('act1', new BatchActivate(f, o));
    this.conv1 = this.module('conv1', new Conv2d(f, f, 3, { padding: 'same', init: o.init }));
    this.act2 = this.module('act2', new BatchActivate(f, o));
    this.conv2 = this.module('conv2', new Conv2d(f, f, 3, { padding: 'same', init: o.init }));
    this.actOut = batchActivate ? this.module('act_out', new BatchActivate(f, o)) : null;
  }
  forward(x: Tensor): Tensor {
    const sum = this.conv2.call(this.act2.call(this.conv1.call(this.act1.call(x)))).add(x);
    return this.actOut ? this.actOut.call(sum) : sum;
  }
}

/** A 3x3 conv to f channels, then two residual blocks (the second ends in BN-ReLU), then scSE if asked. */
class Level extends Module {
  private readonly conv: Conv2d;
  private readonly res1: ResidualBlock;
  private readonly res2: ResidualBlock;
  private readonly scse: SCSE | null;
  constructor(cin: number, f: number, o: ResUNetOptions) {
    super();
    this.conv = this.module('conv', new Conv2d(cin, f, 3, { padding: 'same', init: o.init }));
    this.res1 = this.module('res1', new ResidualBlock(f, false, o));
    this.res2 = this.module('res2', new ResidualBlock(f, true, o));
    this.scse = o.scse ? this.module('scse', new SCSE(f)) : null;
  }
  forward(x: Tensor): Tensor {
    const y = this.res2.call(this.res1.call(this.conv.call(x)));
    return this.scse ? this.scse.call(y) : y;
  }
}

export class ResUNet extends Module {
  readonly options: ResUNetOptions;
  private readonly parts: UNetParts;

  constructor(options: Partial<ResUNetOptions> = {}) {
    super();
    const o = (this.options = { ...RESUNET_DEFAULTS, ...options });
    const s = o.startFilters;
    const f = [s, s * 2, s * 4, s * 8];
    // Decoder from deep to shallow: 6->12 "same", 12->25 "valid", 25->50 "same", 50->101 "valid".
    const same = [true, false, true, false];
    this.parts = {
      enc: f.map((c, i) => this.module(`enc${i + 1}`, new Level(i === 0 ? o.inChannels : f[i - 1]!, c, o))),
      middle: this.module('middle', new Level(s * 8, s * 16, o)),
      up: [3, 2, 1, 0].map((lvl, k) =>
        this.module(`up${lvl + 1}`, new ConvTranspose2d(f[lvl]! * 2, f[lvl]!, 3, {
          stride: 2, padding: same[k] ? 1 : 0, outputPadding: same[k] ? 1 : 0, init: o.init,
        }))),
      dec: [3, 2, 1, 0].map((lvl) => this.module(`dec${lvl + 1}`, new Level(f[lvl]! * 2, f[lvl]!, o))),
      head: this.module('head', new Conv2d(s, 1, 1, { init: o.init })),
      pool: new MaxPool2d(2),
      firstDrop: this.module('drop_half', new Dropout(o.dropout / 2)),
      drop: this.module('drop', new Dropout(o.dropout)),
    };
  }

  /** NCHW input of 101x101 tiles to logits of the same size. */
  forward(x: Tensor): Tensor {
    const [H, W] = [x.size(-2), x.size(-1)];
    if (H !== 101 || W !== 101) {
      throw new Error(`resunet works at native 101x101 (its valid/same upsampling is fixed to 6->12->25->50->101); got ${H}x${W}`);
    }
    return unetForward(x, this.parts);
  }
}
