// The residual U-Net of the Keras TGS write-up ("Model 2"): native 101x101 input, a 3x3 conv and
// two residual blocks per level, dropout ratio/2 after the first pool and ratio elsewhere, and
// transposed convolutions "same" for 6->12 and 25->50, "valid" for 12->25 and 50->101.
// Options make it the smaller from-scratch kind too: fewer pooling stages (depth), dilated residual
// blocks in the middle (Yu & Koltun 2016) and Feature Pyramid Attention after it (Li et al. 2018).
import type { Tensor } from '../torch/tensor.js';
import { Module } from '../nn/module.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, MaxPool2d } from '../nn/layers.js';
import type { InitScheme } from '../nn/init.js';
import { FPA, SCSE } from './blocks.js';
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
  /** Pooling stages, 1 to 5: the middle works on 101 / 2^depth (6x6 at the write-up's 4; 12x12 at 3). */
  depth: number;
  /** Dilation of the middle level's two residual blocks (both convs of each), so a shallower network still sees the whole tile. */
  dilations: number[];
  /** Feature Pyramid Attention on the middle level's output (pyramid pooling at 1/2, 1/4, 1/8 plus a global branch). */
  fpa: boolean;
  /**
   * Channels of each encoder level, then of the middle: depth + 1 positive integers, e.g. [12, 32, 64, 128]
   * at depth 3, so the 101x101 level can be narrow where its FLOPs are dear. Each decoder level has its
   * encoder level's width. Empty (the default): startFilters, doubling per level, the middle twice the deepest.
   */
  widths: number[];
}

export const RESUNET_DEFAULTS: ResUNetOptions = {
  startFilters: 16, dropout: 0.5, init: 'keras', bnMomentum: 0.01, bnEps: 1e-3, inChannels: 1, scse: false,
  depth: 4, dilations: [1, 1], fpa: false, widths: [],
};

/**
 * The options over RESUNET_DEFAULTS, with the values that shape the network checked; builds nothing, so
 * a config can be refused before any weights are drawn.
 * @throws Error when depth is not an integer 1..5, dilations is not two positive integers, or widths
 *   is neither empty nor depth + 1 positive integers.
 */
export function checkResUNetOptions(options: Partial<ResUNetOptions>): ResUNetOptions {
  const o = { ...RESUNET_DEFAULTS, ...options };
  if (!Number.isInteger(o.depth) || o.depth < 1 || o.depth > 5) throw new Error(`resunet option depth must be an integer from 1 to 5 (pooling stages), got ${o.depth}`);
  if (o.dilations.length !== 2 || !o.dilations.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`resunet option dilations must be two positive integers (one per middle residual block), got ${JSON.stringify(o.dilations)}`);
  }
  if (o.widths.length > 0 && (o.widths.length !== o.depth + 1 || !o.widths.every((w) => Number.isInteger(w) && w >= 1))) {
    throw new Error(`resunet option widths must be empty or list depth + 1 = ${o.depth + 1} positive integers (each encoder level's channels, then the middle's), got ${JSON.stringify(o.widths)}`);
  }
  return o;
}

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
  constructor(f: number, batchActivate: boolean, o: ResUNetOptions, dilation = 1) {
    super();
    this.act1 = this.module('act1', new BatchActivate(f, o));
    this.conv1 = this.module('conv1', new Conv2d(f, f, 3, { padding: 'same', dilation, init: o.init }));
    this.act2 = this.module('act2', new BatchActivate(f, o));
    this.conv2 = this.module('conv2', new Conv2d(f, f, 3, { padding: 'same', dilation, init: o.init }));
    this.actOut = batchActivate ? this.module('act_out', new BatchActivate(f, o)) : null;
  }
  forward(x: Tensor): Tensor {
    const sum = this.conv2.call(this.act2.call(this.conv1.call(this.act1.call(x)))).add(x);
    return this.actOut ? this.actOut.call(sum) : sum;
  }
}

/** A 3x3 conv to f channels, then two residual blocks (the second ends in BN-ReLU; dilated as given), then FPA and scSE if asked. */
class Level extends Module {
  private readonly conv: Conv2d;
  private readonly res1: ResidualBlock;
  private readonly res2: ResidualBlock;
  private readonly fpa: FPA | null;
  private readonly scse: SCSE | null;
  constructor(cin: number, f: number, o: ResUNetOptions, dilations: number[] = [1, 1], fpa = false) {
    super();
    this.conv = this.module('conv', new Conv2d(cin, f, 3, { padding: 'same', init: o.init }));
    this.res1 = this.module('res1', new ResidualBlock(f, false, o, dilations[0]));
    this.res2 = this.module('res2', new ResidualBlock(f, true, o, dilations[1]));
    this.fpa = fpa ? this.module('fpa', new FPA(f, f)) : null;
    this.scse = o.scse ? this.module('scse', new SCSE(f)) : null;
  }
  forward(x: Tensor): Tensor {
    let y = this.res2.call(this.res1.call(this.conv.call(x)));
    if (this.fpa) y = this.fpa.call(y);
    return this.scse ? this.scse.call(y) : y;
  }
}

export class ResUNet extends Module {
  readonly options: ResUNetOptions;
  private readonly parts: UNetParts;

  /**
   * @param options see ResUNetOptions; the defaults are the write-up's Model 2 (5,112,497 parameters).
   * @throws Error as checkResUNetOptions.
   */
  constructor(options: Partial<ResUNetOptions> = {}) {
    super();
    const o = (this.options = checkResUNetOptions(options));
    // Encoder levels then the middle; the default doubles from startFilters, the middle included.
    const widths = o.widths.length > 0 ? o.widths : Array.from({ length: o.depth + 1 }, (_, i) => o.startFilters * 2 ** i);
    const f = widths.slice(0, o.depth), top = widths[o.depth]!;
    // Map sizes 101, 50, 25, 12, 6, 3: upsampling n -> 2n is "same" (6->12, 25->50), n -> 2n+1 "valid" (12->25, 50->101).
    const size = (lvl: number) => Math.floor(101 / 2 ** lvl);
    const deepFirst = f.map((_, i) => o.depth - 1 - i);
    // Each up-convolution takes the level below's width (the middle's for the deepest) to its own.
    const below = (lvl: number) => (lvl === o.depth - 1 ? top : f[lvl + 1]!);
    this.parts = {
      enc: f.map((c, i) => this.module(`enc${i + 1}`, new Level(i === 0 ? o.inChannels : f[i - 1]!, c, o))),
      middle: this.module('middle', new Level(f[o.depth - 1]!, top, o, o.dilations, o.fpa)),
      up: deepFirst.map((lvl) => {
        const same = size(lvl) === 2 * size(lvl + 1);
        return this.module(`up${lvl + 1}`, new ConvTranspose2d(below(lvl), f[lvl]!, 3, {
          stride: 2, padding: same ? 1 : 0, outputPadding: same ? 1 : 0, init: o.init,
        }));
      }),
      dec: deepFirst.map((lvl) => this.module(`dec${lvl + 1}`, new Level(f[lvl]! * 2, f[lvl]!, o))),
      head: this.module('head', new Conv2d(f[0]!, 1, 1, { init: o.init })),
      pool: new MaxPool2d(2),
      firstDrop: this.module('drop_half', new Dropout(o.dropout / 2)),
      drop: this.module('drop', new Dropout(o.dropout)),
    };
  }

  /**
   * Square sides the network takes: 101, or a crop whose map sizes halve with the same parity as
   * 101's down to the middle (side ≡ 101 mod 2^depth, e.g. 85, 69 and 53 at depth 4), so each
   * upsampling restores its skip's size. Throws Error naming the nearest sides that work.
   */
  checkSide(h: number, w = h): void {
    const m = 2 ** this.options.depth, r = 101 % m;
    if (h === w && h >= m + r && h % m === r) return;
    const below = h - ((((h - r) % m) + m) % m), fit = [below, below + m].filter((s) => s >= m + r && s <= 101);
    const near = fit.length > 0 ? fit : [101];
    throw new Error(`resunet at depth ${this.options.depth} works on square 101x101 tiles or crops of side 101 - ${m}k ` +
      `(its valid/same upsampling follows 101 -> 50 -> 25 -> 12 -> 6); got ${h}x${w}: try ${near.join(' or ')}`);
  }

  /** NCHW input [N, C, S, S] (S = 101 or a side checkSide accepts) to logits [N, 1, S, S]. */
  forward(x: Tensor): Tensor {
    this.checkSide(x.size(-2), x.size(-1));
    return unetForward(x, this.parts);
  }
}
