// Applies steps in order and drops each intermediate handle as soon as the next step has used it,
// so activations are held by autograd alone and memory falls as backward frees them.
import type { Tensor } from '../torch/tensor.js';

export type Step = (x: Tensor) => Tensor;

export function chain(x: Tensor, ...steps: Step[]): Tensor {
  let out = x;
  for (const step of steps) {
    const next = step(out);
    if (out !== x) out.dispose();
    out = next;
  }
  return out;
}
