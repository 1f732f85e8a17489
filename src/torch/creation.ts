// Making tensors: from typed arrays and nested numbers, constants, ranges and random draws.
import { native } from './native.js';
import { Tensor, wrap } from './tensor.js';
import { dtypeOf, type DType, type Device, type TypedArray } from './dtype.js';

export interface Options {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

function finish(t: Tensor, o: Options): Tensor {
  let out = t;
  if (o.device !== undefined && o.device !== 'cpu') {
    out = t.to(o.device);
    t.dispose();
  }
  if (o.requiresGrad) out.requiresGrad = true;
  return out;
}

/** A tensor holding a copy of `data` with the given shape (default: 1-D). */
export function fromArray(data: TypedArray | number[], shape?: number[], options: Options = {}): Tensor {
  const dtype = options.dtype ?? (Array.isArray(data) ? 'float32' : dtypeOf(data));
  let arr = Array.isArray(data) ? toTyped(data, dtype) : data;
  // Node-API cannot read typed arrays over a SharedArrayBuffer (worker-decoded tiles); copy those.
  if (arr.buffer instanceof SharedArrayBuffer) arr = arr.slice();
  const t = wrap(native.fromBuffer(arr, shape ?? [arr.length], dtype));
  return finish(t, options);
}

/** A tensor from (nested) JS numbers, e.g. tensor([[1, 2], [3, 4]]). */
export function tensor(data: number | number[] | number[][] | number[][][] | number[][][][], options: Options = {}): Tensor {
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) { shape.push(probe.length); probe = probe[0]; }
  const flatData = (Array.isArray(data) ? (data as unknown[]).flat(Infinity) : [data]) as number[];
  return fromArray(flatData, shape, options);
}

function toTyped(data: number[], dtype: DType): TypedArray {
  switch (dtype) {
    case 'float32': return Float32Array.from(data);
    case 'float64': return Float64Array.from(data);
    case 'int64': return BigInt64Array.from(data, (v) => BigInt(Math.trunc(v)));
    case 'int32': return Int32Array.from(data);
    case 'uint8':
    case 'bool': return Uint8Array.from(data, (v) => (dtype === 'bool' ? (v ? 1 : 0) : v));
    default: throw new TypeError(`cannot build a ${dtype} tensor from JS numbers; make a float32 tensor and convert it`);
  }
}

const dt = (o: Options): DType => o.dtype ?? 'float32';
const dev = (o: Options): Device => o.device ?? 'cpu';

export function zeros(shape: number[], o: Options = {}): Tensor { return req(wrap(native.zeros(shape, dt(o), dev(o))), o); }
export function ones(shape: number[], o: Options = {}): Tensor { return req(wrap(native.ones(shape, dt(o), dev(o))), o); }
export function empty(shape: number[], o: Options = {}): Tensor { return req(wrap(native.empty(shape, dt(o), dev(o))), o); }
export function full(shape: number[], value: number, o: Options = {}): Tensor {
  return req(wrap(native.full(shape, value, dt(o), dev(o))), o);
}
/** Uniform on [0, 1), from the global generator (see manualSeed). */
export function rand(shape: number[], o: Options = {}): Tensor { return req(wrap(native.rand(shape, dt(o), dev(o))), o); }
/** Standard normal, from the global generator. */
export function randn(shape: number[], o: Options = {}): Tensor { return req(wrap(native.randn(shape, dt(o), dev(o))), o); }
/** Integers uniform on [low, high). */
export function randint(low: number, high: number, shape: number[], o: Options = {}): Tensor {
  return wrap(native.randint(low, high, shape, o.dtype ?? 'int64', dev(o)));
}
export function randperm(n: number, o: Options = {}): Tensor { return wrap(native.randperm(n, o.dtype ?? 'int64', dev(o))); }
/** Values from start (inclusive) to end (exclusive) by step; integers default to int64 as in PyTorch. */
export function arange(start: number, end?: number, step = 1, o: Options = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  const integral = Number.isInteger(s) && Number.isInteger(e) && Number.isInteger(step);
  return req(wrap(native.arange(s, e, step, o.dtype ?? (integral ? 'int64' : 'float32'), dev(o))), o);
}
export function zerosLike(t: Tensor, o: Options = {}): Tensor { return zeros(t.shape, { dtype: t.dtype, device: t.device as Device, ...o }); }
export function onesLike(t: Tensor, o: Options = {}): Tensor { return ones(t.shape, { dtype: t.dtype, device: t.device as Device, ...o }); }
export function fullLike(t: Tensor, v: number, o: Options = {}): Tensor {
  return full(t.shape, v, { dtype: t.dtype, device: t.device as Device, ...o });
}

function req(t: Tensor, o: Options): Tensor {
  if (o.requiresGrad) t.requiresGrad = true;
  return t;
}

export function cat(tensors: Tensor[], dim = 0): Tensor { return wrap(native.cat(tensors.map((t) => t.handle), dim)); }
export function stack(tensors: Tensor[], dim = 0): Tensor { return wrap(native.stack(tensors.map((t) => t.handle), dim)); }
/** Elementwise choice: a where cond is true, else b. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  return wrap(native.where(cond.handle, typeof a === 'number' ? a : a.handle, typeof b === 'number' ? b : b.handle));
}
