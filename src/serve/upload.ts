// An uploaded image for "Try it": PNG only (checked by signature, not by name), any size up to a
// pixel cap, any PNG colour type and bit depth, reduced to one grey channel in [0, 1] by halite's one
// PNG decoder (io/png), exactly as the tiles of a data set are.
import { decodePng, greyLevels, isPng, readPngHeader } from '../io/png.js';

export class UploadError extends Error {
  constructor(message: string, readonly statusCode = 400) {
    super(message);
    this.name = 'UploadError';
  }
}

/** Larger images would take minutes to predict on a laptop CPU. */
export const MAX_PIXELS = 2048 * 2048;

/**
 * The upload's grey levels (height x width, row-major, [0, 1]; io/png greyLevels). Throws
 * UploadError: 415 when the bytes are not a PNG, 413 when the header names more than MAX_PIXELS
 * (refused before decoding), 422 when the PNG is corrupt or truncated.
 */
export function decodeUpload(bytes: Uint8Array, name: string): { width: number; height: number; pixels: Float32Array } {
  if (!isPng(bytes)) throw new UploadError(`${name}: not a PNG image (only PNG uploads are accepted)`, 415);
  try {
    const { width, height } = readPngHeader(bytes, name);
    if (width * height > MAX_PIXELS) throw new UploadError(`${name}: ${width}x${height} is more than the ${MAX_PIXELS} pixels a prediction takes`, 413);
    const png = decodePng(bytes, name);
    return { width, height, pixels: greyLevels(png) };
  } catch (e) {
    if (e instanceof UploadError) throw e;
    throw new UploadError((e as Error).message, 422);
  }
}
