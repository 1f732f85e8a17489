// Gradient-mode scopes. Gradients themselves live on Tensor (requiresGrad, backward, grad).
import { native } from './native.js';

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev: boolean = native.setGradEnabled(enabled);
  try {
    const r = fn();
    if (r instanceof Promise) throw new Error('noGrad()/enableGrad() take a synchronous function');
    return r;
  } finally {
    native.setGradEnabled(prev);
  }
}

/** Runs fn without recording autograd history (inference, metric computation, optimizer steps). */
export function noGrad<T>(fn: () => T): T { return withGradMode(false, fn); }
export function enableGrad<T>(fn: () => T): T { return withGradMode(true, fn); }
export function isGradEnabled(): boolean { return native.isGradEnabled(); }
