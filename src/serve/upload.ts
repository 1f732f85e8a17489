// An uploaded image for "Try it": PNG only (checked by signature, not by name), any size up to a
// pixel cap, any PNG colour type, reduced to one grey channel in [0, 1] as the tiles are.
import { decode } from 'fast-png';

export class UploadError extends Error {
  constructor(message: string, readonly statusCode = 400) {
    super(message);
    this.name = 'UploadError';
  }
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Larger images would take minutes to predict on a laptop CPU. */
export const MAX_PIXELS = 2048 * 2048;

export function decodeUpload(bytes: Uint8Array, name: string): { width: number; height: number; pixels: Float32Array } {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new UploadError(`${name}: not a PNG image (only PNG uploads are accepted)`, 415);
  }
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new UploadError(`${name}: a PNG that cannot be decoded: ${(e as Error).message}`, 422);
  }
  const { width, height } = png;
  if (width * height > MAX_PIXELS) throw new UploadError(`${name}: ${width}x${height} is more than the ${MAX_PIXELS} pixels a prediction takes`, 413);
  const pixels = new Float32Array(width * height);
  if (png.palette) {
    // Indexed colour: the palette entry's mean of R, G, B.
    const pal = png.palette;
    for (let i = 0; i < pixels.length; i++) {
      const e = pal[png.data[i]!] ?? [0, 0, 0];
      pixels[i] = (e[0]! + e[1]! + e[2]!) / (3 * 255);
    }
    return { width, height, pixels };
  }
  const ch = png.channels, max = png.depth === 16 ? 65535 : png.depth === 8 ? 255 : 2 ** png.depth - 1;
  const colour = ch >= 3;
  for (let i = 0; i < pixels.length; i++) {
    const o = i * ch;
    const v = colour ? (png.data[o]! + png.data[o + 1]! + png.data[o + 2]!) / 3 : png.data[o]!;
    pixels[i] = v / max;
  }
  return { width, height, pixels };
}
