// Survey geometry from trace headers: which trace sits at each (inline, crossline) position, found by
// reading trace headers once. Missing positions are padded, never refused.
import { SegyError } from './errors.js';
import type { SegyFile } from './file.js';
import { readInt } from './headers.js';

export interface GeometryOptions {
  /** 1-based trace-header byte of the inline number (default 189). */
  ilineByte?: number;
  /** 1-based trace-header byte of the crossline number (default 193). */
  xlineByte?: number;
  /** Width of both numbers in bytes (default 4). */
  width?: 1 | 2 | 4;
}

/** An axis of the survey grid: numbers first, first + step, ..., last. */
export interface Axis {
  first: number;
  last: number;
  step: number;
  count: number;
}

export type Sorting = 'inline' | 'crossline' | 'unsorted';

export interface Geometry {
  ilineByte: number;
  xlineByte: number;
  inlines: Axis;
  crosslines: Axis;
  /** Trace number at grid position (inline index i, crossline index j): index[i * crosslines.count + j]; -1 where no trace is. */
  index: Int32Array;
  /** 'inline' when each inline's traces are contiguous (crossline varies fastest), 'crossline' for the reverse, else 'unsorted'. */
  sorting: Sorting;
  /** Grid positions with no trace (padded with the fill value in sections). */
  padded: number;
  traceCount: number;
}

/**
 * A grid this much larger than its trace count (and larger than a few million positions) is wrong
 * header bytes, not a survey: real irregular surveys are padded by tens of percent, not many-fold.
 */
const MAX_PADDING_RATIO = 4;
const SMALL_GRID = 1 << 22;
const MAX_POSITIONS = 1 << 28;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function axis(values: Set<number>): Axis {
  const sorted = [...values].sort((a, b) => a - b);
  let step = 0;
  for (let k = 1; k < sorted.length; k++) step = gcd(step, sorted[k]! - sorted[k - 1]!);
  step ||= 1;
  const first = sorted[0] ?? 0;
  const last = sorted[sorted.length - 1] ?? 0;
  return { first, last, step, count: sorted.length ? (last - first) / step + 1 : 0 };
}

/**
 * Checks the trace-header byte positions of the inline and crossline numbers (1-based, SEG-Y rev 1
 * section 3.3): each `width`-byte field inside the 240-byte header, the two not overlapping. Throws
 * SegyError naming `path` and the flag; these are mistakes in the flags, not in the file.
 */
export function checkHeaderBytes(path: string, ilineByte: number, xlineByte: number, width = 4): void {
  for (const [flag, b] of [['--iline-byte', ilineByte], ['--xline-byte', xlineByte]] as const) {
    if (!Number.isInteger(b) || b < 1 || b + width - 1 > 240) throw new SegyError(path, `${flag} ${b}: a trace-header byte position must be 1..${241 - width} for a ${width}-byte number`);
  }
  // Overlapping fields would put every trace on a diagonal or one position, which reads as pre-stack data.
  if (Math.abs(ilineByte - xlineByte) < width) {
    throw new SegyError(path, `--iline-byte ${ilineByte} and --xline-byte ${xlineByte} overlap: each reads a ${width}-byte number, so the inline and crossline fields must start at least ${width} bytes apart (the standard bytes are 189 and 193; 9 and 21 in many older files)`);
  }
}

/**
 * Reads every trace header once and lays the traces on an inline × crossline grid. Axes run from the
 * smallest to the largest number in steps of the greatest common divisor of the gaps, so missing
 * traces (and missing whole inlines) become padded positions.
 * Throws SegyError when a position holds more than one trace (pre-stack data, or the wrong header
 * bytes) or when the numbers make an implausibly large grid.
 */
export function scanGeometry(file: SegyFile, opts: GeometryOptions = {}): Geometry {
  const ilineByte = opts.ilineByte ?? 189;
  const xlineByte = opts.xlineByte ?? 193;
  const width = opts.width ?? 4;
  checkHeaderBytes(file.path, ilineByte, xlineByte, width);
  const n = file.traceCount;
  if (n === 0) throw new SegyError(file.path, `holds no traces, only its headers (${file.size} bytes): there is no survey to lay out. Check that the file was copied whole`);
  const il = new Int32Array(n);
  const xl = new Int32Array(n);
  const le = file.littleEndian;
  file.forEachHeader((i, h) => {
    il[i] = readInt(h, ilineByte - 1, width, le);
    xl[i] = readInt(h, xlineByte - 1, width, le);
  });
  const ilSet = new Set(il), xlSet = new Set(xl);
  const inlines = axis(ilSet);
  const crosslines = axis(xlSet);
  const positions = inlines.count * crosslines.count;
  if (positions > MAX_POSITIONS || (positions > SMALL_GRID && positions > MAX_PADDING_RATIO * n)) {
    throw new SegyError(file.path, `the inline numbers at trace-header byte ${ilineByte} (${inlines.first}..${inlines.last}) and crossline numbers at byte ${xlineByte} (${crosslines.first}..${crosslines.last}) make a grid of ${inlines.count} × ${crosslines.count} positions for ${n} traces: these bytes do not hold the survey's inline and crossline numbers. Pass --iline-byte N --xline-byte N`);
  }
  const index = new Int32Array(positions).fill(-1);
  let duplicates = 0;
  let firstDup: [number, number, number] | undefined;
  let sameIl = 0;
  let sameXl = 0;
  for (let t = 0; t < n; t++) {
    const p = ((il[t]! - inlines.first) / inlines.step) * crosslines.count + (xl[t]! - crosslines.first) / crosslines.step;
    if (index[p] !== -1) {
      duplicates++;
      firstDup ??= [il[t]!, xl[t]!, index[p]!];
      continue;
    }
    index[p] = t;
    if (t > 0) {
      if (il[t] === il[t - 1]) sameIl++;
      if (xl[t] === xl[t - 1]) sameXl++;
    }
  }
  if (firstDup) {
    const [i, x, t0] = firstDup;
    let here = 0;
    for (let t = 0; t < n; t++) if (il[t] === i && xl[t] === x) here++;
    throw new SegyError(file.path, `${duplicates} of its ${n} traces share an inline/crossline position with another trace (inline ${i}, crossline ${x} alone holds ${here} traces, the first trace ${t0}; inline and crossline read as ${width}-byte integers at trace-header bytes ${ilineByte} and ${xlineByte}). This looks like pre-stack data (gathers), and halite reads post-stack volumes: stack the gathers first, or, if the inline and crossline numbers are at other bytes, pass --iline-byte N --xline-byte N`, { trace: t0 });
  }
  // Sorted by inline when each inline's traces are contiguous (one change of inline per inline after the first).
  // A 2D line is contiguous both ways (its lines across are single traces); it is sorted along itself.
  const byIl = sameIl === n - ilSet.size, byXl = sameXl === n - xlSet.size;
  const sorting: Sorting = byIl && (!byXl || ilSet.size <= xlSet.size) ? 'inline' : byXl ? 'crossline' : 'unsorted';
  return { ilineByte, xlineByte, inlines, crosslines, index, sorting, padded: positions - n, traceCount: n };
}

/** An axis as people read it: `first..last step N`. */
export function axisText(a: Axis): string {
  return `${a.first}..${a.last} step ${a.step}`;
}

/** The number at position `k` of `axis` (first + k × step): the inverse of axisIndex. */
export function axisValue(a: Axis, k: number): number {
  return a.first + k * a.step;
}

/** The position of `value` on `axis`, or -1 when it is not one of the axis's numbers. */
export function axisIndex(a: Axis, value: number): number {
  const k = (value - a.first) / a.step;
  return Number.isInteger(k) && k >= 0 && k < a.count ? k : -1;
}
