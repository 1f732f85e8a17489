// What `halite segy info` reports about a file, as one plain object (printed as text or JSON).
import { SegyError } from './errors.js';
import { openSegy, textLines } from './file.js';
import { checkHeaderBytes, scanGeometry, type Axis, type GeometryOptions, type Sorting } from './geometry.js';
import { percentile, sampleAmplitudes } from './stats.js';

export const INFO_PERCENTILES = [0.5, 1, 50, 99, 99.5] as const;

export interface SegyInfo {
  file: string;
  bytes: number;
  textEncoding: string;
  textHeader: string[];
  extendedTextHeaders: string[][];
  revision: string;
  byteOrder: string;
  format: { code: number; name: string };
  samples: number;
  sampleIntervalUs: number;
  sampleIntervalMs: number;
  /** The first trace's recording delay (trace-header bytes 109-110, scaled by bytes 215-216): the time of sample 0, ms. */
  firstSampleMs: number;
  traces: number;
  binary: Record<string, number>;
  geometry:
    | { ilineByte: number; xlineByte: number; inlines: Axis; crosslines: Axis; sorting: Sorting; padded: number }
    | { error: string };
  amplitudes: { traces: number; of: number; samples: number; nonFinite: number; percentiles: { percent: number; value: number | null }[] };
}

// The revision (bytes 3501-3502) is reported once, as `revision`.
const KEY_BINARY = ['jobId', 'lineNumber', 'reelNumber', 'sampleInterval', 'samplesPerTrace', 'formatCode', 'ensembleFold', 'traceSorting', 'measurementSystem', 'fixedLengthTraces', 'extendedTextHeaders', 'byteOrderConstant'] as const;

/**
 * Headers, geometry and amplitude percentiles of a SEG-Y file. Geometry that cannot be built
 * (pre-stack data, wrong header bytes) is reported as its error rather than thrown, so the headers
 * still show; a file that cannot be opened throws SegyError.
 */
export function segyInfo(path: string, opts: GeometryOptions & { maxTraces?: number } = {}): SegyInfo {
  const f = openSegy(path);
  try {
    // Wrong flags are the user's to fix, not a fact about the file to report.
    checkHeaderBytes(path, opts.ilineByte ?? 189, opts.xlineByte ?? 193, opts.width);
    let geometry: SegyInfo['geometry'];
    try {
      const g = scanGeometry(f, opts);
      geometry = { ilineByte: g.ilineByte, xlineByte: g.xlineByte, inlines: g.inlines, crosslines: g.crosslines, sorting: g.sorting, padded: g.padded };
    } catch (e) {
      if (!(e instanceof SegyError)) throw e;
      geometry = { error: e.message };
    }
    const a = sampleAmplitudes(f, opts.maxTraces ?? 1000);
    const binary: Record<string, number> = {};
    for (const k of KEY_BINARY) binary[k] = f.binary[k];
    return {
      file: path,
      bytes: f.size,
      textEncoding: f.textHeader.encoding,
      textHeader: textLines(f.textHeader.text),
      extendedTextHeaders: f.extendedTextHeaders.map((t) => textLines(t.text)),
      revision: f.revision.join('.'),
      byteOrder: f.byteOrder,
      format: { code: f.format.code, name: f.format.name },
      samples: f.samplesPerTrace,
      sampleIntervalUs: f.sampleInterval,
      sampleIntervalMs: f.sampleInterval / 1000,
      firstSampleMs: f.traceCount ? f.traceHeader(0).delayMs() : 0,
      traces: f.traceCount,
      binary,
      geometry,
      amplitudes: {
        traces: a.traces,
        of: a.traceCount,
        samples: a.sorted.length,
        nonFinite: a.nonFinite,
        percentiles: INFO_PERCENTILES.map((p) => ({ percent: p, value: a.sorted.length ? percentile(a.sorted, p) : null })),
      },
    };
  } finally {
    f.close();
  }
}
