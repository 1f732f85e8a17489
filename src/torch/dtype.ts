// Element types and the typed arrays that carry them across the binding.
export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'uint8' | 'bool';
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
export type MemoryFormat = 'contiguous' | 'channelsLast';

/** The training precisions: fp32, or bfloat16 autocast (mixed precision, weights and optimizer stay fp32). */
export const PRECISIONS = ['fp32', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];
/** What a training config may name: one of the two, or auto, picked for the machine (cpu-features.ts, autoPrecision). */
export const TRAIN_PRECISIONS = [...PRECISIONS, 'auto'] as const;
export type TrainPrecision = (typeof TRAIN_PRECISIONS)[number];

export type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

/** The typed array that holds each dtype's elements (float16/bfloat16 as raw 16-bit words). */
export function arrayFor(dtype: DType, buffer: ArrayBuffer): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer);
    case 'float64': return new Float64Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'uint8':
    case 'bool': return new Uint8Array(buffer);
    case 'float16':
    case 'bfloat16': return new Uint16Array(buffer);
  }
}

/** The dtype a typed array stands for when no dtype is given. */
export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'uint8';
  throw new TypeError('Uint16Array is ambiguous: pass dtype float16 or bfloat16');
}

export const BYTES: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, uint8: 1, bool: 1,
};

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}
