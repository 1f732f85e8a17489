// Typed-array helpers for tile sets held as one flat array.

/** The arrays one after another, in a new array of the same type. */
export function concatTyped<A extends Float32Array | Uint8Array>(parts: readonly A[]): A {
  const out = new (parts[0]!.constructor as new (n: number) => A)(parts.reduce((a, x) => a + x.length, 0));
  let o = 0;
  for (const x of parts) { out.set(x, o); o += x.length; }
  return out;
}

/** The index of the first NaN or ±Infinity in `a` from `from` up to `to`, or -1 when every value is finite. */
export function firstNonFinite(a: ArrayLike<number>, from = 0, to = a.length): number {
  for (let i = from; i < to; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}
