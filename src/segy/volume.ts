// Sections of a post-stack survey read straight from file offsets: an inline, a crossline or a time
// slice at a time, so memory is a few sections whatever the survey's size.
import { SegyError } from './errors.js';
import { openSegy, type OpenOptions, type SegyFile } from './file.js';
import { decodeSamples } from './formats.js';
import { axisIndex, axisText, axisValue, scanGeometry, type Axis, type Geometry, type GeometryOptions } from './geometry.js';

/** The two directions of a post-stack survey's vertical sections. */
export type SectionDirection = 'inline' | 'crossline';

export interface VolumeOptions extends OpenOptions, GeometryOptions {
  /** Value for padded positions (missing traces); default 0. */
  fill?: number;
}

/**
 * A 3D post-stack survey (or a 2D line: one inline) over an open SEG-Y file. Sections are row-major
 * Float32Arrays: an inline is [crosslines × samples], a crossline [inlines × samples], a time slice
 * [inlines × crosslines]. Missing traces read as `fill`.
 */
export class SegyVolume {
  readonly geometry: Geometry;
  readonly fill: number;
  private positionOf: Int32Array | undefined;

  constructor(readonly file: SegyFile, opts: VolumeOptions = {}) {
    this.geometry = scanGeometry(file, opts);
    this.fill = opts.fill ?? 0;
  }

  get inlines(): Axis { return this.geometry.inlines; }
  get crosslines(): Axis { return this.geometry.crosslines; }
  get samples(): number { return this.file.samplesPerTrace; }

  /** Trace numbers of one inline's positions (by inline index), -1 where padded. */
  inlineTraces(i: number): Int32Array {
    const nx = this.crosslines.count;
    return this.geometry.index.subarray(i * nx, (i + 1) * nx);
  }

  /** Trace numbers of one crossline's positions (by crossline index), -1 where padded. */
  crosslineTraces(j: number): Int32Array {
    const nx = this.crosslines.count;
    return Int32Array.from({ length: this.inlines.count }, (_, i) => this.geometry.index[i * nx + j]!);
  }

  /** Inline number `il` as [crosslines × samples]. Throws SegyError for a number not on the inline axis. */
  inline(il: number, out?: Float32Array): Float32Array {
    return this.inlineAt(this.indexOf(this.inlines, il, 'inline'), out);
  }

  /** Crossline number `xl` as [inlines × samples]. Throws SegyError for a number not on the crossline axis. */
  crossline(xl: number, out?: Float32Array): Float32Array {
    return this.crosslineAt(this.indexOf(this.crosslines, xl, 'crossline'), out);
  }

  /** The inline at index `i` (0-based along the inline axis) as [crosslines × samples]. */
  inlineAt(i: number, out?: Float32Array): Float32Array {
    this.checkIndex(i, this.inlines, 'inline');
    return this.readRows(this.inlineTraces(i), out);
  }

  /** The crossline at index `j` as [inlines × samples]. */
  crosslineAt(j: number, out?: Float32Array): Float32Array {
    this.checkIndex(j, this.crosslines, 'crossline');
    return this.readRows(this.crosslineTraces(j), out);
  }

  /**
   * Sample `k` (0-based) of every trace as an [inlines × crosslines] time slice. Reads the traces in
   * file order in chunks, so memory is the slice plus one chunk.
   */
  timeSlice(k: number, out?: Float32Array, chunkBytes = 4 << 20): Float32Array {
    const f = this.file;
    if (!Number.isInteger(k) || k < 0 || k >= f.samplesPerTrace) throw new SegyError(f.path, `time slice ${k} asked for; samples are 0..${f.samplesPerTrace - 1}`);
    const positions = this.positions();
    const o = out ?? new Float32Array(this.geometry.index.length);
    o.fill(this.fill);
    const per = Math.max(1, Math.floor(chunkBytes / f.traceBytes));
    const one = new Float32Array(1);
    const at = f.traceHeaderBytes + k * f.format.bytes;
    let buf: Uint8Array | undefined;
    for (let first = 0; first < f.traceCount; first += per) {
      const n = Math.min(per, f.traceCount - first);
      buf = f.readTraceBytes(first, n, buf && buf.length >= n * f.traceBytes ? buf : undefined);
      for (let t = 0; t < n; t++) {
        decodeSamples(buf, t * f.traceBytes + at, 1, f.format.code, f.littleEndian, one);
        o[positions[first + t]!] = one[0]!;
      }
    }
    return o;
  }

  /** Grid position of every trace (inverse of geometry.index). */
  private positions(): Int32Array {
    if (!this.positionOf) {
      this.positionOf = new Int32Array(this.file.traceCount);
      this.geometry.index.forEach((t, p) => { if (t >= 0) this.positionOf![t] = p; });
    }
    return this.positionOf;
  }

  /** Reads traces into rows, one positional read per run of consecutive trace numbers. */
  private readRows(traces: Int32Array, out?: Float32Array): Float32Array {
    const ns = this.samples;
    const o = out ?? new Float32Array(traces.length * ns);
    if (o.length < traces.length * ns) throw new RangeError(`out holds ${o.length} values; the section needs ${traces.length * ns}`);
    for (let r = 0; r < traces.length;) {
      const t = traces[r]!;
      if (t < 0) { o.fill(this.fill, r * ns, (r + 1) * ns); r++; continue; }
      let run = 1;
      while (r + run < traces.length && traces[r + run] === t + run) run++;
      this.file.readTraces(t, run, o, r * ns);
      r += run;
    }
    return o;
  }

  private indexOf(a: Axis, value: number, what: string): number {
    const k = axisIndex(a, value);
    if (k < 0) throw new SegyError(this.file.path, `${what} ${value} is not in this survey: its ${what}s are ${a.first}..${a.last} in steps of ${a.step}`);
    return k;
  }

  private checkIndex(k: number, a: Axis, what: string): void {
    if (!Number.isInteger(k) || k < 0 || k >= a.count) throw new SegyError(this.file.path, `${what} index ${k} asked for; there are ${a.count} ${what}s (indices 0..${a.count - 1})`);
  }

  close(): void {
    this.file.close();
  }
}

/** Opens a SEG-Y file as a post-stack volume: headers, then one pass over the trace headers. */
/**
 * What differs between two volumes' survey grids, one phrase each (empty when they match): the inline
 * and crossline axes, samples per trace, sample interval, and which grid positions hold a trace (with
 * the first that differs). For refusing labels or a prediction that is not on a survey's grid.
 */
export function gridDifferences(a: SegyVolume, b: SegyVolume): string[] {
  const d: string[] = [];
  for (const k of ['inlines', 'crosslines'] as const) {
    if (axisText(a[k]) !== axisText(b[k])) d.push(`${k} ${axisText(a[k])} vs ${axisText(b[k])}`);
  }
  if (a.samples !== b.samples) d.push(`samples per trace ${a.samples} vs ${b.samples}`);
  if (a.file.sampleInterval !== b.file.sampleInterval) d.push(`sample interval ${a.file.sampleInterval} µs vs ${b.file.sampleInterval} µs`);
  if (!d.length) {
    const ia = a.geometry.index, ib = b.geometry.index;
    let n = 0, first = -1;
    for (let p = 0; p < ia.length; p++) if ((ia[p]! < 0) !== (ib[p]! < 0)) { n++; if (first < 0) first = p; }
    if (n) {
      const nx = a.crosslines.count;
      d.push(`${n} grid positions hold a trace in one file and none in the other (the first: inline ${axisValue(a.inlines, Math.floor(first / nx))}, crossline ${axisValue(a.crosslines, first % nx)})`);
    }
  }
  return d;
}

export function openVolume(path: string, opts: VolumeOptions = {}): SegyVolume {
  const file = openSegy(path, opts);
  try {
    return new SegyVolume(file, opts);
  } catch (e) {
    file.close();
    throw e;
  }
}
