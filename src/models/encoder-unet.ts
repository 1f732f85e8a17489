// U-Nets on ImageNet-style encoders, as the top TGS teams built them: a conv-BN-ReLU decoder with
// bilinear or transposed upsampling and optional scSE, a plain or FPA center, hypercolumns, deep
// supervision, and an image-level salt classifier that can gate the mask. Tiles are reflect-padded
// (or resized) to a size the encoder's strides divide, and the logits are brought back to 101x101.
import { chain } from '../nn/chain.js';
import { Conv2d, ConvTranspose2d, Dropout, Dropout2d, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { cat, F } from '../torch/index.js';
import type { Tensor } from '../torch/tensor.js';
import { ConvBnRelu, FPA, SCSE } from './blocks.js';
import { createEncoder, type Encoder } from './encoders/index.js';
import type { HeadOutputs, MultiHead } from './heads.js';

export interface EncoderUNetOptions {
  encoder: string;
  inChannels: number;
  /** Output channels of each decoder block, deepest first; one per encoder feature map. */
  decoderChannels: number[];
  upsample: 'bilinear' | 'transpose';
  scse: boolean;
  center: 'none' | 'plain' | 'fpa';
  hypercolumn: boolean;
  /** An image-level salt/no-salt head on the pooled deepest features. */
  classifier: boolean;
  /** How the classifier gates forward()'s mask: not at all, by multiplying probabilities, or emptying below gateThreshold. */
  gate: 'none' | 'multiply' | 'threshold';
  gateThreshold: number;
  /** 1x1 heads on every decoder block but the last, for auxiliary losses. */
  deepSupervision: boolean;
  /** 'pad': reflect-pad to inputSize and crop back; 'resize': bilinear to inputSize and back. */
  input: 'pad' | 'resize';
  inputSize: number;
  /** Dropout before the mask head (channel-wise) and the classifier. */
  dropout: number;
}

export const ENCODER_UNET_DEFAULTS: EncoderUNetOptions = {
  encoder: 'resnet34', inChannels: 1, decoderChannels: [256, 128, 64, 32, 16], upsample: 'bilinear', scse: false,
  center: 'none', hypercolumn: false, classifier: false, gate: 'none', gateThreshold: 0.5, deepSupervision: false,
  input: 'pad', inputSize: 128, dropout: 0,
};

/** Upsample (when the target is larger), concatenate the skip, two conv-BN-ReLU, optional scSE. */
class DecoderBlock extends Module {
  private readonly up: ConvTranspose2d | null;
  private readonly conv1: ConvBnRelu;
  private readonly conv2: ConvBnRelu;
  private readonly scse: SCSE | null;
  constructor(cin: number, skip: number, cout: number, o: EncoderUNetOptions) {
    super();
    this.up = o.upsample === 'transpose' ? this.module('up', new ConvTranspose2d(cin, cin, 2, { stride: 2 })) : null;
    this.conv1 = this.module('conv1', new ConvBnRelu(cin + skip, cout));
    this.conv2 = this.module('conv2', new ConvBnRelu(cout, cout));
    this.scse = o.scse ? this.module('scse', new SCSE(cout)) : null;
  }
  forward(): Tensor { throw new Error('DecoderBlock needs its skip and target size: call decode()'); }
  decode(x: Tensor, size: [number, number], skip: Tensor | null): Tensor {
    let h = x;
    if (x.size(-2) !== size[0] || x.size(-1) !== size[1]) {
      const exactDouble = size[0] === 2 * x.size(-2) && size[1] === 2 * x.size(-1);
      h = this.up && exactDouble ? this.up.forward(x) : F.interpolate(x, { size, mode: 'bilinear', alignCorners: false });
    }
    let joined = h;
    if (skip) {
      joined = cat([h, skip], 1);
      if (h !== x) h.dispose();
    }
    const out = chain(joined, (t) => this.conv1.forward(t), (t) => this.conv2.forward(t), ...(this.scse ? [(t: Tensor) => this.scse!.forward(t)] : []));
    if (joined !== x) joined.dispose();
    return out;
  }
}

export class EncoderUNet extends Module implements MultiHead {
  readonly options: EncoderUNetOptions;
  readonly gateMode: EncoderUNetOptions['gate'];
  gateThreshold: number;
  readonly hasClassifier: boolean;
  readonly encoder: Encoder;
  private readonly center: Module | null;
  private readonly blocks: DecoderBlock[];
  private readonly head: Module[];
  private readonly auxHeads: Conv2d[];
  private readonly cls: Linear | null;
  private readonly drop2d: Dropout2d;
  private readonly drop: Dropout;

  constructor(options: Partial<EncoderUNetOptions> = {}) {
    super();
    const o = (this.options = { ...ENCODER_UNET_DEFAULTS, ...options });
    if (o.gate !== 'none' && !o.classifier) throw new Error(`encoder-unet: gate '${o.gate}' needs classifier: true`);
    if (!['none', 'multiply', 'threshold'].includes(o.gate)) throw new Error(`encoder-unet: gate must be none, multiply or threshold, got '${o.gate}'`);
    if (!['none', 'plain', 'fpa'].includes(o.center)) throw new Error(`encoder-unet: center must be none, plain or fpa, got '${o.center}'`);
    if (!['pad', 'resize'].includes(o.input)) throw new Error(`encoder-unet: input must be pad or resize, got '${o.input}'`);
    this.gateMode = o.gate;
    this.gateThreshold = o.gateThreshold;
    this.hasClassifier = o.classifier;
    this.encoder = this.module('encoder', createEncoder(o.encoder, { inChannels: o.inChannels }));
    const ch = this.encoder.channels, n = ch.length;
    if (o.decoderChannels.length !== n) {
      throw new Error(`encoder-unet: decoderChannels needs ${n} entries for ${o.encoder} (one per feature map), got ${o.decoderChannels.length}`);
    }
    const deep = ch[n - 1]!;
    const dc = o.decoderChannels;
    this.center = o.center === 'plain' ? this.module('center', new CenterBlock(deep, dc[0]!))
      : o.center === 'fpa' ? this.module('center', new FPA(deep, dc[0]!)) : null;
    let cin = o.center === 'none' ? deep : dc[0]!;
    this.blocks = dc.map((cout, k) => {
      const skip = k < n - 1 ? ch[n - 2 - k]! : 0;
      const b = this.module(`decoder${k + 1}`, new DecoderBlock(cin, skip, cout, o));
      cin = cout;
      return b;
    });
    const headIn = o.hypercolumn ? dc.reduce((a, b) => a + b, 0) : dc[n - 1]!;
    this.head = o.hypercolumn
      ? [this.module('head_conv', new ConvBnRelu(headIn, 64)), this.module('head', new Conv2d(64, 1, 1))]
      : [this.module('head', new Conv2d(headIn, 1, 1))];
    this.auxHeads = o.deepSupervision ? dc.slice(0, -1).map((c, k) => this.module(`aux${k + 1}`, new Conv2d(c, 1, 1))) : [];
    this.cls = o.classifier ? this.module('classifier', new Linear(deep, 1)) : null;
    // Registered like every layer, so eval() turns them off for validation and prediction.
    this.drop2d = this.module('drop2d', new Dropout2d(o.dropout));
    this.drop = this.module('drop', new Dropout(o.dropout));
  }

  /** The tile brought to the working size: reflect padding (centred) or a bilinear resize. */
  private enter(x: Tensor): { x: Tensor; back: (t: Tensor) => Tensor } {
    const [H, W] = [x.size(-2), x.size(-1)];
    const S = this.options.inputSize;
    if (this.options.input === 'resize') {
      const back = (t: Tensor) => F.interpolate(t, { size: [H, W], mode: 'bilinear', alignCorners: false });
      return { x: F.interpolate(x, { size: [S, S], mode: 'bilinear', alignCorners: false }), back };
    }
    if (H > S || W > S) throw new Error(`encoder-unet pads tiles to ${S}x${S}; a ${H}x${W} input is larger (set inputSize)`);
    const top = Math.floor((S - H) / 2), left = Math.floor((S - W) / 2);
    const padded = F.pad(x, [left, S - W - left, top, S - H - top], 'reflect');
    return { x: padded, back: (t: Tensor) => chain(t, (u) => u.narrow(2, top, H), (u) => u.narrow(3, left, W), (u) => u.contiguous()) };
  }

  forwardHeads(input: Tensor): HeadOutputs {
    const { x, back } = this.enter(input);
    const feats = this.encoder.features(x);
    const size: [number, number] = [x.size(-2), x.size(-1)];
    if (x !== input) x.dispose();
    const deepest = feats[feats.length - 1]!;
    const salt = this.cls ? chain(deepest, (t) => F.adaptiveAvgPool2d(t, 1), (t) => t.flatten(1), (t) => this.drop.forward(t), (t) => this.cls!.forward(t)) : null;
    let h = this.center ? this.center.forward(deepest) : deepest;
    if (h !== deepest) deepest.dispose();
    const outs: Tensor[] = [];
    this.blocks.forEach((b, k) => {
      const skip = feats[feats.length - 2 - k] ?? null;
      const target: [number, number] = skip ? [skip.size(-2), skip.size(-1)] : size;
      const next = b.decode(h, target, skip);
      if (k === 0) h.dispose(); // the center's output (or the deepest map); later inputs are kept in outs
      if (skip) skip.dispose();
      outs.push(next);
      h = next;
    });
    const full = (t: Tensor) => F.interpolate(t, { size, mode: 'bilinear', alignCorners: false });
    const aux = this.auxHeads.map((hd, k) => chain(outs[k]!, (t) => hd.forward(t), full, back));
    let feat: Tensor;
    if (this.options.hypercolumn) {
      const ups = outs.map((t) => (t.size(-2) === size[0] ? t.view(t.shape) : full(t)));
      feat = cat(ups, 1);
      ups.forEach((t) => t.dispose());
    } else {
      feat = outs[outs.length - 1]!.view(outs[outs.length - 1]!.shape);
    }
    outs.forEach((t) => t.dispose());
    const mask = chain(feat, (t) => this.drop2d.forward(t), ...this.head.map((m) => (t: Tensor) => m.forward(t)), back);
    feat.dispose();
    return { mask, salt, aux };
  }

  /** Mask logits, gated by the classifier when the options say so. */
  forward(x: Tensor): Tensor {
    const { mask, salt, aux } = this.forwardHeads(x);
    aux.forEach((t) => t.dispose());
    if (!salt || this.gateMode === 'none') {
      salt?.dispose();
      return mask;
    }
    const s = salt.view(salt.size(0), 1, 1, 1);
    let out: Tensor;
    if (this.gateMode === 'multiply') {
      // logit(σ(m)·σ(s)), clamped away from 0 and 1 so the logit stays finite.
      out = chain(mask, (t) => t.sigmoid(), (t) => t.mul(s.sigmoid()), (t) => t.clamp(1e-7, 1 - 1e-7), (t) => t.log().sub(t.rsub(1).log()));
    } else {
      const empty = chain(s, (t) => t.sigmoid(), (t) => t.lt(this.gateThreshold));
      out = mask.maskedFill(empty, -30);
      empty.dispose();
    }
    [mask, salt, s].forEach((t) => t.dispose());
    return out;
  }
}

/** Two conv-BN-ReLU on the deepest features before decoding. */
class CenterBlock extends Module {
  private readonly a: ConvBnRelu;
  private readonly b: ConvBnRelu;
  constructor(cin: number, cout: number) {
    super();
    this.a = this.module('conv1', new ConvBnRelu(cin, cout));
    this.b = this.module('conv2', new ConvBnRelu(cout, cout));
  }
  forward(x: Tensor): Tensor { return chain(x, (t) => this.a.forward(t), (t) => this.b.forward(t)); }
}
