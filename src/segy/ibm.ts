// IBM System/360 hexadecimal floating point, SEG-Y sample format 1 (SEG-Y rev 2, 2017, appendix D):
// sign bit, 7-bit base-16 exponent biased by 64, 24-bit fraction: (-1)^s * 0.F * 16^(e-64).

/** 2^(4(e-64)-24) for every exponent e, so that value = fraction * SCALE[e] (exact in float64). */
const SCALE = Float64Array.from({ length: 128 }, (_, e) => 2 ** (4 * (e - 64) - 24));

/**
 * The value of a 32-bit IBM float (given as its unsigned bit pattern) as a float64. Exact: a 24-bit
 * fraction times a power of two always fits a double. Range about 5.4e-79 to 7.2e75; values beyond
 * float32's range become ±Infinity or 0 when stored in a Float32Array.
 */
export function ibmToNumber(bits: number): number {
  const v = (bits & 0xffffff) * SCALE[(bits >>> 24) & 0x7f]!;
  return bits & 0x80000000 ? -v : v;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // index of the high word

/**
 * The 32-bit IBM float bit pattern nearest to x (round half to even on the 24-bit fraction). Exact for
 * every value with at most 21 significant bits (so every integer up to 2^21) and for most float32s;
 * float32s whose leading hex digit is small can lose up to 3 low bits. Magnitudes beyond IBM's range
 * saturate at the largest IBM float; below its smallest they flush to zero. NaN is an error for the
 * caller to catch first: it becomes 0x7fffffff here.
 */
export function numberToIbm(x: number): number {
  if (x === 0 || Number.isNaN(x)) return Number.isNaN(x) ? 0x7fffffff : 0;
  const sign = x < 0 ? 0x80000000 : 0;
  const a = Math.abs(x);
  if (!Number.isFinite(a)) return (sign | 0x7fffffff) >>> 0;
  f64[0] = a;
  // a = m * 2^k with m in [0.5, 1): k from the double's exponent field (denormals do not occur for
  // anything IBM can hold above its own underflow, which we flush anyway).
  const k = ((u32[HI]! >>> 20) & 0x7ff) - 1022;
  let e = Math.ceil(k / 4); // a < 16^e, a >= 16^(e-1)
  let frac = a * 2 ** (24 - 4 * e); // in [2^20, 2^24)
  let r = Math.round(frac);
  if (r - frac === 0.5 && r % 2 === 1) r -= 1; // ties to even
  frac = r;
  if (frac >= 0x1000000) { frac /= 16; e += 1; }
  if (e + 64 > 127) return (sign | 0x7fffffff) >>> 0;
  if (e + 64 < 0) {
    // Below the normal range: keep exponent 0 with leading zero hex digits while any bits remain.
    const shift = -(e + 64);
    if (shift > 5) return 0;
    frac = Math.round(frac / 16 ** shift);
    e = -64;
    if (frac === 0) return 0;
  }
  return (sign | ((e + 64) << 24) | frac) >>> 0;
}
