// Data sample formats (SEG-Y rev 2, 2017, binary header bytes 3225-3226, table 1): byte widths and
// decoders into float arrays.
import { ibmToNumber, numberToIbm } from './ibm.js';

export interface SampleFormat {
  code: number;
  bytes: number;
  name: string;
}

/** Every format this reader decodes, by its code. Code 4 (fixed point with gain) is obsolete and not read. */
export const FORMATS: ReadonlyMap<number, SampleFormat> = new Map(
  ([
    [1, 4, '4-byte IBM floating point'],
    [2, 4, '4-byte two\'s complement integer'],
    [3, 2, '2-byte two\'s complement integer'],
    [5, 4, '4-byte IEEE floating point'],
    [6, 8, '8-byte IEEE floating point'],
    [7, 3, '3-byte two\'s complement integer'],
    [8, 1, '1-byte two\'s complement integer'],
    [9, 8, '8-byte two\'s complement integer'],
    [10, 4, '4-byte unsigned integer'],
    [11, 2, '2-byte unsigned integer'],
    [12, 8, '8-byte unsigned integer'],
    [15, 3, '3-byte unsigned integer'],
    [16, 1, '1-byte unsigned integer'],
  ] as const).map(([code, bytes, name]) => [code, { code, bytes, name }]),
);

/** Formats a Float32Array cannot always hold exactly: read these into a Float64Array when exactness matters. */
export const WIDE_FORMATS: ReadonlySet<number> = new Set([2, 6, 9, 10, 12]);

/**
 * Decodes `count` samples of format `code` from `src` at byte `offset` into `out` from `outOffset`.
 * Little-endian when `le`. 8-byte integers beyond 2^53 round to the nearest double; anything beyond
 * float32's range becomes ±Infinity in a Float32Array. The caller has checked `code` is in FORMATS.
 */
export function decodeSamples(
  src: Uint8Array, offset: number, count: number, code: number, le: boolean,
  out: Float32Array | Float64Array, outOffset = 0,
): void {
  const v = new DataView(src.buffer, src.byteOffset + offset, count * FORMATS.get(code)!.bytes);
  const o = outOffset;
  switch (code) {
    case 1: for (let i = 0; i < count; i++) out[o + i] = ibmToNumber(v.getUint32(4 * i, le)); break;
    case 2: for (let i = 0; i < count; i++) out[o + i] = v.getInt32(4 * i, le); break;
    case 3: for (let i = 0; i < count; i++) out[o + i] = v.getInt16(2 * i, le); break;
    case 5: for (let i = 0; i < count; i++) out[o + i] = v.getFloat32(4 * i, le); break;
    case 6: for (let i = 0; i < count; i++) out[o + i] = v.getFloat64(8 * i, le); break;
    case 7: case 15: {
      const signed = code === 7;
      for (let i = 0; i < count; i++) {
        const b0 = v.getUint8(3 * i), b1 = v.getUint8(3 * i + 1), b2 = v.getUint8(3 * i + 2);
        const u = le ? b0 | (b1 << 8) | (b2 << 16) : (b0 << 16) | (b1 << 8) | b2;
        out[o + i] = signed && u & 0x800000 ? u - 0x1000000 : u;
      }
      break;
    }
    case 8: for (let i = 0; i < count; i++) out[o + i] = v.getInt8(i); break;
    case 9: for (let i = 0; i < count; i++) out[o + i] = Number(v.getBigInt64(8 * i, le)); break;
    case 10: for (let i = 0; i < count; i++) out[o + i] = v.getUint32(4 * i, le); break;
    case 11: for (let i = 0; i < count; i++) out[o + i] = v.getUint16(2 * i, le); break;
    case 12: for (let i = 0; i < count; i++) out[o + i] = Number(v.getBigUint64(8 * i, le)); break;
    case 16: for (let i = 0; i < count; i++) out[o + i] = v.getUint8(i); break;
    default: throw new Error(`decodeSamples: format ${code} is not decoded`);
  }
}

/** The formats the writer writes: IEEE float32 (5) and IBM float (1). */
export type WriteFormat = 1 | 5;

/** Encodes `count` samples from `src` (from `srcOffset`) as format 5 or 1 into `dst` at byte `offset`. */
export function encodeSamples(
  src: ArrayLike<number>, srcOffset: number, count: number, code: WriteFormat, le: boolean,
  dst: Uint8Array, offset: number,
): void {
  const v = new DataView(dst.buffer, dst.byteOffset + offset, count * 4);
  if (code === 5) for (let i = 0; i < count; i++) v.setFloat32(4 * i, src[srcOffset + i]!, le);
  else for (let i = 0; i < count; i++) v.setUint32(4 * i, numberToIbm(src[srcOffset + i]!), le);
}
