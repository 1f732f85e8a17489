// BatchNorm folding: an eval-mode BatchNorm after a convolution is a per-output-channel scale and
// shift, so it can be merged into the convolution's weights and bias. Used by the ONNX export
// (src/export/trace-onnx.ts) and by halite's own inference path (src/infer/fuse.ts), so both fold alike.
import { noGrad } from '../torch/autograd.js';
import { keep, tidy } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';

export interface BatchNormStats {
  /** γ, C float32 (null: a BatchNorm without affine parameters, γ = 1). */
  gamma: Tensor | null;
  /** β, C float32 (null: β = 0). */
  beta: Tensor | null;
  /** Running mean μ, C float32. */
  mean: Tensor;
  /** Running variance σ², C float32. */
  variance: Tensor;
  eps: number;
}

/**
 * The weights and bias of a convolution followed by an eval-mode BatchNorm, as one convolution:
 * y = γ(conv(x) − μ)/√(σ² + ε) + β = conv'(x) with W' = W·s and b' = (b − μ)·s + β, s = γ/√(σ² + ε),
 * per output channel (Ioffe & Szegedy 2015, eq. in §3.1, with the running statistics). Computed in
 * float64 so that the only rounding is the final one to float32.
 * @param weight the convolution's weights, C_out x C_in/groups x kH x kW float32 (output channels first,
 *   as Conv2d holds them; not a transposed convolution's layout).
 * @param bias its bias, C_out float32, or null.
 * @returns new float32 tensors, kept (outliving any tidy() scope): the caller disposes them.
 */
export function foldBatchNorm(weight: Tensor, bias: Tensor | null, bn: BatchNormStats): { weight: Tensor; bias: Tensor } {
  return tidy(() => noGrad(() => {
    const mean = bn.mean.double();
    const root = bn.variance.double().add(bn.eps).sqrt();
    const s = bn.gamma ? bn.gamma.double().div(root) : root.pow(-1);
    const w2 = keep(weight.double().mul(s.view(-1, 1, 1, 1)).float());
    let b2 = (bias ? bias.double().sub(mean) : mean.neg()).mul(s);
    if (bn.beta) b2 = b2.add(bn.beta.double());
    return { weight: w2, bias: keep(b2.float()) };
  }));
}
