// Files the pages offer for download, made in the browser: a mask PNG as halite predict --masks
// writes it, and probabilities as a NumPy .npy array.
import { encode } from 'fast-png';

/** A 0/1 mask as an 8-bit grey PNG with salt 255 and the rest 0, as `halite predict --masks` writes masks. */
export function maskPng(mask: Uint8Array, width: number, height: number): Uint8Array {
  return encode({ width, height, data: mask.map((v) => (v ? 255 : 0)), channels: 1, depth: 8 });
}

/**
 * Row-major float32 values as a NumPy .npy file (format version 1.0: magic "\x93NUMPY", version,
 * little-endian uint16 header length, a Python-literal header padded with spaces to a multiple of
 * 64 bytes and ended by "\n", then the data; numpy.lib.format, NEP 1). np.load reads it as an
 * array of shape (height, width), dtype float32.
 */
export function npyFloat32(values: Float32Array, height: number, width: number): Uint8Array {
  if (values.length !== height * width) throw new RangeError(`${values.length} values for shape (${height}, ${width})`);
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${height}, ${width}), }`;
  const pre = 10, total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict + ' '.repeat(total - pre - dict.length - 1) + '\n';
  const out = new Uint8Array(total + values.byteLength);
  out.set([0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0)), 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const data = new DataView(out.buffer, total);
  for (let i = 0; i < values.length; i++) data.setFloat32(4 * i, values[i]!, true);
  return out;
}

/** Offers bytes as a file download with `name`. */
export function saveAs(bytes: Uint8Array, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes.slice()], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
