// The command line's value parsers, one set for every command: each turns a flag's text into a
// number (or list, or folder) or throws commander's InvalidArgumentError, which commander reports as
// "halite: option '--threshold <p>' argument 'abc' is invalid. Expected a number in [0, 1]." and exit 1,
// before any command loads its implementation or libtorch. Light on purpose: node:fs and commander only.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { isCvFolder } from '../run/cv.js';
import { runHas } from '../run/layout.js';

/** A plain decimal number as people type one: 12, -3, 0.5, .5, 1e-3. Not '', ' ', 0x10, Infinity or NaN. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const INTEGER = /^[+-]?\d+$/;

const fmt = (x: number) => (x === Infinity ? '∞' : String(x));

/**
 * A number in an interval, closed unless `open` says which end is excluded; the message gives the
 * interval in the usual notation, e.g. [0, 1] or (0, 1).
 */
export function numberIn(lo: number, hi: number, open: { lo?: boolean; hi?: boolean } = {}): (v: string) => number {
  const range = `${open.lo ? '(' : '['}${fmt(lo)}, ${fmt(hi)}${open.hi || hi === Infinity ? ')' : ']'}`;
  return (v) => {
    const x = DECIMAL.test(v.trim()) ? Number(v) : NaN;
    const inside = (open.lo ? x > lo : x >= lo) && (open.hi ? x < hi : x <= hi);
    if (!Number.isFinite(x) || !inside) throw new InvalidArgumentError(`Expected a number in ${range}.`);
    return x;
  };
}

/** A probability or fraction in [0, 1] (--threshold, --gate, --low, --high). */
export const probability = numberIn(0, 1);

/** A number > 0 (--lr, --max-minutes, --max-upload-mb). */
export const positiveNumber = numberIn(0, Infinity, { lo: true });

/** A whole number >= min (and <= max): --batch-size is wholeNumber(1), --min-area wholeNumber(0). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  const what = max === Number.MAX_SAFE_INTEGER ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
  return (v) => {
    const x = INTEGER.test(v.trim()) ? Number(v) : NaN;
    if (!(Number.isSafeInteger(x) && x >= min && x <= max)) throw new InvalidArgumentError(`Expected ${what}.`);
    return x;
  };
}

/** A comma-separated list, each item read by `item` (e.g. --epochs 30,20 with wholeNumber(1)); `length` fixes its length. */
export function listOf<T>(item: (v: string) => T, length?: number): (v: string) => T[] {
  return (v) => {
    const parts = v.split(',');
    if (length !== undefined && parts.length !== length) throw new InvalidArgumentError(`Expected ${length} comma-separated values, got ${parts.length}.`);
    return parts.map((p, i) => {
      try {
        return item(p);
      } catch (e) {
        throw new InvalidArgumentError(`Item ${i + 1} ('${p}'): ${(e as Error).message}`);
      }
    });
  };
}

/** `--sections inline,crossline` (SEG-Y `tiles` and `predict --segy`) as a list of section kinds; throws naming the flag. */
export function sectionKinds(v: string): ('inline' | 'crossline')[] {
  const s = v.split(',').map((x) => x.trim()).filter(Boolean);
  if (!s.length || s.some((x) => x !== 'inline' && x !== 'crossline')) throw new Error(`--sections ${v}: expected inline, crossline, or inline,crossline`);
  return s as ('inline' | 'crossline')[];
}

/** For repeatable flags: parses each occurrence and collects them. */
export function repeatable<T>(item: (v: string) => T): (v: string, prev?: T[]) => T[] {
  return (v, prev = []) => [...prev, item(v)];
}

/**
 * A run directory from halite train (config.json), or also a halite cv folder (cv.json) when `cv`.
 * Returns the path as given; errors say whether the folder is missing or is not a run.
 */
export function runDirectory(o: { cv?: boolean } = {}): (v: string) => string {
  return (v) => {
    const dir = resolve(v);
    if (!existsSync(dir)) throw new InvalidArgumentError(`No such run directory (${dir}).`);
    if (!statSync(dir).isDirectory()) throw new InvalidArgumentError(`${dir} is a file, not a run directory.`);
    if (runHas(dir, 'config') || (o.cv && isCvFolder(dir))) return v;
    const cv = o.cv ? ' or halite cv folder (no cv.json)' : '';
    throw new InvalidArgumentError(`${dir} is not a halite run directory (no config.json)${cv}; runs are the folders halite train writes under runs/.`);
  };
}

/** An existing folder (--images, --data). */
export function existingFolder(v: string): string {
  const dir = resolve(v);
  if (!existsSync(dir)) throw new InvalidArgumentError(`No such folder (${dir}).`);
  if (!statSync(dir).isDirectory()) throw new InvalidArgumentError(`${dir} is a file, not a folder.`);
  return v;
}
