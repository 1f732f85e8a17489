// A streaming SEG-Y writer over a template file: headers copied from the template, float samples
// written at each trace's own offset (in any order), and the file renamed into place only when every
// trace is written, so a reader never sees half a volume.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tempPath } from '../io/atomic.js';
import { encodeText, type TextEncoding } from './ebcdic.js';
import { SegyError } from './errors.js';
import { textLines, type ByteOrder, type SegyFile } from './file.js';
import { encodeSamples, type WriteFormat } from './formats.js';
import { BINARY_FIELDS, swapFields, TRACE_FIELDS, writeInt } from './headers.js';

/**
 * What the writer takes from its template: an open SegyFile, or a new survey's headers built in
 * memory (newSurvey in create.ts) for a file written without one.
 */
export type WriterTemplate = Pick<SegyFile,
  'path' | 'byteOrder' | 'samplesPerTrace' | 'traceHeaderBytes' | 'traceCount' | 'textHeader' | 'extendedTextHeaders' |
  'binaryBytes' | 'binary' | 'revision' | 'readHeaderInto'>;

export interface WriterOptions {
  /** 5 (IEEE float32, the default) or 1 (IBM float). */
  format?: WriteFormat;
  /** Byte order of the output; default the template's. */
  byteOrder?: ByteOrder;
  /** A new textual header: up to 40 lines of up to 80 characters (a string is split at newlines). */
  text?: string | string[];
  /** Replace single card images of the template's textual header: 1-based line number -> text (≤ 80 characters). */
  textLines?: Record<number, string>;
  /** Encoding of a new or edited textual header; default the template's. */
  textEncoding?: TextEncoding;
  /** Template trace numbers to write, in output order (default: all, in file order). */
  traces?: ArrayLike<number>;
}

/** 40 card images of 80 characters as 3200 bytes. Throws SegyError naming a line that does not fit. */
export function textHeaderBytes(path: string, lines: string[], encoding: TextEncoding): Uint8Array {
  if (lines.length > 40) throw new SegyError(path, `the textual header has ${lines.length} lines; it holds 40 of 80 characters. Shorten it`);
  const padded = Array.from({ length: 40 }, (_, i) => {
    const l = lines[i] ?? '';
    if (l.length > 80) throw new SegyError(path, `textual header line ${i + 1} is ${l.length} characters; a line holds 80. Shorten it: "${l.slice(0, 40)}..."`);
    return l.padEnd(80, ' ');
  });
  return encodeText(padded.join(''), encoding);
}

/**
 * Writes a SEG-Y file trace by trace with a template's headers: its textual header (or a new one),
 * extended textual headers, binary header (format code, and rev 2 trace count and offsets, updated)
 * and each trace's header(s), byte-swapped when the byte order changes. Samples are float32 (format
 * 5) or IBM float (format 1), samplesPerTrace per trace as in the template. Rev 2 additional trace
 * headers are copied as they are (not byte-swapped: their layout is not standard).
 *
 * Usage: `const w = SegyWriter.open(out, template); w.writeTraces(traces, samples) ...; w.close()`.
 * Traces may come in any order (each is written at its own offset); close() fsyncs and renames the
 * temporary file into place, or throws SegyError if a trace was never written; abort() removes it.
 */
export class SegyWriter {
  readonly format: WriteFormat;
  readonly byteOrder: ByteOrder;
  /** Traces in the output. */
  readonly traceCount: number;
  readonly samplesPerTrace: number;
  readonly dataOffset: number;
  readonly traceBytes: number;
  private fd: number | undefined;
  private readonly tmp: string;
  private readonly outIndex: Int32Array;
  private readonly written: Uint8Array;
  private readonly swap: boolean;

  private constructor(readonly path: string, readonly template: WriterTemplate, opts: WriterOptions) {
    this.format = opts.format ?? 5;
    if (this.format !== 5 && this.format !== 1) throw new SegyError(path, `cannot write sample format ${String(this.format)}; write 5 (IEEE float) or 1 (IBM float)`);
    this.byteOrder = opts.byteOrder ?? template.byteOrder;
    this.swap = this.byteOrder !== template.byteOrder;
    const le = this.byteOrder === 'little';
    this.samplesPerTrace = template.samplesPerTrace;
    this.traceBytes = template.traceHeaderBytes + 4 * this.samplesPerTrace;
    this.dataOffset = 3600 + 3200 * template.extendedTextHeaders.length;

    const select = opts.traces ?? Int32Array.from({ length: template.traceCount }, (_, i) => i);
    this.traceCount = select.length;
    this.outIndex = new Int32Array(template.traceCount).fill(-1);
    for (let j = 0; j < select.length; j++) {
      const t = select[j]!;
      if (!Number.isInteger(t) || t < 0 || t >= template.traceCount) throw new SegyError(path, `traces[${j}] is ${t}; the template ${template.path} holds traces 0..${template.traceCount - 1}`);
      if (this.outIndex[t] !== -1) throw new SegyError(path, `template trace ${t} is listed twice in traces (at ${this.outIndex[t]} and ${j}); list each trace once`);
      this.outIndex[t] = j;
    }
    this.written = new Uint8Array(this.traceCount);

    // Textual header: the template's, replaced whole or by card image.
    const encoding = opts.textEncoding ?? template.textHeader.encoding;
    let text = template.textHeader.bytes;
    if (opts.text !== undefined || opts.textLines !== undefined || opts.textEncoding !== undefined) {
      const lines = opts.text !== undefined ? (typeof opts.text === 'string' ? opts.text.split('\n') : [...opts.text]) : textLines(template.textHeader.text);
      for (const [k, l] of Object.entries(opts.textLines ?? {})) {
        const n = Number(k);
        if (!Number.isInteger(n) || n < 1 || n > 40) throw new SegyError(path, `textLines: line ${k}; textual header lines are 1..40`);
        while (lines.length < n) lines.push('');
        lines[n - 1] = l;
      }
      text = textHeaderBytes(path, lines, encoding);
    }

    const bin = template.binaryBytes.slice();
    if (this.swap) swapFields(bin, BINARY_FIELDS, 3201);
    const at = (f: { byte: number }) => f.byte - 3201;
    writeInt(bin, at(BINARY_FIELDS.formatCode), 2, this.format, le);
    // Rev 2 marks little-endian files with this constant; a file already little-endian keeps its own header.
    if ((le && this.swap) || template.binary.byteOrderConstant !== 0) writeInt(bin, at(BINARY_FIELDS.byteOrderConstant), 4, 0x01020304, le);
    if (template.revision[0] === 0 && this.format === 5) {
      // Rev 0 (1975) knows formats 1-4 only; IEEE float is rev 1's (section 3.3, bytes 3225 and 3501-3504).
      writeInt(bin, at(BINARY_FIELDS.revisionMajor), 1, 1, le);
      writeInt(bin, at(BINARY_FIELDS.revisionMinor), 1, 0, le);
      writeInt(bin, at(BINARY_FIELDS.fixedLengthTraces), 2, 1, le);
      // Unassigned in rev 0, so it may hold anything; rev 1 reads it as the extended textual header count.
      writeInt(bin, at(BINARY_FIELDS.extendedTextHeaders), 2, template.extendedTextHeaders.length, le);
    }
    if (template.revision[0] >= 2) {
      // Rev 2 fields that describe the layout, which this writer may change.
      if (template.binary.tracesInFile > 0) writeInt(bin, at(BINARY_FIELDS.tracesInFile), 8, this.traceCount, le);
      if (template.binary.firstTraceOffset > 0) writeInt(bin, at(BINARY_FIELDS.firstTraceOffset), 8, this.dataOffset, le);
      if (template.binary.trailerStanzas !== 0) writeInt(bin, at(BINARY_FIELDS.trailerStanzas), 4, 0, le);
    }

    this.tmp = tempPath(path);
    this.fd = openSync(this.tmp, 'w');
    try {
      this.writeAt([text, ...template.extendedTextHeaders.map((t) => t.bytes), bin], 0);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Opens `path` for writing with `template`'s headers (see the class). */
  static open(path: string, template: WriterTemplate, opts: WriterOptions = {}): SegyWriter {
    return new SegyWriter(path, template, opts);
  }

  private writeAt(parts: Uint8Array[], position: number): void {
    if (this.fd === undefined) throw new SegyError(this.path, 'the writer is closed');
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += writeSync(this.fd, p, off, p.length - off, position + off);
      position += p.length;
    }
  }

  /**
   * Writes template traces `traces[k]` with samples `samples[(offset + k*samplesPerTrace) ...]`, each
   * with its template trace header, at its place in the output. Consecutive output traces go out in one
   * write. Throws SegyError for a trace not in the output, too few samples, or a non-finite sample in
   * an IBM file (IBM float has no NaN or infinity).
   */
  writeTraces(traces: ArrayLike<number>, samples: ArrayLike<number>, offset = 0): void {
    const ns = this.samplesPerTrace;
    const tb = this.traceBytes;
    const hb = this.template.traceHeaderBytes;
    const le = this.byteOrder === 'little';
    if (samples.length < offset + traces.length * ns) throw new SegyError(this.path, `writeTraces: ${traces.length} traces of ${ns} samples need ${traces.length * ns} values from ${offset}; got ${samples.length - offset}`);
    const per = Math.max(1, Math.floor((4 << 20) / tb));
    const buf = new Uint8Array(Math.min(per, Math.max(1, traces.length)) * tb);
    let runStart = -1;
    let runLen = 0;
    const flush = () => {
      if (runLen) this.writeAt([buf.subarray(0, runLen * tb)], this.dataOffset + runStart * tb);
      runLen = 0;
    };
    for (let k = 0; k < traces.length; k++) {
      const t = traces[k]!;
      const j = Number.isInteger(t) && t >= 0 && t < this.outIndex.length ? this.outIndex[t]! : -1;
      if (j < 0) throw new SegyError(this.path, `writeTraces: template trace ${t} is not in this output (the template has ${this.template.traceCount} traces; the output writes ${this.traceCount})`, { trace: t });
      if (this.format === 1) {
        for (let s = 0; s < ns; s++) {
          const v = samples[offset + k * ns + s]!;
          if (!Number.isFinite(v)) throw new SegyError(this.path, `writeTraces: sample ${s} of template trace ${t} is ${v}; IBM float (format 1) holds only finite numbers. Replace it, or write format 5`, { trace: t });
        }
      }
      if (runLen && (j !== runStart + runLen || runLen === per)) flush();
      if (!runLen) runStart = j;
      const at = runLen * tb;
      const head = buf.subarray(at, at + hb);
      this.template.readHeaderInto(t, head);
      if (this.swap) swapFields(head, TRACE_FIELDS, 1);
      encodeSamples(samples, offset + k * ns, ns, this.format, le, buf, at + hb);
      runLen++;
      this.written[j] = 1;
    }
    flush();
  }

  /**
   * Writes a section as SegyVolume reads it: `traces` are its positions' template trace numbers (a
   * volume's inlineTraces(i) or crosslineTraces(j), -1 where the survey has no trace) and `samples`
   * the [positions × samplesPerTrace] section. Padded positions (-1) have no trace to write and are
   * passed over; every other position is written as by writeTraces.
   */
  writeSection(traces: Int32Array, samples: ArrayLike<number>): void {
    const ns = this.samplesPerTrace;
    if (samples.length < traces.length * ns) throw new SegyError(this.path, `writeSection: ${traces.length} positions of ${ns} samples need ${traces.length * ns} values; got ${samples.length}`);
    for (let r = 0; r < traces.length;) {
      if (traces[r]! < 0) { r++; continue; }
      let run = 1;
      while (r + run < traces.length && traces[r + run]! >= 0) run++;
      this.writeTraces(traces.subarray(r, r + run), samples, r * ns);
      r += run;
    }
  }

  /** Output traces not yet written. */
  missing(): number {
    let n = 0;
    for (const w of this.written) n += 1 - w;
    return n;
  }

  /** Checks every trace was written, then fsyncs and renames the file into place. On error nothing is left behind. */
  close(): void {
    if (this.fd === undefined) throw new SegyError(this.path, 'the writer is already closed');
    const missing = this.missing();
    if (missing) {
      const j = this.written.indexOf(0);
      this.abort();
      throw new SegyError(this.path, `${missing} of the output's ${this.traceCount} traces were never written (the first is output trace ${j}); nothing was written. Write every trace before close(), or pass traces: [...] to write a subset`);
    }
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Drops the output: closes and removes the temporary file. Safe to call more than once. */
  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.tmp, { force: true });
  }
}

/**
 * Writes `template` again with its samples as float32 (or IBM float), in a chosen byte order, trace
 * by trace in chunks: the whole-file case of SegyWriter.
 */
export function copySegy(template: SegyFile, path: string, opts: WriterOptions = {}): void {
  const w = SegyWriter.open(path, template, opts);
  try {
    const select = Array.from(opts.traces ?? { length: template.traceCount }, (t, i) => t ?? i);
    const chunk = 256;
    for (let k = 0; k < select.length; k += chunk) {
      const ts = select.slice(k, k + chunk);
      const data = new Float64Array(ts.length * template.samplesPerTrace);
      ts.forEach((t, r) => template.readTraces(t, 1, data, r * template.samplesPerTrace));
      w.writeTraces(ts, data);
    }
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
}
