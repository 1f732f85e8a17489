// The one PNG decoder of halite: tiles, masks, `predict` and `explore` inputs and web uploads all come
// through here, and leave as the one grey channel PIL's `convert('L')` gives.
// Two maintained libraries share the work (PNG spec, 3rd ed., 11.2.2): pngjs expands what needs
// expanding (1/2/4-bit samples packed per byte-padded row, palettes, Adam7 interlacing) to RGBA;
// fast-png reads the plain 8- and 16-bit kinds (the TGS tiles and masks) 1.2x and 4.5x faster than
// pngjs, whose per-pixel path for 16-bit samples is slow (1500 tiles: 618 vs 722 ms, 16-bit masks
// 231 vs 1037 ms).
import { decode as fastDecode } from 'fast-png';
import pngjs from 'pngjs';

export class PngError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PngError';
  }
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** PNG colour types (PNG spec 11.2.2 IHDR). */
const PALETTE = 3;

export interface PngHeader {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  depth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
}

export interface DecodedPng extends PngHeader {
  /**
   * `channels` samples a pixel, row-major. Palette images hold the palette colours (8 bit). Other
   * images hold their samples unscaled: 0..2^depth-1, in a Uint16Array for 16 bit.
   */
  samples: Uint8Array | Uint16Array;
  /** 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA, and any file pngjs expanded). */
  channels: number;
  /** Whether channels 0-2 are R, G, B (else channel 0 is grey). */
  colour: boolean;
  /** The largest sample value: 2^depth - 1, or 255 for palette colours. */
  max: number;
}

/** Whether `bytes` start with the 8-byte PNG signature (PNG spec 5.2). */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * The IHDR fields, read without decoding, so that a size can be refused before pixels are
 * allocated. Throws PngError naming `name` when the bytes are not a PNG or the header is cut short.
 */
export function readPngHeader(bytes: Uint8Array, name: string): PngHeader {
  if (bytes.length === 0) throw new PngError(`${name}: not a readable PNG: the file is empty (0 bytes)`);
  if (!isPng(bytes)) throw new PngError(`${name}: not a readable PNG: the file does not start with the PNG signature (is it a PNG at all?)`);
  if (bytes.length < 33) throw new PngError(`${name}: not a readable PNG (corrupt or truncated): ${bytes.length} bytes end before the IHDR header does`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new PngError(`${name}: not a readable PNG (corrupt or truncated): the first chunk is not IHDR`);
  return { width: v.getUint32(16), height: v.getUint32(20), depth: bytes[24]!, colorType: bytes[25]!, interlaced: bytes[28] === 1 };
}

/**
 * The bytes without their tRNS chunk. pngjs zeroes the colour of a grey or RGB pixel that tRNS
 * marks transparent; PIL's `convert('L')` keeps the colour and so does halite (alpha is not a
 * seismic value). A palette's tRNS only adds alpha to its entries and stays.
 */
function withoutTransparency(bytes: Uint8Array, colorType: number): Uint8Array {
  if (colorType === PALETTE) return bytes;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let pos = 8; pos + 8 <= bytes.length;) {
    const len = v.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const end = pos + 12 + len;
    if (type === 'tRNS') {
      const out = new Uint8Array(bytes.length - (end - pos));
      out.set(bytes.subarray(0, pos));
      out.set(bytes.subarray(end), pos);
      return out;
    }
    if (type === 'IDAT' || type === 'IEND') return bytes; // tRNS must precede IDAT (PNG spec 5.6)
    pos = end;
  }
  return bytes;
}

/**
 * Decodes a PNG of any colour type and bit depth (CRCs checked). `name` (a path or an upload's file
 * name) starts every error message. Throws PngError for bytes that are not a PNG, or a PNG that is
 * corrupt or truncated.
 */
export function decodePng(bytes: Uint8Array, name: string): DecodedPng {
  const header = readPngHeader(bytes, name);
  const n = header.width * header.height;
  const corrupt = (why: string) => new PngError(`${name}: not a readable PNG (corrupt or truncated): ${why}`);
  // Inflate errors can end in an empty detail ("Error while decompressing the data: "): say what it means.
  const reason = (e: unknown) => {
    const m = (e as Error).message.replace(/[:\s]+$/, '');
    return /decompress|inflate/i.test(m) ? `${m}: the compressed pixel data (IDAT) is cut short or damaged` : m || 'the decoder gave no reason';
  };
  if (header.depth >= 8 && header.colorType !== PALETTE && !header.interlaced) {
    let png: ReturnType<typeof fastDecode>;
    try {
      png = fastDecode(bytes, { checkCrc: true });
    } catch (e) {
      throw corrupt(reason(e));
    }
    if (png.data.length !== n * png.channels) throw corrupt(`${png.data.length / png.channels} pixels decoded for ${header.width}x${header.height}`);
    return { ...header, samples: png.data as Uint8Array | Uint16Array, channels: png.channels, colour: png.channels >= 3, max: 2 ** header.depth - 1 };
  }
  let png: ReturnType<typeof pngjs.PNG.sync.read>;
  try {
    const b = withoutTransparency(bytes, header.colorType);
    png = pngjs.PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength), { skipRescale: true });
  } catch (e) {
    throw corrupt(reason(e));
  }
  const samples = png.data as unknown as Uint8Array | Uint16Array;
  if (samples.length !== n * 4) throw corrupt(`${samples.length / 4} pixels decoded for ${header.width}x${header.height}`);
  const palette = header.colorType === PALETTE;
  return { ...header, samples, channels: 4, colour: palette || (header.colorType & 2) !== 0, max: palette ? 255 : 2 ** header.depth - 1 };
}

/**
 * One grey value a pixel in [0, 1], written into `out` (width x height, row-major) from `offset`.
 * Grey samples are divided by their maximum (2^depth - 1: 1-bit 0/1, 4-bit multiples of 1/15, which
 * are PIL's L values 0/255 and multiples of 17, divided by 255). Colour (RGB, RGBA, palette
 * colours) is ITU-R 601-2 luma as PIL's `convert('L')` computes it in integers,
 * L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 (Pillow, libImaging/Convert.c), on the 8- or
 * 16-bit samples, divided by 255 or 65535. Alpha is ignored, as PIL ignores it.
 */
export function greyLevels(png: DecodedPng, out: Float32Array = new Float32Array(png.width * png.height), offset = 0): Float32Array {
  const n = png.width * png.height, d = png.samples, ch = png.channels, max = png.max;
  if (png.colour && max <= 255) {
    for (let i = 0, o = 0; i < n; i++, o += ch) out[offset + i] = ((d[o]! * 19595 + d[o + 1]! * 38470 + d[o + 2]! * 7471 + 0x8000) >> 16) / max;
  } else if (png.colour) {
    // Floor of a division rather than >> 16: 16-bit samples overflow 32-bit integers.
    for (let i = 0, o = 0; i < n; i++, o += ch) out[offset + i] = Math.floor((d[o]! * 19595 + d[o + 1]! * 38470 + d[o + 2]! * 7471 + 0x8000) / 65536) / max;
  } else {
    for (let i = 0, o = 0; i < n; i++, o += ch) out[offset + i] = d[o]! / max;
  }
  return out;
}

/**
 * 1 where a pixel is not black (any of R, G, B above 0: a grey value above 0, or a palette colour
 * other than black), else 0; into `out` from `offset`. This is what a mask's salt is.
 */
export function nonBlack(png: DecodedPng, out: Uint8Array = new Uint8Array(png.width * png.height), offset = 0): Uint8Array {
  const n = png.width * png.height, d = png.samples, ch = png.channels;
  if (png.colour) {
    for (let i = 0, o = 0; i < n; i++, o += ch) out[offset + i] = d[o]! > 0 || d[o + 1]! > 0 || d[o + 2]! > 0 ? 1 : 0;
  } else {
    for (let i = 0, o = 0; i < n; i++, o += ch) out[offset + i] = d[o]! > 0 ? 1 : 0;
  }
  return out;
}
