// Records the addon calls a computation makes: the graph a model export (src/export/) translates op by
// op. Every tensor passes through the addon as a handle, so one wrapper around each of its functions
// sees the whole computation, whichever layer, block or model code made the call.
import { native, type NativeHandle } from './native.js';

/** One addon call that made a tensor (or changed one in place): its name, arguments as passed (tensors as handles) and result. */
export interface TracedCall {
  op: string;
  args: readonly unknown[];
  /** The new tensor's handle, the handles of a call that returns several, or undefined for an in-place op. */
  result: NativeHandle | NativeHandle[] | undefined;
}

let tracing = false;

const isHandle = (v: unknown): v is NativeHandle => typeof v === 'bigint';
const makesTensor = (r: unknown) => isHandle(r) || (Array.isArray(r) && r.length > 0 && r.every(isHandle));

/**
 * Runs `fn` with every addon call that returns a new tensor, or whose name ends in `_` (in place),
 * reported to `onCall` as it returns, in order. Calls that only read facts (shape, dtype, release,
 * grad mode) are not reported, nor are calls `onCall` itself makes, so it may read or copy the
 * tensors it is shown. The addon is restored when fn returns or throws.
 * @throws Error when a trace is already running (traces do not nest).
 */
export function traceCalls<T>(fn: () => T, onCall: (c: TracedCall) => void): T {
  if (tracing) throw new Error('traceCalls: a trace is already running');
  const binding = native as unknown as Record<string, unknown>;
  const originals = new Map<string, (...a: unknown[]) => unknown>();
  for (const [name, f] of Object.entries(binding)) if (typeof f === 'function') originals.set(name, f as (...a: unknown[]) => unknown);
  let inCallback = false;
  for (const [name, f] of originals) {
    binding[name] = (...args: unknown[]) => {
      const result = f(...args);
      if (!inCallback && (makesTensor(result) || name.endsWith('_'))) {
        inCallback = true;
        try {
          onCall({ op: name, args, result: result as TracedCall['result'] });
        } finally {
          inCallback = false;
        }
      }
      return result;
    };
  }
  tracing = true;
  try {
    const r = fn();
    if (r instanceof Promise) throw new Error('traceCalls takes a synchronous function');
    return r;
  } finally {
    for (const [name, f] of originals) binding[name] = f;
    tracing = false;
  }
}
