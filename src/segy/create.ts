// A new post-stack survey's headers built in memory, so SegyWriter can write a SEG-Y file that has no
// template: a textual header, a binary header and one trace header per inline/crossline position.
import { decodeText, type TextEncoding } from './ebcdic.js';
import { SegyError } from './errors.js';
import type { ByteOrder, TextHeader } from './file.js';
import { BINARY_FIELDS, parseBinaryHeader, TRACE_FIELDS, writeInt, type BinaryHeader, type Field } from './headers.js';
import { textHeaderBytes, type WriterTemplate } from './writer.js';

/** A regular axis of line numbers: first, first + step, ... (count numbers). */
export interface AxisSpec {
  first: number;
  step?: number;
  count: number;
}

export interface SurveySpec {
  inlines: AxisSpec;
  crosslines: AxisSpec;
  /** Samples per trace. */
  samples: number;
  /** Sample interval in µs (time data; m or ft × 1000 is the convention some writers use for depth). */
  sampleInterval: number;
  /** Delay recording time of every trace, ms (trace-header bytes 109-110); default 0. */
  delayMs?: number;
  /** Textual header lines (up to 38; "C 1 " card prefixes are added where a line lacks one). Lines 39-40 name the revision and end the header. */
  text?: string | string[];
  /** Default 'ebcdic', as SEG-Y rev 0 and 1 require (rev 2 allows ASCII). */
  textEncoding?: TextEncoding;
  /** 1 (default) or 2. Rev 2 adds the byte-order constant, trace count and first-trace offset. */
  revision?: 1 | 2;
  /** Default 'big', the standard's. A little-endian file gets rev 2's byte-order constant so readers can tell. */
  byteOrder?: ByteOrder;
  /** CDP x and y in metres of each position (trace-header bytes 181 and 185, scaled by coordinateScalar). */
  coordinates?: (inline: number, crossline: number) => [number, number];
  /** SEG-Y coordinate scalar (bytes 71-72): negative divides; default -100 (centimetre precision). */
  coordinateScalar?: number;
}

const int16 = (v: number) => Number.isInteger(v) && v >= -32768 && v <= 32767;
const int32 = (v: number) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31;

/** The textual header's 40 card images: the caller's lines as C 1..C38, then the revision and end lines (rev 1 section 3.1, rev 2 section 4). */
export function surveyTextLines(text: string | string[] | undefined, revision: 1 | 2, where: string): string[] {
  const given = text === undefined ? [] : typeof text === 'string' ? text.split('\n') : [...text];
  if (given.length > 38) throw new SegyError(where, `the textual header text has ${given.length} lines; 38 fit before the revision and end lines. Shorten it`);
  const card = (n: number, l: string) => (/^C[ \d]\d/.test(l) ? l : `C${String(n).padStart(2)} ${l}`);
  const lines = Array.from({ length: 38 }, (_, k) => card(k + 1, given[k] ?? ''));
  lines.push(revision === 2 ? 'C39 SEG-Y_REV2.0' : 'C39 SEG Y REV1', revision === 2 ? 'C40 END TEXTUAL HEADER' : 'C40 END EBCDIC');
  return lines;
}

/**
 * A new survey's headers in memory, laid out as a full inline × crossline grid sorted by inline
 * (crossline fastest): trace t = i × crosslines + j for inline index i and crossline index j. Pass it
 * to SegyWriter.open as the template, then write each inline with
 * `writer.writeSection(survey.inlineTraces(i), section)`.
 *
 * Binary header (SEG-Y rev 1, 2002, section 3.2; rev 2.0, 2017, section 5): sample interval and
 * samples (and their "original" copies), one trace per ensemble, fold 1, trace sorting 4
 * (horizontally stacked), revision, fixed-length traces 1, no extended textual headers; measurement
 * system 1 (metres) with coordinates; rev 2 also the byte-order constant, extended samples and
 * interval, traces in file and first trace offset 3600. Trace headers (rev 1 section 3.3): sequence
 * numbers in line (1-4) and file (5-8), CDP number (21) = file sequence number, trace identification
 * code 1 (time-domain seismic), data use 1 (production), delay (109), samples (115), interval (117),
 * inline (189), crossline (193), and with coordinates the scalar (71), units (89) and CDP x/y (181/185).
 * Throws SegyError (naming `path`) for a value its header field cannot hold.
 */
export class NewSurvey implements WriterTemplate {
  readonly byteOrder: ByteOrder;
  readonly samplesPerTrace: number;
  readonly traceHeaderBytes = 240;
  readonly traceCount: number;
  readonly textHeader: TextHeader;
  readonly extendedTextHeaders: TextHeader[] = [];
  readonly binaryBytes: Uint8Array;
  readonly binary: BinaryHeader;
  readonly revision: [number, number];
  readonly inlineNumbers: Int32Array;
  readonly crosslineNumbers: Int32Array;
  private readonly le: boolean;
  private readonly scalar: number;

  constructor(readonly path: string, readonly spec: SurveySpec) {
    const rev = spec.revision ?? 1;
    if (rev !== 1 && rev !== 2) throw new SegyError(path, `revision ${String(rev)}: write 1 or 2`);
    this.revision = [rev, 0];
    this.byteOrder = spec.byteOrder ?? 'big';
    const le = (this.le = this.byteOrder === 'little');
    const axis = (a: AxisSpec, what: string) => {
      const step = a.step ?? 1;
      if (!Number.isInteger(a.count) || a.count < 1) throw new SegyError(path, `${what} count ${a.count}: a survey needs at least one ${what}`);
      if (!int32(a.first) || !int32(step) || step === 0 || !int32(a.first + step * (a.count - 1))) throw new SegyError(path, `${what}s ${a.first} step ${step} × ${a.count}: numbers must be 32-bit integers (trace-header bytes ${what === 'inline' ? 189 : 193}) and the step non-zero`);
      return Int32Array.from({ length: a.count }, (_, k) => a.first + k * step);
    };
    this.inlineNumbers = axis(spec.inlines, 'inline');
    this.crosslineNumbers = axis(spec.crosslines, 'crossline');
    this.traceCount = this.inlineNumbers.length * this.crosslineNumbers.length;
    const ns = (this.samplesPerTrace = spec.samples);
    if (!Number.isInteger(ns) || ns < 1 || ns > (rev === 2 ? 2 ** 31 - 1 : 65535)) throw new SegyError(path, `samples per trace ${ns}: must be 1..65535 (binary header bytes 3221-3222${rev === 2 ? '; rev 2 allows more in bytes 3269-3272' : '; write revision 2 for more'})`);
    const dt = spec.sampleInterval;
    if (!(dt > 0) || (rev === 1 && !int16(dt))) throw new SegyError(path, `sample interval ${dt} µs: must be a positive whole number up to 32767 (bytes 3217-3218)${rev === 1 ? '; revision 2 also holds fractions and more' : ''}`);
    if (spec.delayMs !== undefined && !int16(spec.delayMs)) throw new SegyError(path, `delay ${spec.delayMs} ms: trace-header bytes 109-110 hold a whole number -32768..32767`);
    this.scalar = spec.coordinateScalar ?? -100;
    if (!int16(this.scalar)) throw new SegyError(path, `coordinate scalar ${this.scalar}: must be a 16-bit integer (bytes 71-72)`);

    const encoding = spec.textEncoding ?? 'ebcdic';
    const bytes = textHeaderBytes(path, surveyTextLines(spec.text, rev, path), encoding);
    this.textHeader = { bytes, encoding, text: decodeText(bytes, encoding) };

    const bin = new Uint8Array(400);
    const set = (f: Field, v: number) => {
      if (f.kind === 'float') new DataView(bin.buffer, f.byte - 3201, 8).setFloat64(0, v, le);
      else writeInt(bin, f.byte - 3201, f.width, v, le);
    };
    const B = BINARY_FIELDS;
    const dt16 = int16(dt) ? dt : 0;
    set(B.dataTracesPerEnsemble, 1);
    set(B.sampleInterval, dt16);
    set(B.originalSampleInterval, dt16);
    set(B.samplesPerTrace, ns <= 65535 ? ns : 0);
    set(B.originalSamplesPerTrace, ns <= 65535 ? ns : 0);
    set(B.formatCode, 5);
    set(B.ensembleFold, 1);
    set(B.traceSorting, 4);
    if (spec.coordinates) set(B.measurementSystem, 1);
    set(B.revisionMajor, rev);
    set(B.revisionMinor, 0);
    set(B.fixedLengthTraces, 1);
    set(B.extendedTextHeaders, 0);
    if (rev === 2 || le) set(B.byteOrderConstant, 0x01020304);
    if (rev === 2) {
      set(B.extSamplesPerTrace, ns);
      set(B.extSampleInterval, dt);
      set(B.tracesInFile, this.traceCount);
      set(B.firstTraceOffset, 3600);
    }
    this.binaryBytes = bin;
    this.binary = parseBinaryHeader(bin, le);
  }

  /** Trace numbers of inline index i's positions, in crossline order. */
  inlineTraces(i: number): Int32Array {
    const nx = this.crosslineNumbers.length;
    if (!Number.isInteger(i) || i < 0 || i >= this.inlineNumbers.length) throw new SegyError(this.path, `inline index ${i}; the survey has inline indices 0..${this.inlineNumbers.length - 1}`);
    return Int32Array.from({ length: nx }, (_, j) => i * nx + j);
  }

  /** Trace `t`'s 240-byte header, built from the spec (see the class). */
  readHeaderInto(t: number, out: Uint8Array): void {
    const nx = this.crosslineNumbers.length;
    if (!Number.isInteger(t) || t < 0 || t >= this.traceCount) throw new SegyError(this.path, `trace ${t}; the survey has traces 0..${this.traceCount - 1}`);
    const i = Math.floor(t / nx), j = t - i * nx;
    const le = this.le;
    out.fill(0, 0, 240);
    const set = (f: Field, v: number) => writeInt(out, f.byte - 1, f.width, v, le);
    const T = TRACE_FIELDS;
    const il = this.inlineNumbers[i]!, xl = this.crosslineNumbers[j]!;
    set(T.traceSequenceLine, j + 1);
    set(T.traceSequenceFile, t + 1);
    set(T.ensembleNumber, t + 1);
    set(T.traceInEnsemble, 1);
    set(T.traceIdCode, 1);
    set(T.dataUse, 1);
    set(T.delayRecordingTime, this.spec.delayMs ?? 0);
    set(T.samplesInTrace, this.samplesPerTrace <= 65535 ? this.samplesPerTrace : 0);
    set(T.sampleInterval, int16(this.spec.sampleInterval) ? this.spec.sampleInterval : 0);
    set(T.inline, il);
    set(T.crossline, xl);
    if (this.spec.coordinates) {
      const [x, y] = this.spec.coordinates(il, xl);
      const s = this.scalar;
      const scaled = (v: number, what: string) => {
        const r = Math.round(s < 0 ? v * -s : s > 0 ? v / s : v);
        if (!int32(r)) throw new SegyError(this.path, `CDP ${what} ${v} of inline ${il}, crossline ${xl} does not fit trace-header bytes ${what === 'x' ? 181 : 185} with coordinate scalar ${s}`, { trace: t });
        return r;
      };
      set(T.coordinateScalar, s);
      set(T.coordinateUnits, 1);
      set(T.cdpX, scaled(x, 'x'));
      set(T.cdpY, scaled(y, 'y'));
    }
  }
}

/** A new survey's headers for SegyWriter.open(path, newSurvey(path, spec)); see NewSurvey. */
export function newSurvey(path: string, spec: SurveySpec): NewSurvey {
  return new NewSurvey(path, spec);
}
