// Gradient-mode and autocast scopes. Gradients themselves live on Tensor (requiresGrad, backward, grad).
import { native } from './native.js';

/** Runs fn between enter() and the undo it returns. Both modes are thread state, so fn must be synchronous. */
function scoped<T>(name: string, enter: () => () => void, fn: () => T): T {
  const leave = enter();
  try {
    const r = fn();
    if (r instanceof Promise) throw new Error(`${name} takes a synchronous function`);
    return r;
  } finally {
    leave();
  }
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  return scoped('noGrad()/enableGrad()', () => {
    const prev = native.setGradEnabled(enabled);
    return () => native.setGradEnabled(prev);
  }, fn);
}

/** Runs fn without recording autograd history (inference, metric computation, optimizer steps). */
export function noGrad<T>(fn: () => T): T { return withGradMode(false, fn); }
export function enableGrad<T>(fn: () => T): T { return withGradMode(true, fn); }
export function isGradEnabled(): boolean { return native.isGradEnabled(); }

// In dtype.ts, which loads no addon, so that the command line can list them before libtorch loads.
export { PRECISIONS, type Precision } from './dtype.js';
import type { Precision } from './dtype.js';

/**
 * Runs fn with torch.autocast on `device`: convolutions and matrix products in bfloat16, the rest as
 * autocast's op lists say. Results may be bfloat16; take losses on `.float()` of them.
 */
export function autocast<T>(device: string, precision: Precision, fn: () => T): T {
  if (precision === 'fp32') return fn();
  const kind = device.startsWith('cuda') ? 'cuda' : 'cpu';
  return scoped('autocast()', () => {
    const prev = native.autocastEnter(kind, 'bfloat16');
    return () => native.autocastExit(kind, prev);
  }, fn);
}
