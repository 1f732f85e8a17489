// U-Nets on ImageNet-style encoders, as the top TGS teams built them, composed as in
// segmentation_models.pytorch: an encoder, a U-Net decoder (bilinear or transposed upsampling, optional
// scSE, a plain or FPA center, hypercolumns) and heads (the mask, deep supervision, and an image-level
// salt classifier that can gate the mask). Tiles are reflect-padded (or resized) to a size the
// encoder's strides divide, and the logits are brought back to the tile's size.
import { Module } from '../nn/module.js';
import { F, tidy } from '../torch/index.js';
import type { Tensor } from '../torch/tensor.js';
import { resize, UNetDecoder, type Center, type Upsample } from './decoders/unet.js';
import { createEncoder, type Encoder } from './encoders/index.js';
import { ClassificationHead, DeepSupervisionHeads, gateMask, SegmentationHead, type GateMode, type HeadOutputs, type MultiHead } from './heads.js';

export interface EncoderUNetOptions {
  encoder: string;
  inChannels: number;
  /** Output channels of each decoder block, deepest first; one per encoder feature map. */
  decoderChannels: number[];
  upsample: Upsample;
  scse: boolean;
  center: Center;
  hypercolumn: boolean;
  /** An image-level salt/no-salt head on the pooled deepest features. */
  classifier: boolean;
  /** How the classifier gates forward()'s mask: not at all, by multiplying probabilities, or emptying below gateThreshold. */
  gate: GateMode;
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

export class EncoderUNet extends Module implements MultiHead {
  readonly options: EncoderUNetOptions;
  readonly gateMode: GateMode;
  gateThreshold: number;
  readonly hasClassifier: boolean;
  readonly encoder: Encoder;
  readonly decoder: UNetDecoder;
  readonly segmentationHead: SegmentationHead;
  readonly auxHeads: DeepSupervisionHeads | null;
  readonly classificationHead: ClassificationHead | null;

  constructor(options: Partial<EncoderUNetOptions> = {}) {
    super();
    const o = (this.options = { ...ENCODER_UNET_DEFAULTS, ...options });
    if (o.gate !== 'none' && !o.classifier) throw new Error(`encoder-unet: gate '${o.gate}' needs classifier: true`);
    if (!['none', 'multiply', 'threshold'].includes(o.gate)) throw new Error(`encoder-unet: gate must be none, multiply or threshold, got '${o.gate}'`);
    if (!['pad', 'resize'].includes(o.input)) throw new Error(`encoder-unet: input must be pad or resize, got '${o.input}'`);
    this.gateMode = o.gate;
    this.gateThreshold = o.gateThreshold;
    this.hasClassifier = o.classifier;
    // Built in this order (the RNG draws each part's initial weights in turn) and inlined, so the
    // parameters keep the names of the weights files saved before the split: center, decoder1..,
    // head_conv, head, aux1.., classifier.
    this.encoder = this.module('encoder', createEncoder(o.encoder, { inChannels: o.inChannels }));
    this.decoder = this.inline(new UNetDecoder({ ...o, encoderChannels: this.encoder.channels, encoderName: o.encoder }));
    this.segmentationHead = this.inline(new SegmentationHead(this.decoder.outChannels, { hidden: o.hypercolumn ? 64 : 0, dropout: o.dropout }));
    this.auxHeads = o.deepSupervision ? this.inline(new DeepSupervisionHeads(this.decoder.blockChannels.slice(0, -1))) : null;
    this.classificationHead = o.classifier ? this.inline(new ClassificationHead(this.encoder.channels.at(-1)!, o.dropout)) : null;
  }

  /** The tile brought to the working size: reflect padding (centred) or a bilinear resize; `back` undoes it. */
  private enter(x: Tensor): { x: Tensor; back: (t: Tensor) => Tensor } {
    const [H, W] = [x.size(-2), x.size(-1)];
    const S = this.options.inputSize;
    if (this.options.input === 'resize') return { x: resize(x, [S, S]), back: (t) => resize(t, [H, W]) };
    if (H > S || W > S) throw new Error(`encoder-unet pads tiles to ${S}x${S}; a ${H}x${W} input is larger (set inputSize)`);
    const top = Math.floor((S - H) / 2), left = Math.floor((S - W) / 2);
    const padded = F.pad(x, [left, S - W - left, top, S - H - top], 'reflect');
    return { x: padded, back: (t) => t.narrow(2, top, H).narrow(3, left, W).contiguous() };
  }

  /**
   * Every head's logits for NCHW tiles (N x inChannels x H x W): mask N x 1 x H x W (not gated), salt
   * N x 1 or null, aux N x 1 x H x W each. Like call(), it frees what it makes on the way.
   */
  forwardHeads(input: Tensor): HeadOutputs {
    return tidy(() => {
      const { x, back } = this.enter(input);
      const size: [number, number] = [x.size(-2), x.size(-1)];
      const features = this.encoder.features(x);
      // The classifier runs before the decoder, as it always has: its dropout draws from the RNG
      // first, so a seeded run repeats the weights of runs made before.
      const salt = this.classificationHead?.call(features[features.length - 1]!) ?? null;
      const decoded = this.decoder.call(features, size);
      const aux = this.auxHeads?.call(decoded.blocks, size).map(back) ?? [];
      const mask = back(this.segmentationHead.call(decoded.features));
      return { mask, salt, aux };
    });
  }

  /** Mask logits (N x 1 x H x W), gated by the classifier when the options say so. */
  forward(x: Tensor): Tensor {
    const { mask, salt } = this.forwardHeads(x);
    return salt ? gateMask(mask, salt, this.gateMode, this.gateThreshold) : mask;
  }
}
