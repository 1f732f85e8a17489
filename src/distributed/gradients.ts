// DistributedDataParallel's two synchronisations, for a training loop to call: rank 0's initial state
// to every rank, and gradients averaged over ranks in buckets before each optimizer step.
import { tidy } from '../torch/scope.js';
import { cat } from '../torch/creation.js';
import { BYTES, type DType } from '../torch/dtype.js';
import type { Tensor } from '../torch/tensor.js';
import type { ProcessGroup } from './process-group.js';

/** DDP's default bucket_cap_mb (25 MiB). */
export const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;

/**
 * Splits tensors, in order, into buckets of one dtype holding at most `capBytes` each (a tensor
 * larger than the cap gets a bucket of its own): the indices of each bucket. Pure, so every rank
 * given the same shapes and dtypes makes the same buckets.
 */
export function planBuckets(items: readonly { dtype: DType; numel: number }[], capBytes = DEFAULT_BUCKET_BYTES): number[][] {
  const out: number[][] = [];
  let current: number[] = [], bytes = 0, dtype: DType | null = null;
  items.forEach((t, i) => {
    const b = t.numel * BYTES[t.dtype];
    if (current.length && (t.dtype !== dtype || bytes + b > capBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += b;
    dtype = t.dtype;
  });
  if (current.length) out.push(current);
  return out;
}

/**
 * Replaces each parameter's gradient by its mean over the group's ranks, as DistributedDataParallel
 * does before the optimizer step: gradients are flattened into buckets of about `bucketBytes`
 * (torch.cat), one allreduce per bucket, divided by the world size, and copied back in place.
 * Parameters without a gradient are left out; every rank must have gradients for the same
 * parameters (true when all ranks run the same model code), or the collectives mismatch.
 * @throws the errors of ProcessGroup.allreduce (a lost peer, the timeout).
 */
export async function averageGradients(group: ProcessGroup, params: readonly Tensor[],
  o: { bucketBytes?: number } = {}): Promise<void> {
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  let flats: Tensor[] = [];
  try {
    const buckets = planBuckets(grads, o.bucketBytes ?? DEFAULT_BUCKET_BYTES);
    flats = buckets.map((b) => tidy(() => cat(b.map((i) => grads[i]!.reshape(-1)))));
    await group.allreduce(flats, 'avg');
    buckets.forEach((b, k) => tidy(() => {
      let offset = 0;
      for (const i of b) {
        const g = grads[i]!;
        g.copy_(flats[k]!.narrow(0, offset, g.numel).view(g.shape));
        offset += g.numel;
      }
    }));
  } finally {
    for (const t of [...flats, ...grads]) t.dispose();
  }
}

/**
 * Overwrites parameters and buffers (a module's stateDict() values, in the same order on every rank)
 * with rank `root`'s, as DistributedDataParallel does when it wraps a model.
 */
export async function broadcastState(group: ProcessGroup, tensors: Iterable<Tensor>, root = 0): Promise<void> {
  await group.broadcast([...tensors], root);
}
