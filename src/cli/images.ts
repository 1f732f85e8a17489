// The images a user points --images at: which files are PNGs (and which are not), their sizes, and
// their decoding. Every PNG decode of the prediction commands is in this file: competition tiles go
// through the decode pool (worker threads), other sizes through the web upload's decoder.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeImages } from '../data/decode-pool.js';
import { DataError } from '../data/png.js';
import { TILE } from '../data/rle.js';
import { decodeUpload, MAX_PIXELS } from '../serve/upload.js';

export interface ImageFolder {
  dir: string;
  /** File names without .png, sorted. */
  ids: string[];
  /** Files that are not .png, sorted: counted in the output, never dropped silently. */
  skipped: string[];
}

/** A regular file, or a link to one (subsets of a data set are often folders of symlinks). */
const isFileIn = (dir: string, e: Dirent) => e.isFile() || (e.isSymbolicLink() && existsSync(join(dir, e.name)) && statSync(join(dir, e.name)).isFile());
const pngsIn = (dir: string) => readdirSync(dir, { withFileTypes: true }).filter((e) => isFileIn(dir, e) && e.name.endsWith('.png'));

/**
 * The PNG files of `dir`. Throws when the folder is missing or holds no PNG, suggesting the
 * subfolder that does hold PNGs (…/test -> …/test/images), as the TGS layout nests them.
 */
export function listImages(dir: string, flag = '--images'): ImageFolder {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new Error(`${flag} ${dir}: no such folder`);
  if (!statSync(abs).isDirectory()) throw new Error(`${flag} ${dir}: a file, not a folder of PNG images`);
  const entries = readdirSync(abs, { withFileTypes: true });
  const ids = entries.filter((e) => isFileIn(abs, e) && e.name.endsWith('.png')).map((e) => e.name.slice(0, -4)).sort();
  const skipped = entries.filter((e) => isFileIn(abs, e) && !e.name.endsWith('.png')).map((e) => e.name).sort();
  if (ids.length === 0) {
    const subs = entries.filter((e) => e.isDirectory()).map((e) => ({ name: e.name, n: pngsIn(join(abs, e.name)).length })).filter((s) => s.n > 0);
    // The TGS layout's own name first, then the fullest.
    subs.sort((a, b) => Number(b.name === 'images') - Number(a.name === 'images') || b.n - a.n);
    const others = skipped.length ? ` (it holds ${skipped.length} other file${skipped.length > 1 ? 's' : ''})` : '';
    const hint = subs.length ? `; did you mean ${join(dir, subs[0]!.name)}? It holds ${subs[0]!.n} PNG${subs[0]!.n > 1 ? 's' : ''}` : '; give the folder that holds the .png images';
    throw new Error(`${flag} ${dir}: no .png images${others}${hint}`);
  }
  return { dir, ids, skipped };
}

/** "skipped 3 files that are not .png (a.txt, b.jpg, c.tif)", or '' when there are none. */
export function skippedNote(f: ImageFolder): string {
  const n = f.skipped.length;
  if (n === 0) return '';
  const show = f.skipped.slice(0, 3).join(', ') + (n > 3 ? ', ...' : '');
  return `skipped ${n} file${n > 1 ? 's' : ''} in ${f.dir} that ${n > 1 ? 'are' : 'is'} not .png (${show})`;
}

/**
 * A PNG's width and height from its IHDR chunk, which the PNG spec (section 5.2-5.3, 11.2.2) puts
 * first, right after the 8-byte signature: 4 length bytes, "IHDR", then width and height as
 * big-endian 32-bit integers. Reads 24 bytes. Throws DataError naming the file when it is not a PNG.
 */
export function pngSize(path: string): { width: number; height: number } {
  const head = Buffer.alloc(24);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, 24, 0);
  } finally {
    closeSync(fd);
  }
  if (n < 24 || head.readUInt32BE(0) !== 0x89504e47 || head.toString('latin1', 12, 16) !== 'IHDR') {
    throw new DataError(`${path}: not a PNG image (no PNG signature and IHDR header)`);
  }
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

export interface Section { id: string; width: number; height: number }

/**
 * Splits `ids` of `dir` into competition tiles (101x101) and other sizes, reading only headers.
 * Throws DataError for a file that is not a PNG or larger than a prediction takes.
 */
export function sortBySize(dir: string, ids: readonly string[]): { tiles: string[]; sections: Section[] } {
  const tiles: string[] = [], sections: Section[] = [];
  for (const id of ids) {
    const path = join(dir, `${id}.png`);
    const { width, height } = pngSize(path);
    if (width === TILE && height === TILE) tiles.push(id);
    else if (width * height > MAX_PIXELS) throw new DataError(`${path}: ${width}x${height} is more than the ${MAX_PIXELS} pixels a prediction takes; crop it`);
    else sections.push({ id, width, height });
  }
  return { tiles, sections };
}

/** 101x101 tiles as N x 101 x 101 grey values in [0, 1]. */
export function decodeTiles(dir: string, ids: readonly string[]): Promise<Float32Array> {
  return decodeImages(ids.map((id) => join(dir, `${id}.png`)));
}

/** An image of any size as width x height grey values in [0, 1], row-major. */
export function decodeSection(dir: string, id: string): Float32Array {
  const path = join(dir, `${id}.png`);
  return decodeUpload(readFileSync(path), path).pixels;
}
