// Weight initialisers: Keras' defaults (Glorot uniform kernels, zero bias) and PyTorch's (Kaiming).
import { noGrad } from '../torch/autograd.js';
import type { Tensor } from '../torch/tensor.js';

/** PyTorch's fan computation: dim 1 is fan-in, dim 0 fan-out, times the receptive field. */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  const s = t.shape;
  if (s.length < 2) throw new RangeError(`fan-in and fan-out need a tensor of 2 or more dims, got shape [${s}]`);
  const rf = s.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: s[1]! * rf, fanOut: s[0]! * rf };
}

export function uniform_(t: Tensor, low: number, high: number): Tensor { return noGrad(() => t.uniform_(low, high)); }
export function normal_(t: Tensor, mean = 0, std = 1): Tensor { return noGrad(() => t.normal_(mean, std)); }
export function zeros_(t: Tensor): Tensor { return noGrad(() => t.zero_()); }
export function ones_(t: Tensor): Tensor { return noGrad(() => t.fill_(1)); }
export function constant_(t: Tensor, v: number): Tensor { return noGrad(() => t.fill_(v)); }

/** Glorot (Xavier) uniform, Keras' default kernel initialiser: U(±sqrt(6 / (fanIn + fanOut))). */
export function glorotUniform_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t);
  const limit = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -limit, limit);
}

export type Nonlinearity = 'relu' | 'leaky_relu' | 'linear' | 'sigmoid' | 'tanh';
export function gain(nl: Nonlinearity, a = 0.01): number {
  switch (nl) {
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': return Math.sqrt(2 / (1 + a * a));
    case 'tanh': return 5 / 3;
    default: return 1;
  }
}

/** Kaiming (He) uniform with fan-in. With a = sqrt(5) and leaky_relu it is PyTorch's default for Conv and Linear. */
export function kaimingUniform_(t: Tensor, a = 0, nonlinearity: Nonlinearity = 'leaky_relu'): Tensor {
  const bound = gain(nonlinearity, a) * Math.sqrt(3 / fans(t).fanIn);
  return uniform_(t, -bound, bound);
}

export function kaimingNormal_(t: Tensor, a = 0, nonlinearity: Nonlinearity = 'leaky_relu', mode: 'fanIn' | 'fanOut' = 'fanIn'): Tensor {
  const f = fans(t);
  const std = gain(nonlinearity, a) / Math.sqrt(mode === 'fanIn' ? f.fanIn : f.fanOut);
  return normal_(t, 0, std);
}

/** How a layer fills its weights: PyTorch's defaults or Keras'. */
export type InitScheme = 'pytorch' | 'keras';

/** Initialises a weight and optional bias the way PyTorch's or Keras' layers do by default. */
export function initLayer(weight: Tensor, bias: Tensor | null, scheme: InitScheme): void {
  if (scheme === 'keras') {
    glorotUniform_(weight);
    if (bias) zeros_(bias);
    return;
  }
  kaimingUniform_(weight, Math.sqrt(5));
  if (bias) {
    const fanIn = fans(weight).fanIn;
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}
