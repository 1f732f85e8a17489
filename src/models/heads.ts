// Models with more than a mask: an image-level salt logit and deep-supervision logits. The trainer
// adds their losses; inference calls forward(), which returns the (gated) mask logits alone.
import type { Module } from '../nn/module.js';
import type { Tensor } from '../torch/tensor.js';

export interface HeadOutputs {
  /** Mask logits, N x 1 x H x W, not gated. */
  mask: Tensor;
  /** Image-level salt logits, N x 1, when the model has a classification head. */
  salt: Tensor | null;
  /** Auxiliary mask logits at full size, one per supervised decoder block. */
  aux: Tensor[];
}

export interface MultiHead {
  forwardHeads(x: Tensor): HeadOutputs;
  /** Salt probability below which forward() empties the mask ('threshold' gate); 0 turns it off. */
  gateThreshold: number;
  readonly gateMode: 'none' | 'multiply' | 'threshold';
  readonly hasClassifier: boolean;
}

export function isMultiHead(m: Module): m is Module & MultiHead {
  return typeof (m as Partial<MultiHead>).forwardHeads === 'function';
}
