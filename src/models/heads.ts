// Heads, after segmentation_models.pytorch's: the segmentation head on the decoder's features, 1x1
// deep-supervision heads on its blocks, an image-level salt classifier on the deepest encoder map, and
// the gate that lets the classifier empty the mask. Models with more than a mask implement MultiHead:
// the trainer adds the extra heads' losses; inference calls forward(), the (gated) mask logits alone.
import { Conv2d, Dropout, Dropout2d, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { F } from '../torch/index.js';
import type { Tensor } from '../torch/tensor.js';
import { ConvBnRelu } from './blocks.js';
import { resize } from './decoders/unet.js';

export interface HeadOutputs {
  /** Mask logits, N x 1 x H x W, not gated. */
  mask: Tensor;
  /** Image-level salt logits, N x 1, when the model has a classification head. */
  salt: Tensor | null;
  /** Auxiliary mask logits at full size, one per supervised decoder block. */
  aux: Tensor[];
}

export type GateMode = 'none' | 'multiply' | 'threshold';

export interface MultiHead {
  forwardHeads(x: Tensor): HeadOutputs;
  /** Salt probability below which forward() empties the mask ('threshold' gate); 0 turns it off. */
  gateThreshold: number;
  readonly gateMode: GateMode;
  readonly hasClassifier: boolean;
}

export function isMultiHead(m: Module): m is Module & MultiHead {
  return typeof (m as Partial<MultiHead>).forwardHeads === 'function';
}

/**
 * Channel dropout, then (with `hidden`) a conv-BN-ReLU to that many channels, then a 1x1 conv to one
 * channel of mask logits: N x cin x H x W -> N x 1 x H x W. Registered as drop2d, head_conv, head.
 */
export class SegmentationHead extends Module {
  private readonly hidden: ConvBnRelu | null;
  private readonly out: Conv2d;
  private readonly drop: Dropout2d;
  /** hidden: channels of the conv-BN-ReLU before the 1x1 conv; 0 for none. */
  constructor(cin: number, o: { hidden: number; dropout: number }) {
    super();
    this.hidden = o.hidden > 0 ? this.module('head_conv', new ConvBnRelu(cin, o.hidden)) : null;
    this.out = this.module('head', new Conv2d(o.hidden > 0 ? o.hidden : cin, 1, 1));
    // Registered like every layer, so eval() turns it off for validation and prediction.
    this.drop = this.module('drop2d', new Dropout2d(o.dropout));
  }
  forward(x: Tensor): Tensor {
    const h = this.drop.call(x);
    return this.out.call(this.hidden ? this.hidden.call(h) : h);
  }
}

/**
 * Deep supervision: a 1x1 conv to one channel on each given decoder block's output, resized to the
 * output size (bilinear), so each gets the mask loss. Registered as aux1, aux2, ...
 */
export class DeepSupervisionHeads extends Module<[blocks: Tensor[], size: [number, number]], Tensor[]> {
  private readonly heads: Conv2d[];
  /** channels: of each supervised block's output, in the order forward() receives them. */
  constructor(channels: number[]) {
    super();
    this.heads = channels.map((c, k) => this.module(`aux${k + 1}`, new Conv2d(c, 1, 1)));
  }
  /** blocks: at least as many maps as heads (extra ones are ignored); returns N x 1 x size logits each. */
  forward(blocks: Tensor[], size: [number, number]): Tensor[] {
    return this.heads.map((hd, k) => resize(hd.call(blocks[k]!), size));
  }
}

/**
 * The image-level salt classifier: global average pool, dropout, linear to one logit:
 * N x cin x h x w -> N x 1. Registered as drop and classifier.
 */
export class ClassificationHead extends Module {
  private readonly linear: Linear;
  private readonly drop: Dropout;
  constructor(cin: number, dropout: number) {
    super();
    this.linear = this.module('classifier', new Linear(cin, 1));
    this.drop = this.module('drop', new Dropout(dropout));
  }
  forward(x: Tensor): Tensor {
    return this.linear.call(this.drop.call(F.adaptiveAvgPool2d(x, 1).flatten(1)));
  }
}

/**
 * Mask logits (N x 1 x H x W) gated by the salt logits (N x 1): 'multiply' gives logit(σ(mask)·σ(salt)),
 * with the product clamped to [1e-7, 1 - 1e-7] so the logit stays finite; 'threshold' sets the mask to
 * -30 (σ ≈ 1e-13) on tiles whose salt probability is below `threshold`; 'none' returns the mask.
 */
export function gateMask(mask: Tensor, salt: Tensor, mode: GateMode, threshold: number): Tensor {
  if (mode === 'none') return mask;
  const s = salt.view(salt.size(0), 1, 1, 1);
  if (mode === 'multiply') {
    const p = mask.sigmoid().mul(s.sigmoid()).clamp(1e-7, 1 - 1e-7);
    return p.log().sub(p.rsub(1).log());
  }
  return mask.maskedFill(s.sigmoid().lt(threshold), -30);
}
