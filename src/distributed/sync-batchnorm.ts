// SyncBatchNorm's training forward: batch statistics over every rank's batch (the global batch) rather
// than each rank's own, as torch.nn.SyncBatchNorm, built from ATen ops around one differentiable
// allreduce so that autograd gives exactly BatchNorm's gradients over the global batch.
import { noGrad } from '../torch/autograd.js';
import { cat, fromArray } from '../torch/creation.js';
import type { Tensor } from '../torch/tensor.js';
import type { ProcessGroup } from './process-group.js';

export interface SyncBatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** PyTorch's convention: running = (1 - momentum) * running + momentum * batch statistic. */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation in training mode with the statistics of the global batch: per channel, the mean
 * and biased variance over every rank's N × H × W values normalise this rank's `x`; runningMean and
 * runningVar (when given) move towards the global mean and the global unbiased variance (× count /
 * (count − 1), count the global N × H × W), as one process holding the whole batch would with
 * F.batchNorm. Gradients flow through the statistics to every rank's input (the allreduce's backward
 * sums them over the ranks), so they are BatchNorm's over the global batch (Ioffe & Szegedy 2015,
 * eq. in §3; torch.nn.SyncBatchNorm's semantics). The sums are taken in float64, so E[x²] − E[x]²
 * loses nothing to cancellation at float32 precision.
 *
 * One collective per call (a [2C + 1] float64 tensor: Σx, Σx², count), in the forward, and one in the
 * backward; every rank must call it for the same layers in the same order and run backward. It blocks
 * the JS thread while it waits (tiny tensors; the group's timeout bounds the wait).
 * @param x [N, C, ...] float32, float64 or bfloat16 (under autocast; the arithmetic is done in float32
 *   and the result cast back); ranks may hold different N.
 * @param runningMean, runningVar [C] float32 buffers updated in place (without autograd), or null.
 * @returns [N, C, ...] in x's dtype.
 * @throws Error when the global batch has one value per channel (as BatchNorm: no variance to take);
 *   the errors of ProcessGroup.allreduceSumAutograd (a lost peer, the timeout).
 */
export function syncBatchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, group: ProcessGroup,
  o: SyncBatchNormOptions = {}): Tensor {
  if (x.ndim < 2) throw new Error(`syncBatchNorm expects [N, C, ...] input, got shape [${x.shape}]`);
  const c = x.shape[1]!, eps = o.eps ?? 1e-5, momentum = o.momentum ?? 0.1;
  const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
  const xd = x.to('float64');
  const local = cat([xd.sum(dims), xd.mul(xd).sum(dims), fromArray(Float64Array.of(x.numel / c), [1])]);
  const global = group.allreduceSumAutograd(local);
  const count = global.narrow(0, 2 * c, 1).item();
  if (count <= 1) throw new Error(`syncBatchNorm: expected more than 1 value per channel over the ranks' batches when training, got input [${x.shape}] and ${count} in all`);
  const mean = global.narrow(0, 0, c).div(count);
  // Rounding could take the variance of a constant channel a hair below 0; clamping keeps rsqrt finite.
  const variance = global.narrow(0, c, c).div(count).sub(mean.mul(mean)).clamp(0);
  const invstd = variance.add(eps).rsqrt();
  const shape = [1, c, ...dims.slice(1).map(() => 1)];
  // Normalised in float64 too: backward's per-channel sums (through the mean, the variance and the
  // affine weight) cancel heavily, and libtorch's own kernel takes them in double as well.
  let y = xd.sub(mean.view(shape)).mul(invstd.view(shape));
  if (o.weight) y = y.mul(o.weight.to('float64').view(shape));
  if (o.bias) y = y.add(o.bias.to('float64').view(shape));
  noGrad(() => {
    if (runningMean) runningMean.mul_(1 - momentum).add_(mean.to(runningMean.dtype), momentum);
    if (runningVar) runningVar.mul_(1 - momentum).add_(variance.mul(count / (count - 1)).to(runningVar.dtype), momentum);
  });
  return y.dtype === x.dtype ? y : y.to(x.dtype);
}
