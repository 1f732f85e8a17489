// A SEG-Y file opened for positional reads: headers parsed once, traces read by number from their
// byte offsets, so nothing larger than the traces asked for is ever in memory.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { decodeText, detectEncoding, type TextEncoding } from './ebcdic.js';
import { SegyError } from './errors.js';
import { decodeSamples, FORMATS, type SampleFormat } from './formats.js';
import { parseBinaryHeader, TraceHeader, readInt, type BinaryHeader } from './headers.js';
import { readReason } from '../io/errno.js';

export type ByteOrder = 'big' | 'little';

/** A 3200-byte textual header (the main one or an extended one), raw and decoded. */
export interface TextHeader {
  bytes: Uint8Array;
  encoding: TextEncoding;
  /** Decoded text, 3200 characters (40 card images of 80 for the main header). */
  text: string;
}

const BYTE_ORDER_MARK = 0x01020304;
// The stanza that ends extended textual headers of unknown count: it opens the last record.
const END_TEXT = /^[\s\0]*\(\(\s*SEG\s*:\s*ENDTEXT\s*\)\)/i;

/** Reads exactly `length` bytes at `position`, or fails naming the file and offset. */
export function readExactly(fd: number, file: string, buf: Uint8Array, position: number, length = buf.length): void {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new SegyError(file, `the file ends after ${position + got} bytes while reading ${length} bytes here: it was cut short or changed while open; copy it again`, { offset: position + got });
    got += n;
  }
}

/** Splits a textual header's text into its 80-character card images, trailing blanks and control characters removed. */
export function textLines(text: string): string[] {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 80) lines.push(text.slice(i, i + 80).replace(/[\s\0-\x1f\x7f-\xa0]+$/, ''));
  return lines;
}

export interface OpenOptions {
  /** Force a byte order instead of detecting it. */
  byteOrder?: ByteOrder;
}

/**
 * An open SEG-Y file (rev 0, 1 or 2; SEG Technical Standards Committee, SEG-Y_r2.0, 2017).
 * Opening reads the textual, extended textual and binary headers and checks the trace area is a
 * whole number of traces. Traces are numbered from 0 in file order.
 * Throws SegyError for a file shorter than its headers, an unknown format code, missing extended
 * textual headers, or a trace area that is not a whole number of traces.
 */
/** Opens `path` for reading, or throws a SegyError that says in words why it cannot be read. */
function openFile(path: string): number {
  try {
    // Linux opens a folder for reading; its first read would fail with a bare EISDIR.
    if (statSync(path).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    return openSync(path, 'r');
  } catch (e) {
    const folder = (e as NodeJS.ErrnoException).code === 'EISDIR';
    throw new SegyError(path, `cannot open: ${folder ? 'this is a folder; name a SEG-Y file in it' : readReason(e)}`);
  }
}

export class SegyFile {
  readonly size: number;
  readonly textHeader: TextHeader;
  readonly extendedTextHeaders: TextHeader[];
  /** The raw 400-byte binary header, in the file's byte order. */
  readonly binaryBytes: Uint8Array;
  readonly binary: BinaryHeader;
  readonly byteOrder: ByteOrder;
  readonly format: SampleFormat;
  /** SEG-Y revision as [major, minor]; a revision written as a 16-bit integer 1 or 2 reads as [1, 0] or [2, 0]. */
  readonly revision: [number, number];
  readonly samplesPerTrace: number;
  /** Sample interval: µs for time data (rev 2's extended interval where set; trace 0's where the binary header's is 0 or negative; 0 if neither is valid). */
  readonly sampleInterval: number;
  /** Byte offset of trace 0's header. */
  readonly dataOffset: number;
  /** Bytes of trace headers before each trace's samples: 240 × (1 + rev 2 additional trace headers). */
  readonly traceHeaderBytes: number;
  /** Bytes from one trace's header to the next's. */
  readonly traceBytes: number;
  readonly traceCount: number;
  private fd: number | undefined;

  constructor(readonly path: string, opts: OpenOptions = {}) {
    this.fd = openFile(path);
    try {
      const fd = this.fd;
      this.size = fstatSync(fd).size;
      if (this.size < 3600) {
        throw new SegyError(path, `the file is ${this.size} bytes, shorter than the 3600 bytes of textual and binary header every SEG-Y file starts with: it was cut short, or it is not SEG-Y`, { offset: this.size });
      }
      const head = new Uint8Array(3600);
      readExactly(fd, path, head, 0);
      this.textHeader = textHeader(head.slice(0, 3200));
      this.binaryBytes = head.slice(3200);
      const le = (this.byteOrder = opts.byteOrder ?? detectByteOrder(path, this.binaryBytes)) === 'little';
      const b = (this.binary = parseBinaryHeader(this.binaryBytes, le));
      const fmt = FORMATS.get(b.formatCode);
      if (!fmt) {
        const why = b.formatCode === 4 ? 'format 4 (fixed point with gain) is obsolete and not read' : `format code ${b.formatCode} is not a SEG-Y sample format`;
        throw new SegyError(path, `${why} (binary header bytes 3225-3226, read ${this.byteOrder}-endian); the formats read are ${[...FORMATS.keys()].join(', ')}. Convert the file, or fix the format code if the header is wrong`, { offset: 3224 });
      }
      this.format = fmt;
      // rev 1 writes 0x0100 (major 1 in the first byte); some writers put the integer 1 or 2 in both bytes.
      this.revision = b.revisionMajor === 0 && (b.revisionMinor === 1 || b.revisionMinor === 2) ? [b.revisionMinor, 0] : [b.revisionMajor, b.revisionMinor];
      const rev2 = this.revision[0] >= 2;

      // Extended textual headers: a count, or -1 and stanzas until ((SEG: EndText)).
      this.extendedTextHeaders = [];
      let offset = 3600;
      const count = b.extendedTextHeaders;
      if (count < -1) throw new SegyError(path, `the count of extended textual headers (binary header bytes 3505-3506) is ${count}; it must be -1 (unknown) or 0 or more. Fix the header (0 if there are none)`, { offset: 3504 });
      for (let i = 0; count === -1 || i < count; i++) {
        if (offset + 3200 > this.size) {
          throw new SegyError(path, count === -1
            ? `extended textual header ${i + 1} would start here but the file ends at ${this.size}; the binary header says their count is unknown (-1) and no ((SEG: EndText)) stanza was found. Set bytes 3505-3506 to the real count`
            : `the binary header (bytes 3505-3506) counts ${count} extended textual headers but the file ends at ${this.size}, inside number ${i + 1}: it was cut short or the count is wrong`, { offset });
        }
        const bytes = new Uint8Array(3200);
        readExactly(fd, path, bytes, offset);
        offset += 3200;
        const t = textHeader(bytes);
        this.extendedTextHeaders.push(t);
        if (count === -1 && END_TEXT.test(t.text)) break;
      }

      let ns = rev2 && b.extSamplesPerTrace > 0 ? b.extSamplesPerTrace : b.samplesPerTrace;
      let dt = rev2 && b.extSampleInterval > 0 ? b.extSampleInterval : b.sampleInterval;
      const plainStart = offset;
      // Rev 2 layout fields (first trace offset, additional trace headers, trailer, trace count) are
      // unassigned bytes in older files and sometimes garbage in newer ones: each is used only where
      // it fits the file, and the whole rev 2 layout only where it gives a whole number of traces.
      const start2 = rev2 && b.firstTraceOffset >= plainStart && b.firstTraceOffset <= this.size ? b.firstTraceOffset : plainStart;
      // Rev 0 files sometimes leave the binary header's count or interval 0: take trace 0's.
      // A negative interval (a signed field) is no interval; 0 then means unknown.
      if ((ns === 0 || dt <= 0) && start2 + 240 <= this.size) {
        const h = new Uint8Array(240);
        readExactly(fd, path, h, start2);
        if (ns === 0) ns = readInt(h, 114, 2, le, false);
        if (dt <= 0) dt = Math.max(0, readInt(h, 116, 2, le, true));
      }
      this.samplesPerTrace = ns;
      this.sampleInterval = Math.max(0, dt);
      const samplesBytes = ns * fmt.bytes;
      const layouts: { start: number; headers: number; trailer: number }[] = [];
      if (rev2) {
        const extra = b.maxAdditionalTraceHeaders;
        const headers = 240 * (1 + (extra > 0 && 240 * (1 + extra) + samplesBytes <= this.size - start2 ? extra : 0));
        const trailer = b.trailerStanzas > 0 && b.trailerStanzas * 3200 <= this.size - start2 ? b.trailerStanzas * 3200 : 0;
        layouts.push({ start: start2, headers, trailer });
      }
      layouts.push({ start: plainStart, headers: 240, trailer: 0 });
      const fits = (l: (typeof layouts)[number]) => {
        const area = this.size - l.trailer - l.start;
        return area >= 0 && area % (l.headers + samplesBytes) === 0;
      };
      const layout = layouts.find(fits) ?? layouts[0]!;
      this.dataOffset = layout.start;
      this.traceHeaderBytes = layout.headers;
      this.traceBytes = layout.headers + samplesBytes;
      const area = this.size - layout.trailer - layout.start;
      if (area < 0) throw new SegyError(path, `the headers (${layout.start} bytes${layout.trailer ? ` and ${layout.trailer} bytes of trailer` : ''}) are longer than the file (${this.size} bytes): it was cut short`, { offset: this.size });
      const whole = Math.floor(area / this.traceBytes);
      const rest = area - whole * this.traceBytes;
      if (rest !== 0) {
        const at = this.dataOffset + whole * this.traceBytes;
        throw new SegyError(path, `the trace area (${area} bytes from byte ${this.dataOffset}) is not a whole number of ${this.traceBytes}-byte traces (${this.traceHeaderBytes}-byte header + ${ns} samples × ${fmt.bytes} bytes of format ${fmt.code}): trace ${whole} has only ${rest} bytes. The file was cut short (copy it again), or the samples per trace (bytes 3221-3222${rev2 ? ', or 3269-3272 in rev 2' : ''}) or the format code (bytes 3225-3226) in the binary header are wrong`, { offset: at, trace: whole });
      }
      this.traceCount = rev2 && b.tracesInFile > 0 && b.tracesInFile <= whole ? b.tracesInFile : whole;
    } catch (e) {
      this.close();
      throw e;
    }
  }

  get littleEndian(): boolean {
    return this.byteOrder === 'little';
  }

  /** Byte offset of trace `i`'s header. */
  traceOffset(i: number): number {
    return this.dataOffset + i * this.traceBytes;
  }

  private get descriptor(): number {
    if (this.fd === undefined) throw new SegyError(this.path, 'the file is closed; open it again');
    return this.fd;
  }

  private checkRange(first: number, count: number): void {
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 0 || first + count > this.traceCount) {
      throw new SegyError(this.path, `traces ${first}..${first + count - 1} asked for; the file holds traces 0..${this.traceCount - 1}`, { trace: first });
    }
  }

  /** Reads the raw bytes (headers and samples) of `count` traces from `first`, into `buf` if given. */
  readTraceBytes(first: number, count: number, buf?: Uint8Array): Uint8Array {
    this.checkRange(first, count);
    const out = buf ?? new Uint8Array(count * this.traceBytes);
    readExactly(this.descriptor, this.path, out, this.traceOffset(first), count * this.traceBytes);
    return out;
  }

  /** Trace `i`'s 240-byte standard header. */
  traceHeader(i: number): TraceHeader {
    this.checkRange(i, 1);
    const bytes = new Uint8Array(240);
    readExactly(this.descriptor, this.path, bytes, this.traceOffset(i));
    return new TraceHeader(bytes, this.littleEndian);
  }

  /** Reads trace `i`'s `traceHeaderBytes` header bytes into `out` (for copying headers unparsed). */
  readHeaderInto(i: number, out: Uint8Array): void {
    this.checkRange(i, 1);
    readExactly(this.descriptor, this.path, out, this.traceOffset(i), this.traceHeaderBytes);
  }

  /** Every trace header's raw `traceHeaderBytes` bytes, `count` from `first`, without their samples. */
  readHeaderBytes(first: number, count: number): Uint8Array {
    this.checkRange(first, count);
    const h = this.traceHeaderBytes;
    const out = new Uint8Array(count * h);
    for (let i = 0; i < count; i++) readExactly(this.descriptor, this.path, out.subarray(i * h, (i + 1) * h), this.traceOffset(first + i));
    return out;
  }

  /**
   * Samples of `count` consecutive traces from `first`, as a [count × samplesPerTrace] row-major array:
   * Float32Array unless `out` is a Float64Array (for formats 2, 6, 9, 10, 12, whose values float32 may
   * round). Reads in chunks of at most `chunkBytes`.
   */
  readTraces<T extends Float32Array | Float64Array = Float32Array>(first: number, count: number, out?: T, outOffset = 0, chunkBytes = 4 << 20): T {
    this.checkRange(first, count);
    const ns = this.samplesPerTrace;
    const o = out ?? (new Float32Array(count * ns) as T);
    if (o.length < outOffset + count * ns) throw new RangeError(`readTraces: out holds ${o.length} values, ${outOffset + count * ns} needed`);
    const per = Math.max(1, Math.floor(chunkBytes / this.traceBytes));
    const buf = new Uint8Array(Math.min(per, count) * this.traceBytes);
    for (let done = 0; done < count; done += per) {
      const n = Math.min(per, count - done);
      readExactly(this.descriptor, this.path, buf, this.traceOffset(first + done), n * this.traceBytes);
      for (let k = 0; k < n; k++) {
        decodeSamples(buf, k * this.traceBytes + this.traceHeaderBytes, ns, this.format.code, this.littleEndian, o, outOffset + (done + k) * ns);
      }
    }
    return o;
  }

  /** Trace `i`'s samples (Float32Array of samplesPerTrace). */
  trace(i: number): Float32Array {
    return this.readTraces(i, 1);
  }

  /**
   * Visits every trace header in file order, reading whole traces in chunks of about `chunkBytes` when
   * traces are small and headers alone when they are large, so memory stays bounded.
   */
  forEachHeader(visit: (i: number, header: Uint8Array) => void, chunkBytes = 1 << 20): void {
    const fd = this.descriptor;
    const tb = this.traceBytes;
    const per = Math.max(1, Math.floor(chunkBytes / tb));
    if (tb > 16 * this.traceHeaderBytes) {
      const h = new Uint8Array(this.traceHeaderBytes);
      for (let i = 0; i < this.traceCount; i++) {
        readExactly(fd, this.path, h, this.traceOffset(i));
        visit(i, h);
      }
      return;
    }
    const buf = new Uint8Array(Math.min(per, Math.max(1, this.traceCount)) * tb);
    for (let first = 0; first < this.traceCount; first += per) {
      const n = Math.min(per, this.traceCount - first);
      readExactly(fd, this.path, buf, this.traceOffset(first), n * tb);
      for (let k = 0; k < n; k++) visit(first + k, buf.subarray(k * tb, k * tb + this.traceHeaderBytes));
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function textHeader(bytes: Uint8Array): TextHeader {
  const encoding = detectEncoding(bytes);
  return { bytes, encoding, text: decodeText(bytes, encoding) };
}

/**
 * The byte order of a binary header: rev 2's byte-order constant 0x01020304 at bytes 3297-3300 if
 * present, otherwise the order in which the format code (bytes 3225-3226) is a known code.
 */
export function detectByteOrder(file: string, binary: Uint8Array): ByteOrder {
  const mark = new DataView(binary.buffer, binary.byteOffset + 96, 4);
  if (mark.getUint32(0, false) === BYTE_ORDER_MARK) return 'big';
  if (mark.getUint32(0, true) === BYTE_ORDER_MARK) return 'little';
  const fmt = new DataView(binary.buffer, binary.byteOffset + 24, 2);
  const be = fmt.getInt16(0, false);
  const le = fmt.getInt16(0, true);
  if (FORMATS.has(be) || be === 4) return 'big';
  if (FORMATS.has(le) || le === 4) return 'little';
  throw new SegyError(file, `the format code (binary header bytes 3225-3226) reads ${be} big-endian and ${le} little-endian, neither a SEG-Y sample format (${[...FORMATS.keys()].join(', ')}), and there is no byte-order constant at bytes 3297-3300: the binary header is damaged or this is not a SEG-Y file. Fix the format code`, { offset: 3224 });
}

/** Opens a SEG-Y file; see SegyFile. */
export function openSegy(path: string, opts: OpenOptions = {}): SegyFile {
  return new SegyFile(path, opts);
}
