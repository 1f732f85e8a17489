// The U-Net decoder of the encoder models (segmentation_models.pytorch's UnetDecoder, with the TGS
// teams' additions): an optional center on the deepest map, one block per encoder map that upsamples,
// concatenates the skip and applies two conv-BN-ReLU (and optional scSE), and optional hypercolumns.
// It owns the channel arithmetic: what each block reads, and what the heads after it read.
import { ConvTranspose2d } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { cat, F } from '../../torch/index.js';
import type { Tensor } from '../../torch/tensor.js';
import { ConvBnRelu, FPA, SCSE } from '../blocks.js';

export type Upsample = 'bilinear' | 'transpose';
export type Center = 'none' | 'plain' | 'fpa';

export interface UNetDecoderOptions {
  /** Channels of the encoder's maps, shallow to deep (Encoder.channels). */
  encoderChannels: number[];
  /** The encoder's name, for error messages. */
  encoderName?: string;
  /** Output channels of each block, deepest first: one per encoder map. */
  decoderChannels: number[];
  /** 'transpose': a stride-2 transposed conv where the size exactly doubles (bilinear otherwise). */
  upsample: Upsample;
  scse: boolean;
  /** On the deepest map before the blocks: none, two conv-BN-ReLU, or Feature Pyramid Attention. */
  center: Center;
  /** Every block's output brought to full size and concatenated, for the segmentation head. */
  hypercolumn: boolean;
}

export interface DecoderOutput {
  /** Each block's output, deepest first (deep supervision reads all but the last). */
  blocks: Tensor[];
  /** What the segmentation head reads: the last block's output, or the hypercolumn. */
  features: Tensor;
}

/** Bilinear resize to `size` (align_corners false). */
export function resize(t: Tensor, size: [number, number]): Tensor {
  return F.interpolate(t, { size, mode: 'bilinear', alignCorners: false });
}

/** Upsample (when the target is larger), concatenate the skip, two conv-BN-ReLU, optional scSE. */
export class DecoderBlock extends Module<[x: Tensor, size: [number, number], skip: Tensor | null]> {
  private readonly up: ConvTranspose2d | null;
  private readonly conv1: ConvBnRelu;
  private readonly conv2: ConvBnRelu;
  private readonly scse: SCSE | null;
  /** cin: channels of x; skip: of the skip map (0 for none); cout: of the output. */
  constructor(cin: number, skip: number, cout: number, o: { upsample: Upsample; scse: boolean }) {
    super();
    this.up = o.upsample === 'transpose' ? this.module('up', new ConvTranspose2d(cin, cin, 2, { stride: 2 })) : null;
    this.conv1 = this.module('conv1', new ConvBnRelu(cin + skip, cout));
    this.conv2 = this.module('conv2', new ConvBnRelu(cout, cout));
    this.scse = o.scse ? this.module('scse', new SCSE(cout)) : null;
  }
  /** x (N x cin x h x w) brought to `size`, joined with skip (N x skip x size), to N x cout x size. */
  forward(x: Tensor, size: [number, number], skip: Tensor | null): Tensor {
    let h = x;
    if (x.size(-2) !== size[0] || x.size(-1) !== size[1]) {
      const exactDouble = size[0] === 2 * x.size(-2) && size[1] === 2 * x.size(-1);
      h = this.up && exactDouble ? this.up.call(x) : resize(x, size);
    }
    const out = this.conv2.call(this.conv1.call(skip ? cat([h, skip], 1) : h));
    return this.scse ? this.scse.call(out) : out;
  }
}

/** Two conv-BN-ReLU on the deepest features before decoding. */
export class CenterBlock extends Module {
  private readonly a: ConvBnRelu;
  private readonly b: ConvBnRelu;
  constructor(cin: number, cout: number) {
    super();
    this.a = this.module('conv1', new ConvBnRelu(cin, cout));
    this.b = this.module('conv2', new ConvBnRelu(cout, cout));
  }
  forward(x: Tensor): Tensor { return this.b.call(this.a.call(x)); }
}

/**
 * Decodes an encoder's maps (shallow to deep) into features at a given size. Block k (from 1) is
 * registered as `decoderk` and the center as `center`, the names the models' weights files use.
 */
export class UNetDecoder extends Module<[features: Tensor[], size: [number, number]], DecoderOutput> {
  /** Channels of each block's output, deepest first (= decoderChannels). */
  readonly blockChannels: number[];
  /** Channels of DecoderOutput.features: the last block's, or their sum with hypercolumns. */
  readonly outChannels: number;
  private readonly center: Module | null;
  private readonly blocks: DecoderBlock[];
  private readonly hypercolumn: boolean;

  /** Throws, saying what to set, when the channel lists do not fit together or an option is unknown. */
  constructor(o: UNetDecoderOptions) {
    super();
    const enc = o.encoderChannels, dc = o.decoderChannels, n = enc.length;
    checkChannels(o);
    if (!['none', 'plain', 'fpa'].includes(o.center)) throw new Error(`encoder-unet: center must be none, plain or fpa, got '${o.center}'`);
    if (!['bilinear', 'transpose'].includes(o.upsample)) throw new Error(`encoder-unet: upsample must be bilinear or transpose, got '${o.upsample}'`);
    const deep = enc[n - 1]!;
    this.center = o.center === 'plain' ? this.module('center', new CenterBlock(deep, dc[0]!))
      : o.center === 'fpa' ? this.module('center', new FPA(deep, dc[0]!)) : null;
    // Block k reads the previous block's output (the first: the center's, or the deepest map) and,
    // except the last, the encoder map one level shallower than the previous one.
    let cin = o.center === 'none' ? deep : dc[0]!;
    this.blocks = dc.map((cout, k) => {
      const skip = k < n - 1 ? enc[n - 2 - k]! : 0;
      const b = this.module(`decoder${k + 1}`, new DecoderBlock(cin, skip, cout, o));
      cin = cout;
      return b;
    });
    this.hypercolumn = o.hypercolumn;
    this.blockChannels = [...dc];
    this.outChannels = o.hypercolumn ? dc.reduce((a, b) => a + b, 0) : dc[n - 1]!;
  }

  /** features: the encoder's maps, shallow to deep; size: the output's spatial size (the input's). */
  forward(features: Tensor[], size: [number, number]): DecoderOutput {
    let h = features[features.length - 1]!;
    if (this.center) h = this.center.call(h);
    const blocks = this.blocks.map((b, k) => {
      const skip = features[features.length - 2 - k] ?? null;
      h = b.call(h, skip ? [skip.size(-2), skip.size(-1)] : size, skip);
      return h;
    });
    const full = (t: Tensor) => (t.size(-2) === size[0] && t.size(-1) === size[1] ? t : resize(t, size));
    return { blocks, features: this.hypercolumn ? cat(blocks.map(full), 1) : h };
  }
}

/** The decoder's channel lists must fit the encoder's: one block per map, each a positive width. */
function checkChannels(o: UNetDecoderOptions): void {
  const n = o.encoderChannels.length, dc = o.decoderChannels;
  const enc = o.encoderName ?? `an encoder with ${n} feature maps`;
  if (n === 0) throw new Error(`encoder-unet: ${enc} gives no feature maps to decode`);
  if (!Array.isArray(dc) || dc.length !== n) {
    const example = Array.from({ length: n }, (_, i) => Math.max(8, 256 >> i));
    throw new Error(`encoder-unet: decoderChannels needs ${n} entries for ${enc} (one per feature map, deepest first), ` +
      `got ${Array.isArray(dc) ? dc.length : JSON.stringify(dc)}; for example decoderChannels: [${example.join(', ')}]`);
  }
  dc.forEach((c, k) => {
    if (!Number.isInteger(c) || c < 1) {
      throw new Error(`encoder-unet: decoderChannels[${k}] must be a positive whole number of channels, got ${JSON.stringify(c)}`);
    }
  });
}
