// Amplitude statistics on a sample of traces spread through a file: enough for robust clipping
// percentiles without reading a survey whole.
import type { SegyFile } from './file.js';

export interface AmplitudeSample {
  /** Finite samples of the chosen traces, sorted ascending. */
  sorted: Float32Array;
  /** Traces read, and the file's total. */
  traces: number;
  traceCount: number;
  /** Samples that were NaN or infinite (left out of `sorted`). */
  nonFinite: number;
}

/**
 * Reads up to `maxTraces` traces evenly spread through the file (all of them when there are fewer)
 * and returns their finite samples sorted.
 */
export function sampleAmplitudes(file: SegyFile, maxTraces = 1000): AmplitudeSample {
  const n = file.traceCount;
  const k = Math.min(n, maxTraces);
  const ns = file.samplesPerTrace;
  const values = new Float32Array(k * ns);
  for (let r = 0; r < k; r++) {
    const t = k === n ? r : Math.round((r * (n - 1)) / Math.max(1, k - 1));
    file.readTraces(t, 1, values, r * ns);
  }
  let m = 0;
  for (const v of values) if (Number.isFinite(v)) values[m++] = v;
  const sorted = values.subarray(0, m).sort();
  return { sorted, traces: k, traceCount: n, nonFinite: values.length - m };
}

/**
 * The p-th percentile (0..100) of ascending `sorted` values, interpolating linearly between the two
 * nearest ranks (numpy's default, "linear" / Hyndman & Fan type 7). NaN for no values.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
