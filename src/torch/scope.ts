// Deterministic release of native tensors, after TensorFlow.js' tidy/keep/dispose. A tensor made
// inside tidy() is disposed when the scope ends unless it is returned or kept. GC finalisation of
// the native handle is only the backstop.

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
  /** Told when it leaves every scope, so it can arrange its own GC backstop. */
  unscoped?(): void;
}

const scopes: Set<Disposable>[] = [];
const kept = new WeakSet<Disposable>();

/** Adds t to the innermost scope; false when no scope is open (or t is kept). */
export function track(t: Disposable): boolean {
  const top = scopes[scopes.length - 1];
  if (top === undefined || kept.has(t)) return false;
  top.add(t);
  return true;
}

/** Exempts a tensor from every enclosing tidy() scope; it lives until dispose() (or GC). */
export function keep<T extends Disposable>(t: T): T {
  kept.add(t);
  let owned = false;
  for (const s of scopes) owned = s.delete(t) || owned;
  if (owned) t.unscoped?.();
  return t;
}

function collect(value: unknown, out: Set<Disposable>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (isDisposable(value)) { out.add(value); return; }
  if (Array.isArray(value)) { for (const v of value) collect(v, out, seen); return; }
  if (value instanceof Map) { for (const v of value.values()) collect(v, out, seen); return; }
  if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, seen);
}

function isDisposable(v: object): v is Disposable {
  return typeof (v as Disposable).dispose === 'function' && 'isDisposed' in v;
}

/**
 * Runs fn and disposes every tensor it created, except those in its result (tensors, arrays,
 * plain objects and maps of them), which move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new Error('tidy() takes a synchronous function: tensors cannot be tracked across an await');
  }
  const survivors = new Set<Disposable>();
  collect(result, survivors);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (!survivors.has(t)) t.dispose();
    else if (parent) parent.add(t);
    else t.unscoped?.();
  }
  return result;
}

/** Disposes tensors found in a value (a tensor, array, or plain object of them). */
export function dispose(value: unknown): void {
  const found = new Set<Disposable>();
  collect(value, found);
  for (const t of found) t.dispose();
}

/** How many tidy() scopes are open: 0 outside any. */
export function scopeDepth(): number {
  return scopes.length;
}
