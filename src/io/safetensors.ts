// safetensors, the weights format Python's `safetensors` and Hugging Face read: an 8-byte
// little-endian header length, a JSON header (dtype, shape, byte offsets; string metadata under
// "__metadata__"), then the raw little-endian tensor bytes.
import { readFileSync } from 'node:fs';
import { native } from '../torch/native.js';
import { Tensor, wrap } from '../torch/tensor.js';
import { BYTES, type DType } from '../torch/dtype.js';
import { writeFileAtomic } from './atomic.js';
import { readReason } from './errno.js';

const CODE: Record<DType, string> = {
  float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', uint8: 'U8', bool: 'BOOL',
};
const FROM_CODE = new Map(Object.entries(CODE).map(([d, c]) => [c, d as DType]));
const MAX_HEADER = 100 * 1024 * 1024;

export type Metadata = Record<string, string>;

export class SafetensorsError extends Error {
  constructor(file: string, what: string) {
    super(`${file}: ${what}`);
    this.name = 'SafetensorsError';
  }
}

/** Serialises tensors (in the given order) and metadata to safetensors bytes. */
export function encodeSafetensors(tensors: Map<string, Tensor>, metadata: Metadata = {}): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`safetensors metadata values must be strings; '${k}' is ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error('a tensor cannot be named __metadata__');
    const bytes = new Uint8Array(native.toBuffer(t.handle));
    header[name] = { dtype: CODE[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  // The header is padded with spaces to a multiple of 8 so tensor data stays aligned, as the
  // reference implementation does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  return [len, head, ...blobs];
}

export function saveSafetensors(path: string, tensors: Map<string, Tensor>, metadata: Metadata = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export interface Loaded {
  tensors: Map<string, Tensor>;
  metadata: Metadata;
}

/** Parses safetensors bytes, validating every entry; `file` names the source in errors. */
export function decodeSafetensors(buf: Uint8Array, file = '<buffer>'): Loaded {
  const fail = (what: string): never => { throw new SafetensorsError(file, what); };
  if (buf.length < 8) fail(`truncated: ${buf.length} bytes, not even the 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER) fail(`corrupt: header length ${n} is implausible (not a safetensors file?)`);
  if (8 + n > buf.length) fail(`truncated: header needs ${n} bytes but only ${buf.length - 8} follow`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, n).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    return fail(`corrupt header: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('corrupt header: not a JSON object');
  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;
  const metadata: Metadata = {};
  const entries: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`corrupt header: metadata '${k}' is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = FROM_CODE.get(String(e?.dtype));
    if (!dtype) fail(`tensor '${name}': unsupported dtype ${JSON.stringify(e?.dtype)}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) fail(`tensor '${name}': bad shape ${JSON.stringify(shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}': bad data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    const want = (shape as number[]).reduce((a, b) => a * b, 1) * BYTES[dtype!];
    if (end < begin || end - begin !== want) fail(`tensor '${name}': offsets [${begin}, ${end}] hold ${end - begin} bytes, shape [${shape}] of ${dtype} needs ${want}`);
    if (end > dataLen) fail(`truncated: tensor '${name}' ends at byte ${end} of the data, but the file has only ${dataLen} data bytes`);
    entries.push({ name, dtype: dtype!, shape: shape as number[], begin, end });
  }
  // The data must be covered exactly once, in order, as the reference reader insists.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos) fail(`corrupt: tensor '${e.name}' starts at byte ${e.begin}, expected ${pos} (gap or overlap)`);
    pos = e.end;
  }
  if (pos !== dataLen) fail(`corrupt: ${dataLen - pos} trailing bytes after the last tensor`);
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const bytes = buf.subarray(dataStart + e.begin, dataStart + e.end);
    tensors.set(e.name, wrap(native.fromBuffer(bytes, e.shape, e.dtype)));
  }
  return { tensors, metadata };
}

export function loadSafetensors(path: string): Loaded {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new SafetensorsError(path, `cannot read: ${readReason(e)}`);
  }
  return decodeSafetensors(buf, path);
}
