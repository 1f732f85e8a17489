// A strided transposed convolution as one ordinary convolution and a pixel shuffle: the sub-pixel form
// (Shi et al. 2016, "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel
// Convolutional Neural Network", §2.2). libtorch 1.13 runs conv_transpose2d on its im2col path
// (slow_conv_transpose2d) but conv2d on oneDNN: the residual U-Net's four upsamplers took 14% of an
// inference batch for 4% of its FLOPs. Each output of the sub-pixel convolution sums the same products
// as the transposed convolution's (plus exact zeros), in another order, so the two agree to float32
// rounding (~1e-7), not bit for bit.
import { noGrad } from '../torch/autograd.js';
import * as F from '../torch/functional.js';
import { buildInfo } from '../torch/runtime.js';
import { keep, tidy } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';

/**
 * Whether the sub-pixel form is the faster one on `device`: on a CPU where libtorch has oneDNN (MKL-DNN),
 * which runs conv2d, while conv_transpose2d stays on the im2col path.
 */
export function subPixelPays(device: string): boolean {
  return device === 'cpu' && buildInfo().mkldnn;
}

/** A transposed convolution's geometry (dilation 1, groups 1, the same stride both ways). */
export interface SubPixelGeometry {
  stride: number;
  padding: [number, number];
  outputPadding: [number, number];
  kernel: [number, number];
}

export interface SubPixelWeights {
  /** C_out·s² x C_in x J_h x J_w float32, J = ⌈K/s⌉; output channel (c·s + r_h)·s + r_w is phase (r_h, r_w) of channel c. */
  weight: Tensor;
  /** C_out·s² float32 (each bias repeated s² times), or null. */
  bias: Tensor | null;
}

/**
 * The sub-pixel convolution of a transposed convolution, as ATen ops on the weights. Along one axis,
 * output o of a stride-s transposed convolution is Σ x[i]·w[k] over o + p = s·i + k; with
 * o + p = s·q + r, k = s·j + r and i = q − j, so phase r of output q is a correlation of x with the taps
 * w[s·j + r], j < J (flipped):
 * W'[(c·s + r_h)·s + r_w, ci, t_h, t_w] = W[ci, c, s·(J_h−1−t_h) + r_h, s·(J_w−1−t_w) + r_w], 0 past the kernel
 * (the kernel is zero-padded to J·s, then viewed as J x s, flipped along J and permuted).
 * @param weight the transposed convolution's weights, C_in x C_out x K_h x K_w (PyTorch's layout).
 * @param bias C_out, or null.
 * @returns C_out·s² x C_in x J_h x J_w weights and C_out·s² bias (each bias repeated s² times), new
 *   contiguous float32 tensors on weight's device, kept (outliving any tidy() scope): the caller disposes them.
 */
export function subPixelWeights(weight: Tensor, bias: Tensor | null, stride: number): SubPixelWeights {
  return tidy(() => noGrad(() => {
    const [cin, cout, kh, kw] = weight.shape as [number, number, number, number];
    const s = stride, jh = Math.ceil(kh / s), jw = Math.ceil(kw / s);
    const w32 = weight.float();
    const padded = jh * s === kh && jw * s === kw ? w32 : F.pad(w32, [0, jw * s - kw, 0, jh * s - kh]);
    const w = padded.reshape(cin, cout, jh, s, jw, s).flip(2, 4).permute(1, 3, 5, 0, 2, 4).reshape(cout * s * s, cin, jh, jw);
    const b = bias ? bias.float().view(-1, 1).expand(cout, s * s).reshape(-1) : null;
    return { weight: keep(w.contiguous()), bias: b ? keep(b.contiguous()) : null };
  }));
}

/**
 * The transposed convolution of x (N x C_in x H x W float32) through its sub-pixel weights: one conv2d,
 * a pixel shuffle into x's memory format (channels-last stays channels-last) and a crop to the
 * transposed convolution's size, H_out = (H − 1)·s − 2·p + K + output_padding.
 * @returns N x C_out x H_out x W_out, a view of the shuffled tensor (the crop copies nothing).
 */
export function subPixelConvTranspose(x: Tensor, w: SubPixelWeights, g: SubPixelGeometry): Tensor {
  const [n, , h, wd] = x.shape as [number, number, number, number];
  const s = g.stride;
  const cout = w.weight.size(0) / (s * s);
  const jh = w.weight.size(2), jw = w.weight.size(3);
  const ho = (h - 1) * s - 2 * g.padding[0] + g.kernel[0] + g.outputPadding[0];
  const wo = (wd - 1) * s - 2 * g.padding[1] + g.kernel[1] + g.outputPadding[1];
  // Pad past J − 1 only where output_padding reaches beyond the last phase's taps (outputs that are bias alone).
  const ph = Math.max(jh - 1, Math.ceil((ho + g.padding[0]) / s) - h), pw = Math.max(jw - 1, Math.ceil((wo + g.padding[1]) / s) - wd);
  const z = F.conv2d(x, w.weight, w.bias, { padding: [ph, pw] });
  const [, , h2, w2] = z.shape as [number, number, number, number];
  const phases = z.view(n, cout, s, s, h2, w2);
  const channelsLast = !z.isContiguous() && z.isContiguous('channelsLast');
  const u = channelsLast
    ? phases.permute(0, 4, 2, 5, 3, 1).contiguous().view(n, h2 * s, w2 * s, cout).permute(0, 3, 1, 2)
    : phases.permute(0, 1, 4, 2, 5, 3).contiguous().view(n, cout, h2 * s, w2 * s);
  const top = g.padding[0] + s * (ph - jh + 1), left = g.padding[1] + s * (pw - jw + 1);
  return u.narrow(2, top, ho).narrow(3, left, wo);
}
