// Typed-array helpers for tile sets held as one flat array.

/** The arrays one after another, in a new array of the same type. */
export function concatTyped<A extends Float32Array | Uint8Array>(parts: readonly A[]): A {
  const out = new (parts[0]!.constructor as new (n: number) => A)(parts.reduce((a, x) => a + x.length, 0));
  let o = 0;
  for (const x of parts) { out.set(x, o); o += x.length; }
  return out;
}
