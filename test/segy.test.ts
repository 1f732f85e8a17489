// SEG-Y: every file in ../shared/segy against the facts its README gives (from an independent reader),
// hand-computed IBM floats and integer formats, numpy's reading of f3.sgy, round trips through the
// writer in both byte orders, and the errors bad files get.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SegyError, SegyWriter, TRACE_FIELDS, copySegy, decodeSamples, ibmToNumber, numberToIbm, openSegy, openVolume,
  scanGeometry, segyInfo, type SegyFile,
} from '../src/segy/index.js';
import { formatInfo } from '../src/cli/segy.js';
import { halite } from './helpers/cli.js';

const SEGY = join(import.meta.dirname, '..', '..', 'shared', 'segy');
const skip = !existsSync(SEGY) && 'no ../shared/segy';
const at = (name: string) => join(SEGY, name);
const dir = mkdtempSync(join(tmpdir(), 'halite-segy-'));

/** Every sample of a file as float64, in file order. */
const allSamples = (f: SegyFile) => f.readTraces(0, f.traceCount, new Float64Array(f.traceCount * f.samplesPerTrace));

/** `actual` equals a decimal printed in the README to its last printed digit. */
function closeToPrinted(actual: number, printed: string, what: string) {
  const decimals = printed.split('.')[1]?.length ?? 0;
  const tol = 0.5 * 10 ** -decimals + 1e-9 * Math.abs(actual);
  assert.ok(Math.abs(actual - Number(printed)) <= tol, `${what}: ${actual} is not ${printed}`);
}

// The README's table: byte order, format, samples, interval (µs), traces, inline and crossline ranges, sum/min/max.
interface Fact { order: 'big' | 'little'; format: number; ns: number; dt: number; traces: number; il?: [number, number, number]; xl?: [number, number, number]; stats?: [string, string, string] }
const F3: Omit<Fact, 'order' | 'format'> = { ns: 75, dt: 4000, traces: 414, il: [111, 133, 23], xl: [875, 892, 18], stats: ['780251', '-10239', '10827'] };
const SMALL: Omit<Fact, 'order'> = { format: 1, ns: 50, dt: 4000, traces: 25, il: [1, 5, 5], xl: [20, 24, 5], stats: ['4025.3058538', '1.2', '5.2404900'] };
const TINY: Fact = { order: 'big', format: 1, ns: 4, dt: 1000, traces: 6, il: [1, 3, 3], xl: [20, 21, 2], stats: ['52.9203520', '1.2', '3.2100296'] };
const FACTS: Record<string, Fact> = {
  'f3.sgy': { order: 'big', format: 3, ...F3 },
  'f3-lsb.sgy': { order: 'little', format: 3, ...F3 },
  'Format1msb.sgy': { order: 'big', format: 1, ...F3 },
  'Format1lsb.sgy': { order: 'little', format: 1, ...F3 },
  'Format2msb.sgy': { order: 'big', format: 2, ...F3 },
  'Format3msb.sgy': { order: 'big', format: 3, ...F3 },
  'Format5msb.sgy': { order: 'big', format: 5, ...F3 },
  'Format5lsb.sgy': { order: 'little', format: 5, ...F3 },
  'Format6msb.sgy': { order: 'big', format: 6, ...F3 },
  'Format8msb.sgy': { order: 'big', format: 8, ...F3, stats: ['-19749', '-128', '127'] },
  'Format16msb.sgy': { order: 'big', format: 16, ...F3, stats: ['3229403', '0', '255'] },
  'small.sgy': { order: 'big', ...SMALL },
  'small-lsb.sgy': { order: 'little', ...SMALL },
  'tiny.sgy': TINY,
  'stanzas-known-count.sgy': TINY,
  'multi-text.sgy': { order: 'big', format: 1, ns: 1, dt: 4000, traces: 1, il: [0, 0, 1], xl: [0, 0, 1], stats: ['0', '0', '0'] },
  'delay-scalar.sgy': { order: 'big', format: 1, ns: 251, dt: 4000, traces: 1, il: [2500, 2500, 1], xl: [1883, 1883, 1], stats: ['31375', '0', '250'] },
  'shot-gather.sgy': { order: 'big', format: 1, ns: 25, dt: 1000, traces: 61 },
  'text.sgy': { order: 'big', format: 1, ns: 1, dt: 4000, traces: 0 },
};

test('every file in ../shared/segy reads as its README says: byte order, format, samples, interval, traces, geometry, sum/min/max', { skip }, () => {
  const files = readdirSync(SEGY).filter((f) => f.endsWith('.sgy')).sort();
  assert.deepEqual(files.filter((f) => !FACTS[f] && f !== 'broken.sgy'), [], 'a fact for every file');
  for (const [name, fact] of Object.entries(FACTS)) {
    const f = openSegy(at(name));
    try {
      assert.equal(f.byteOrder, fact.order, `${name} byte order`);
      assert.equal(f.format.code, fact.format, `${name} format`);
      assert.equal(f.samplesPerTrace, fact.ns, `${name} samples`);
      assert.equal(f.sampleInterval, fact.dt, `${name} interval`);
      assert.equal(f.traceCount, fact.traces, `${name} traces`);
      if (fact.il && fact.xl) {
        const g = scanGeometry(f);
        assert.deepEqual([g.inlines.first, g.inlines.last, g.inlines.count], fact.il, `${name} inlines`);
        assert.deepEqual([g.crosslines.first, g.crosslines.last, g.crosslines.count], fact.xl, `${name} crosslines`);
        assert.equal(g.padded, 0, `${name} padded`);
      }
      if (fact.stats) {
        const s = allSamples(f);
        let sum = 0, min = Infinity, max = -Infinity;
        for (const v of s) { sum += v; min = Math.min(min, v); max = Math.max(max, v); }
        closeToPrinted(sum, fact.stats[0], `${name} sum`);
        closeToPrinted(min, fact.stats[1], `${name} min`);
        closeToPrinted(max, fact.stats[2], `${name} max`);
      }
    } finally {
      f.close();
    }
  }
});

test('every Format* file decodes to f3.sgy\'s samples (wrapped to 8 bits where the format holds 8)', { skip }, () => {
  const f3 = openSegy(at('f3.sgy'));
  const ref = allSamples(f3);
  f3.close();
  for (const name of readdirSync(SEGY).filter((f) => /^Format\d+(msb|lsb)\.sgy$/.test(f))) {
    const f = openSegy(at(name));
    const code = f.format.code;
    const want = code === 8 ? ref.map((v) => (v << 24) >> 24) : code === 16 ? ref.map((v) => v & 0xff) : ref;
    assert.deepEqual(allSamples(f), want, name);
    if (code !== 6) assert.deepEqual(f.readTraces(0, f.traceCount), Float32Array.from(want), `${name} as float32`);
    f.close();
  }
});

test('f3.sgy agrees with numpy reading its int16 samples at their byte offsets, and segy info\'s percentiles with numpy\'s', { skip }, () => {
  const py = `
import numpy as np, json
a = np.frombuffer(open(${JSON.stringify(at('f3.sgy'))}, 'rb').read()[3600:], dtype='u1').reshape(414, 240 + 150)[:, 240:].copy().view('>i2').astype(np.float64)
print(json.dumps({'t0': a[0, :5].tolist(), 't413': a[413, -3:].tolist(), 'p': np.percentile(a, [0.5, 1, 50, 99, 99.5]).tolist()}))`;
  const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const np = JSON.parse(r.stdout) as { t0: number[]; t413: number[]; p: number[] };
  const f = openSegy(at('f3.sgy'));
  assert.deepEqual([...f.trace(0).subarray(0, 5)], np.t0);
  assert.deepEqual([...f.trace(413).subarray(72)], np.t413);
  f.close();
  const info = segyInfo(at('f3.sgy'));
  assert.equal(info.amplitudes.traces, 414, 'fewer than 1000 traces: all are used');
  info.amplitudes.percentiles.forEach(({ value }, k) => assert.ok(Math.abs(value! - np.p[k]!) < 1e-3, `percentile ${k}: ${value} vs numpy ${np.p[k]}`));
});

test('IBM floats convert exactly, by hand-computed values, and back', () => {
  const cases: [number, number][] = [
    [0xc276a000, -118.625],
    [0x42640000, 100],
    [0x00000000, 0],
    [0x41100000, 1],
    [0xc1100000, -1],
    [0x40800000, 0.5],
    [0x00100000, 2 ** -260], // smallest normalised: 16^-64 / 16
    [0x7fffffff, (1 - 2 ** -24) * 16 ** 63], // largest
    [0x80000000, -0], // negative zero
  ];
  for (const [bits, v] of cases) {
    assert.equal(ibmToNumber(bits), v, bits.toString(16));
    if (v !== 0) assert.equal(numberToIbm(v), bits, `back to ${bits.toString(16)}`);
  }
  assert.equal(numberToIbm(0.1), 0x4019999a, '0.1 rounds to nearest');
  assert.equal(numberToIbm(1e80), 0x7fffffff, 'overflow saturates');
  assert.equal(numberToIbm(1e-90), 0, 'underflow flushes');
  for (let i = -3000; i <= 3000; i += 7) assert.equal(ibmToNumber(numberToIbm(i * 0.25)), i * 0.25);
  assert.equal(Math.fround(ibmToNumber(0x7fffffff)), Infinity, 'beyond float32: Infinity in a Float32Array');
});

test('integer formats 7, 9, 10, 11, 12, 15 decode hand-made bytes in both byte orders', () => {
  const dec = (code: number, bytes: number[], le: boolean) => {
    const out = new Float64Array(bytes.length);
    const n = bytes.length / ({ 7: 3, 9: 8, 10: 4, 11: 2, 12: 8, 15: 3 } as Record<number, number>)[code]!;
    decodeSamples(Uint8Array.from(bytes), 0, n, code, le, out);
    return [...out.subarray(0, n)];
  };
  assert.deepEqual(dec(7, [0xff, 0xff, 0xfe, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00], false), [-2, 256, -8388608]);
  assert.deepEqual(dec(7, [0xfe, 0xff, 0xff, 0x00, 0x01, 0x00], true), [-2, 256]);
  assert.deepEqual(dec(15, [0xff, 0xff, 0xfe, 0x00, 0x01, 0x00], false), [16777214, 256]);
  assert.deepEqual(dec(15, [0xfe, 0xff, 0xff], true), [16777214]);
  assert.deepEqual(dec(9, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd], false), [-3]);
  assert.deepEqual(dec(9, [0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00], true), [2 ** 32]);
  assert.deepEqual(dec(10, [0xff, 0xff, 0xff, 0xff], false), [4294967295]);
  assert.deepEqual(dec(11, [0xff, 0xfe, 0x01, 0x00], false), [65534, 256]);
  assert.deepEqual(dec(11, [0xff, 0xfe], true), [65279]);
  assert.deepEqual(dec(12, [0x00, 0x20, 0, 0, 0, 0, 0, 0x01], false), [9007199254740992]); // 0x0020000000000001 = 2^53 + 1 rounds to 2^53
});

/** f3.sgy rewritten with its samples (+ offset) in another integer format, header by header, with DataView. */
function f3As(code: number, offset: number, le: boolean): string {
  const src = readFileSync(at('f3.sgy'));
  const width = ({ 7: 3, 9: 8, 10: 4, 11: 2, 12: 8, 15: 3 } as Record<number, number>)[code]!;
  const out = Buffer.alloc(3600 + 414 * (240 + 75 * width));
  src.copy(out, 0, 0, 3600);
  const swap16 = (b: Buffer, o: number) => { if (le) b.writeInt16LE(b.readInt16BE(o), o); };
  out.writeInt16BE(code, 3224);
  swap16(out, 3224);
  if (le) { out.writeUInt32LE(0x01020304, 3296); for (const o of [3216, 3220]) swap16(out, o); }
  const v = new DataView(out.buffer, out.byteOffset);
  for (let t = 0; t < 414; t++) {
    const s = 3600 + t * 390;
    const d = 3600 + t * (240 + 75 * width);
    src.copy(out, d, s, s + 240);
    if (le) { out.writeInt32LE(src.readInt32BE(s + 188), d + 188); out.writeInt32LE(src.readInt32BE(s + 192), d + 192); }
    for (let k = 0; k < 75; k++) {
      const x = src.readInt16BE(s + 240 + 2 * k) + offset;
      const o = d + 240 + k * width;
      if (width === 3) {
        const u = x & 0xffffff;
        const b = [u >> 16, (u >> 8) & 0xff, u & 0xff];
        (le ? b.reverse() : b).forEach((y, i) => v.setUint8(o + i, y));
      } else if (width === 8) v.setBigInt64(o, BigInt(x), le);
      else if (width === 4) v.setUint32(o, x, le);
      else v.setUint16(o, x, le);
    }
  }
  const p = join(dir, `f3-format${code}-${le ? 'lsb' : 'msb'}.sgy`);
  writeFileSync(p, out);
  return p;
}

test('f3 written as formats 7, 9, 10, 11, 12 and 15 in both byte orders reads back as f3 (+32768 for unsigned formats)', { skip }, () => {
  const f3 = openSegy(at('f3.sgy'));
  const ref = allSamples(f3);
  f3.close();
  for (const [code, offset] of [[7, 0], [9, 0], [10, 32768], [11, 32768], [12, 32768], [15, 32768]] as const) {
    for (const le of [false, true]) {
      const f = openSegy(f3As(code, offset, le));
      assert.equal(f.byteOrder, le ? 'little' : 'big');
      assert.equal(f.format.code, code);
      assert.deepEqual(allSamples(f), ref.map((x) => x + offset), `format ${code} ${le ? 'lsb' : 'msb'}`);
      const g = scanGeometry(f);
      assert.equal(g.inlines.count * g.crosslines.count, 414);
      f.close();
    }
  }
});

test('textual headers: EBCDIC and ASCII told apart, and the F3 crop says where it came from', { skip }, () => {
  const f3 = openSegy(at('f3.sgy'));
  assert.equal(f3.textHeader.encoding, 'ebcdic');
  assert.match(f3.textHeader.text, /^C 1 Cropped F3/);
  assert.match(f3.textHeader.text, /Dutch North Sea/);
  f3.close();
  const ds = openSegy(at('delay-scalar.sgy'));
  assert.equal(ds.textHeader.encoding, 'ascii');
  assert.match(ds.textHeader.text, /SEG Y REV1/);
  ds.close();
});

test('extended textual headers: a known count (3 stanzas, ASCII and EBCDIC) and 4 in multi-text.sgy', { skip }, () => {
  const s = openSegy(at('stanzas-known-count.sgy'));
  assert.equal(s.binary.extendedTextHeaders, 3);
  assert.deepEqual(s.extendedTextHeaders.map((t) => t.encoding), ['ascii', 'ebcdic', 'ascii']);
  assert.match(s.extendedTextHeaders[1]!.text, /^\(\(SEGYIO:Test EBCDIC data\)\)/);
  assert.equal(s.dataOffset, 3600 + 3 * 3200);
  const tiny = openSegy(at('tiny.sgy'));
  assert.deepEqual(allSamples(s), allSamples(tiny), 'same traces as tiny.sgy after the stanzas');
  tiny.close();
  s.close();
  const m = openSegy(at('multi-text.sgy'));
  assert.equal(m.extendedTextHeaders.length, 4);
  assert.equal(m.traceCount, 1);
  m.close();
});

test('extended textual headers of unknown count (-1) end at ((SEG: EndText)); without it, an error naming the offset', { skip }, () => {
  const tiny = readFileSync(at('tiny.sgy'));
  const stanza = (t: string) => Buffer.from(t.padEnd(3200, ' '), 'latin1');
  const bin = Buffer.from(tiny.subarray(3200, 3600));
  bin.writeInt16BE(-1, 304);
  const p = join(dir, 'unknown-count.sgy');
  writeFileSync(p, Buffer.concat([tiny.subarray(0, 3200), bin, stanza('((halite: a note that quotes ((SEG: EndText)) mid-record))'), stanza('((SEG: EndText))'), tiny.subarray(3600)]));
  const f = openSegy(p);
  assert.equal(f.extendedTextHeaders.length, 2, 'ends at the record that opens with the stanza, not one quoting it');
  assert.equal(f.traceCount, 6);
  const t = openSegy(at('tiny.sgy'));
  assert.deepEqual(allSamples(f), allSamples(t));
  t.close();
  f.close();
  const q = join(dir, 'no-endtext.sgy');
  writeFileSync(q, Buffer.concat([tiny.subarray(0, 3200), bin, stanza('((halite: a note))')]));
  assert.throws(() => openSegy(q), (e: unknown) => e instanceof SegyError && e.place.offset === 6800 && /EndText/.test(e.message) && e.message.includes(q));
});

/** tiny.sgy with its binary header edited by `edit` and parts around its traces, written to a temporary file. */
function tinyWith(name: string, edit: (bin: Buffer) => void, parts: { gap?: number; extraHeaders?: number; trailer?: number } = {}): string {
  const tiny = readFileSync(at('tiny.sgy'));
  const bin = Buffer.from(tiny.subarray(3200, 3600));
  edit(bin);
  const traces: Buffer[] = [];
  for (let t = 0; t < 6; t++) {
    const o = 3600 + t * 256;
    traces.push(tiny.subarray(o, o + 240), Buffer.alloc(240 * (parts.extraHeaders ?? 0), t + 1), tiny.subarray(o + 240, o + 256));
  }
  const p = join(dir, name);
  writeFileSync(p, Buffer.concat([tiny.subarray(0, 3200), bin, Buffer.alloc(parts.gap ?? 0, 0xee), ...traces, Buffer.alloc(parts.trailer ?? 0, 0x40)]));
  return p;
}

test('sample interval: a negative binary-header value falls back to trace 0\'s, and both negative is unknown (0)', { skip }, () => {
  const b = Buffer.from(readFileSync(tinyWith('neg-bin.sgy', (bin) => bin.writeInt16BE(-2000, 16))));
  b.writeInt16BE(4000, 3600 + 116); // trace 0's interval (tiny.sgy leaves it 0)
  const p = join(dir, 'neg-bin-pos-trace.sgy');
  writeFileSync(p, b);
  const f = openSegy(p);
  assert.equal(f.sampleInterval, 4000, 'trace 0 says 4000 µs');
  f.close();
  b.writeInt16BE(-25000, 3600 + 116);
  writeFileSync(p, b);
  const g = openSegy(p);
  assert.equal(g.sampleInterval, 0);
  g.close();
});

test('rev 2 layouts: first trace offset, additional trace headers and trailer stanzas are honoured; garbage in those fields is not', { skip }, () => {
  const ref = openSegy(at('tiny.sgy'));
  const want = allSamples(ref);
  const rev2 = (b: Buffer) => { b.writeUInt8(2, 300); b.writeUInt8(0, 301); };
  const gap = tinyWith('rev2-gap.sgy', (b) => { rev2(b); b.writeBigUInt64BE(3600n + 500n, 320); }, { gap: 500 });
  const extra = tinyWith('rev2-extra.sgy', (b) => { rev2(b); b.writeInt32BE(2, 306); }, { extraHeaders: 2 });
  const trailer = tinyWith('rev2-trailer.sgy', (b) => { rev2(b); b.writeInt32BE(1, 328); b.writeBigUInt64BE(6n, 312); }, { trailer: 3200 });
  const garbage = tinyWith('rev2-garbage.sgy', (b) => {
    rev2(b);
    b.writeInt32BE(0x7ffffff0, 306); // additional trace headers
    b.writeBigUInt64BE(0xfffffffffffffff0n, 312); // traces in file
    b.writeBigUInt64BE(0xffffffffffffff00n, 320); // first trace offset
    b.writeInt32BE(0x7fffff00, 328); // trailer stanzas
  });
  for (const [p, headers, offset] of [[gap, 240, 4100], [extra, 720, 3600], [trailer, 240, 3600], [garbage, 240, 3600]] as const) {
    const f = openSegy(p);
    assert.equal(f.revision[0], 2);
    assert.equal(f.traceHeaderBytes, headers, p);
    assert.equal(f.dataOffset, offset, p);
    assert.equal(f.traceCount, 6, p);
    assert.deepEqual(allSamples(f), want, p);
    assert.deepEqual(scanGeometry(f).index, scanGeometry(ref).index);
    f.close();
  }
  // The writer keeps the additional trace headers with their traces.
  const src = openSegy(extra);
  const out = join(dir, 'rev2-extra-copy.sgy');
  copySegy(src, out, { byteOrder: 'little' });
  const back = openSegy(out);
  assert.equal(back.traceHeaderBytes, 720);
  assert.deepEqual(allSamples(back), want);
  const h = new Uint8Array(720);
  back.readHeaderInto(3, h);
  assert.ok(h.subarray(240).every((x) => x === 4), 'additional headers of trace 3 copied');
  back.close();
  src.close();
  ref.close();
});

test('trace headers: the delay and its rev 2 time scalar, the coordinate scalar, and any field by byte position', { skip }, () => {
  const f = openSegy(at('delay-scalar.sgy'));
  const h = f.traceHeader(0);
  assert.equal(h.field('delayRecordingTime'), 10000);
  assert.equal(h.field('timeScalar'), -10);
  assert.equal(h.delayMs(), 1000);
  assert.equal(h.field('coordinateScalar'), -100);
  assert.equal(h.get(189), 2500);
  assert.equal(h.get(193), 1883);
  assert.equal(h.get(109, 2), 10000);
  assert.equal(h.get(115, 2), 251);
  assert.equal(h.fields().inline, 2500);
  f.close();
  for (const [name, fl] of Object.entries(TRACE_FIELDS)) assert.ok(fl.byte >= 1 && fl.byte + fl.width - 1 <= 232, name);
});

test('pre-stack data (shot-gather.sgy) is refused with the file, the position and what was found', { skip }, () => {
  assert.throws(() => openVolume(at('shot-gather.sgy')), (e: unknown) => e instanceof SegyError
    && e.message.includes('shot-gather.sgy') && /pre-stack/.test(e.message) && /inline 0, crossline 0 alone holds 61 traces/.test(e.message) && /--iline-byte/.test(e.message));
});

test('a file of headers only (text.sgy) opens, but has no survey: its geometry is refused, naming the file; info shows its headers', { skip }, () => {
  const f = openSegy(at('text.sgy'));
  assert.equal(f.traceCount, 0);
  f.close();
  assert.throws(() => openVolume(at('text.sgy')), (e: unknown) => e instanceof SegyError && e.message.includes('text.sgy') && /holds no traces, only its headers \(3600 bytes\)/.test(e.message));
  const info = segyInfo(at('text.sgy'));
  assert.equal(info.traces, 0);
  assert.ok('error' in info.geometry && /holds no traces/.test(info.geometry.error));
});

test('bad files: a cut trace area, an unknown or obsolete format code, a file shorter than its headers', { skip }, () => {
  assert.throws(() => openSegy(at('broken.sgy')), (e: unknown) => e instanceof SegyError
    && e.place.offset === 10000 + 3 * 256 && e.place.trace === 3 && e.message.includes('broken.sgy') && /byte offset 10768/.test(e.message) && /cut short/.test(e.message));
  const f3 = readFileSync(at('f3.sgy'));
  for (const [code, why] of [[13, /reads 13 big-endian and 3328 little-endian, neither a SEG-Y sample format/], [4, /format 4 .* obsolete/]] as const) {
    const b = Buffer.from(f3);
    b.writeInt16BE(code, 3224);
    const p = join(dir, `format${code}.sgy`);
    writeFileSync(p, b);
    assert.throws(() => openSegy(p), (e: unknown) => e instanceof SegyError && e.place.offset === 3224 && why.test(e.message) && e.message.includes(p));
  }
  const b = Buffer.from(f3);
  b.writeUInt32BE(0x01020304, 3296); // byte order known: the code itself is named
  b.writeInt16BE(13, 3224);
  const p = join(dir, 'format-13-rev2.sgy');
  writeFileSync(p, b);
  assert.throws(() => openSegy(p), (e: unknown) => e instanceof SegyError && e.place.offset === 3224 && /format code 13 is not a SEG-Y sample format/.test(e.message));
  const short = join(dir, 'short.sgy');
  writeFileSync(short, f3.subarray(0, 3000));
  assert.throws(() => openSegy(short), (e: unknown) => e instanceof SegyError && e.place.offset === 3000 && /3600 bytes/.test(e.message));
});

/** Headers and samples of two files agree: textual, extended, binary (but the fields named), every trace header field. */
function assertSameFile(a: SegyFile, b: SegyFile, except: string[], exactSamples = true) {
  assert.deepEqual(b.textHeader.bytes, a.textHeader.bytes, 'textual header');
  assert.deepEqual(b.extendedTextHeaders.map((t) => t.bytes), a.extendedTextHeaders.map((t) => t.bytes));
  const strip = (x: Record<string, number>) => Object.fromEntries(Object.entries(x).filter(([k]) => !except.includes(k)));
  assert.deepEqual(strip(b.binary), strip(a.binary), 'binary header');
  assert.equal(b.traceCount, a.traceCount);
  for (let t = 0; t < a.traceCount; t++) {
    assert.deepEqual(b.traceHeader(t).fields(), a.traceHeader(t).fields(), `trace header ${t}`);
    assert.deepEqual(b.traceHeader(t).bytes.subarray(232), a.traceHeader(t).bytes.subarray(232));
  }
  if (exactSamples) assert.deepEqual(allSamples(b), allSamples(a), 'samples');
}

test('round trip read -> write -> read: same headers and samples, f3.sgy and small.sgy, both byte orders, format 5 and IBM', { skip }, () => {
  for (const name of ['f3.sgy', 'f3-lsb.sgy', 'small.sgy', 'small-lsb.sgy']) {
    const src = openSegy(at(name));
    for (const order of ['big', 'little'] as const) {
      for (const format of [5, 1] as const) {
        const p = join(dir, `rt-${name}-${order}-${format}.sgy`);
        copySegy(src, p, { byteOrder: order, format });
        const out = openSegy(p);
        assert.equal(out.byteOrder, order, `${p} byte order`);
        assert.equal(out.format.code, format);
        // IEEE float is rev 1's (its section 3.3): a rev 0 file (small.sgy) written as format 5 says rev 1.0, fixed-length traces.
        const rev0to5 = src.revision[0] === 0 && format === 5;
        assertSameFile(src, out, ['formatCode', 'byteOrderConstant', ...(rev0to5 ? ['revisionMajor', 'revisionMinor', 'fixedLengthTraces'] : [])], false);
        assert.deepEqual([out.revision, out.binary.fixedLengthTraces], rev0to5 ? [[1, 0], 1] : [src.revision, src.binary.fixedLengthTraces], `${p} revision`);
        // f3's integers are exact in both; small's IBM values are exact float32s, so both formats keep them.
        assert.deepEqual(allSamples(out), allSamples(src), `${p} samples`);
        assert.deepEqual(scanGeometry(out).index, scanGeometry(src).index);
        out.close();
      }
    }
    src.close();
  }
  // Same format, same byte order: the very same bytes.
  for (const [name, format] of [['Format5msb.sgy', 5], ['Format5lsb.sgy', 5], ['Format1msb.sgy', 1], ['Format1lsb.sgy', 1], ['small.sgy', 1]] as const) {
    const src = openSegy(at(name));
    const p = join(dir, `same-${name}`);
    copySegy(src, p, { format });
    src.close();
    assert.ok(readFileSync(p).equals(readFileSync(at(name))), `${name} rewritten byte for byte`);
  }
});

test('numpy reads what the writer wrote: float32 little-endian and IBM big-endian, samples and inline/crossline numbers', { skip }, () => {
  const src = openSegy(at('f3.sgy'));
  const le5 = join(dir, 'np-f3-le5.sgy');
  const be1 = join(dir, 'np-f3-be1.sgy');
  copySegy(src, le5, { byteOrder: 'little', format: 5 });
  copySegy(src, be1, { format: 1 });
  src.close();
  // An IBM decoder of its own: (-1)^s * 0.F * 16^(e-64).
  const py = `
import numpy as np, json
def traces(path, dt):
    raw = np.frombuffer(open(path, 'rb').read()[3600:], dtype='u1').reshape(414, 240 + 300)
    return raw[:, :240].copy(), raw[:, 240:].copy().view(dt)
f3 = np.frombuffer(open(${JSON.stringify(at('f3.sgy'))}, 'rb').read()[3600:], dtype='u1').reshape(414, 390)[:, 240:].copy().view('>i2').astype(np.float64)
h5, s5 = traces(${JSON.stringify(le5)}, '<f4')
h1, u1 = traces(${JSON.stringify(be1)}, '>u4')
u1 = u1.astype(np.int64)
ibm = np.where(u1 >> 31, -1.0, 1.0) * (u1 & 0xffffff) / 2.0**24 * 16.0 ** (((u1 >> 24) & 0x7f) - 64)
il5 = h5[:, 188:192].copy().view('<i4').ravel(); xl5 = h5[:, 192:196].copy().view('<i4').ravel()
il1 = h1[:, 188:192].copy().view('>i4').ravel()
print(json.dumps({'f5': bool((s5 == f3).all()), 'f1': bool((ibm == f3).all()), 'il': [int(il5.min()), int(il5.max())], 'xl': [int(xl5.min()), int(xl5.max())], 'il1': bool((il1 == il5).all())}))`;
  const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { f5: true, f1: true, il: [111, 133], xl: [875, 892], il1: true });
});

test('writer: traces in any order, nothing left behind when a trace is missing or on abort, textual header lines replaced', { skip }, () => {
  const src = openSegy(at('f3.sgy'));
  const ref = allSamples(src);
  const p = join(dir, 'reversed-writes.sgy');
  const w = SegyWriter.open(p, src, { textLines: { 40: 'C40 halite: amplitudes clipped at 0.5 and 99.5 percentiles' } });
  for (let t = src.traceCount - 1; t >= 0; t--) w.writeTraces([t], ref.subarray(t * 75, (t + 1) * 75));
  assert.equal(existsSync(p), false, 'nothing at the path until close');
  w.close();
  const out = openSegy(p);
  assert.deepEqual(allSamples(out), ref);
  assert.match(out.textHeader.text.slice(39 * 80), /^C40 halite: amplitudes clipped/);
  assert.equal(out.textHeader.text.slice(0, 39 * 80), src.textHeader.text.slice(0, 39 * 80), 'other lines kept');
  assert.equal(out.textHeader.encoding, 'ebcdic');
  out.close();
  const before = readdirSync(dir).length;
  const q = join(dir, 'incomplete.sgy');
  const w2 = SegyWriter.open(q, src);
  w2.writeTraces([0, 1], ref.subarray(0, 150));
  assert.throws(() => w2.close(), (e: unknown) => e instanceof SegyError && /412 of the output's 414 traces were never written/.test(e.message));
  const w3 = SegyWriter.open(q, src);
  w3.abort();
  assert.equal(readdirSync(dir).length, before, 'no temporary file left');
  assert.equal(existsSync(q), false);
  assert.throws(() => SegyWriter.open(q, src, { text: ['x'.repeat(81)] }), /line 1 is 81 characters/);
  assert.throws(() => SegyWriter.open(q, src, { format: 1 }).writeTraces([0], new Float32Array(75).fill(NaN)), /IBM float/);
  src.close();
});

test('sections: inlines, crosslines and time slices of f3 from file offsets, in inline- and crossline-sorted files', { skip }, () => {
  const v = openVolume(at('f3.sgy'));
  assert.equal(v.geometry.sorting, 'inline');
  const ref = allSamples(v.file);
  const trace = (il: number, xl: number) => ref.subarray(((il - 111) * 18 + (xl - 875)) * 75, ((il - 111) * 18 + (xl - 875) + 1) * 75);
  const il = v.inline(120);
  for (let j = 0; j < 18; j++) assert.deepEqual(il.subarray(j * 75, (j + 1) * 75), Float32Array.from(trace(120, 875 + j)));
  const xl = v.crossline(880);
  for (let i = 0; i < 23; i++) assert.deepEqual(xl.subarray(i * 75, (i + 1) * 75), Float32Array.from(trace(111 + i, 880)));
  const ts = v.timeSlice(30);
  for (let i = 0; i < 23; i++) for (let j = 0; j < 18; j++) assert.equal(ts[i * 18 + j], trace(111 + i, 875 + j)[30]);
  assert.throws(() => v.inline(134), /inline 134 is not in this survey: its inlines are 111..133/);

  // The same volume written crossline by crossline.
  const order = Array.from({ length: 414 }, (_, k) => (k % 23) * 18 + Math.floor(k / 23));
  const p = join(dir, 'f3-xl-sorted.sgy');
  copySegy(v.file, p, { traces: order });
  const c = openVolume(p);
  assert.equal(c.geometry.sorting, 'crossline');
  // Crossline-sorted but for its first and last traces swapped: crosslines 875 and 892 are no longer
  // contiguous, so the file is unsorted, though most neighbours still share a crossline.
  const q = join(dir, 'f3-unsorted.sgy');
  copySegy(v.file, q, { traces: [order[413]!, ...order.slice(1, 413), order[0]!] });
  const u = openVolume(q);
  assert.equal(u.geometry.sorting, 'unsorted');
  assert.deepEqual(u.inline(120), il);
  u.close();
  // 2D lines cut from f3 are sorted along themselves: crossline 880's 23 traces, inline 120's 18.
  for (const [name, traces, sorting] of [['xl880', Array.from({ length: 23 }, (_, i) => i * 18 + 5), 'crossline'], ['il120', Array.from({ length: 18 }, (_, j) => 9 * 18 + j), 'inline']] as const) {
    copySegy(v.file, join(dir, `f3-${name}.sgy`), { traces: [...traces] });
    const line = openVolume(join(dir, `f3-${name}.sgy`));
    assert.equal(line.geometry.sorting, sorting, name);
    line.close();
  }
  assert.deepEqual(c.inline(120), il);
  assert.deepEqual(c.crossline(880), xl);
  assert.deepEqual(c.timeSlice(30), ts);
  c.close();
  v.close();
});

test('an irregular survey (f3 with traces and a whole inline removed) is padded with the fill value, and the padding counted', { skip }, () => {
  const src = openSegy(at('f3.sgy'));
  const ref = allSamples(src);
  const gone = new Set([0, 5, 100, 413, ...Array.from({ length: 18 }, (_, j) => 5 * 18 + j)]); // inline 116 entirely
  const p = join(dir, 'f3-irregular.sgy');
  copySegy(src, p, { traces: Array.from({ length: 414 }, (_, t) => t).filter((t) => !gone.has(t)) });
  const v = openVolume(p, { fill: -1 });
  assert.equal(v.file.traceCount, 414 - gone.size);
  assert.equal(v.geometry.padded, gone.size);
  assert.deepEqual([v.inlines.first, v.inlines.last, v.inlines.count], [111, 133, 23]);
  assert.deepEqual([v.crosslines.first, v.crosslines.last, v.crosslines.count], [875, 892, 18]);
  const il = v.inline(111);
  assert.ok(il.subarray(0, 75).every((x) => x === -1), 'trace 0 padded');
  assert.deepEqual(il.subarray(75, 150), Float32Array.from(ref.subarray(75, 150)));
  assert.ok(v.inline(116).every((x) => x === -1), 'the missing inline is padded');
  // Written back crossline by crossline, as a survey prediction would: the same file.
  const q = join(dir, 'f3-irregular-by-crossline.sgy');
  const w = SegyWriter.open(q, v.file);
  for (let j = 0; j < v.crosslines.count; j++) w.writeSection(v.crosslineTraces(j), v.crosslineAt(j));
  w.close();
  assert.ok(readFileSync(q).subarray(3600).equals(readFileSync(p).subarray(3600)), 'traces byte for byte');
  const info = segyInfo(p);
  assert.ok(!('error' in info.geometry) && info.geometry.padded === gone.size);
  v.close();
  src.close();
});

test('a 2D line (one inline of f3) reads as one inline of 18 crosslines', { skip }, () => {
  const src = openSegy(at('f3.sgy'));
  const p = join(dir, 'f3-line-120.sgy');
  copySegy(src, p, { traces: Array.from({ length: 18 }, (_, j) => 9 * 18 + j) });
  const v = openVolume(p);
  assert.deepEqual([v.inlines.first, v.inlines.count, v.crosslines.first, v.crosslines.count, v.geometry.padded], [120, 1, 875, 18, 0]);
  assert.deepEqual(v.inline(120), src.readTraces(9 * 18, 18));
  assert.deepEqual(v.crossline(880), src.trace(9 * 18 + 5));
  assert.match(formatInfo(segyInfo(p)), /a 2D line: one inline/);
  v.close();
  src.close();
});

/** f3.sgy with its inline and crossline numbers moved to bytes 9 and 21, and 189/193 zeroed. */
function f3MovedNumbers(): string {
  const b = Buffer.from(readFileSync(at('f3.sgy')));
  for (let t = 0; t < 414; t++) {
    const o = 3600 + t * 390;
    b.writeInt32BE(b.readInt32BE(o + 188), o + 8);
    b.writeInt32BE(b.readInt32BE(o + 192), o + 20);
    b.writeInt32BE(0, o + 188);
    b.writeInt32BE(0, o + 192);
  }
  const p = join(dir, 'f3-bytes-9-21.sgy');
  writeFileSync(p, b);
  return p;
}

test('inline and crossline numbers from other trace-header bytes (9 and 21)', { skip }, () => {
  const p = f3MovedNumbers();
  assert.throws(() => openVolume(p), /pre-stack/);
  const v = openVolume(p, { ilineByte: 9, xlineByte: 21 });
  const f3 = openVolume(at('f3.sgy'));
  assert.deepEqual(v.geometry.index, f3.geometry.index);
  assert.deepEqual(v.inline(125), f3.inline(125));
  // Coordinates are not line numbers: a grid of 4403 × 5617 positions for 414 traces is refused.
  assert.throws(() => openVolume(at('f3.sgy'), { ilineByte: 181, xlineByte: 185 }), /4403 × 5617 positions for 414 traces/);
  v.close();
  f3.close();
});

test('halite segy info: --json with custom header bytes, the text report, and errors on stderr', { skip }, () => {
  const r = halite('segy', 'info', f3MovedNumbers(), '--json', '--iline-byte', '9', '--xline-byte', '21');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as ReturnType<typeof segyInfo>;
  assert.equal(j.format.code, 3);
  assert.equal(j.sampleIntervalMs, 4);
  assert.deepEqual(j.geometry, { ilineByte: 9, xlineByte: 21, inlines: { first: 111, last: 133, step: 1, count: 23 }, crosslines: { first: 875, last: 892, step: 1, count: 18 }, sorting: 'inline', padded: 0 });
  assert.deepEqual(j.amplitudes.percentiles.map((p) => p.percent), [0.5, 1, 50, 99, 99.5]);
  const t = formatInfo(segyInfo(at('f3.sgy')));
  assert.match(t, /inlines\s+111–133 step 1 \(23\)/);
  assert.match(t, /C 1 Cropped F3/);
  assert.match(t, /samples\s+75 × 4 ms/);
  assert.match(t, /padded traces\s+0 of 414/);
  assert.match(t, /percentiles of 31050 samples from all 414 traces/);
  assert.match(formatInfo(segyInfo(at('shot-gather.sgy'))), /geometry\s+.*pre-stack/);
  // The README's facts: one trace delayed 10000 with scalar -10, i.e. sample 0 at 1000 ms.
  const d = segyInfo(at('delay-scalar.sgy'));
  assert.equal(d.firstSampleMs, 1000);
  assert.match(formatInfo(d), /samples\s+251 × 4 ms \(4000 µs; 1000–2000 ms, after a recording delay of 1000 ms\)/);
  assert.match(t, /samples\s+75 × 4 ms \(4000 µs; 4–300 ms, after a recording delay of 4 ms\)/, "f3.sgy's first trace says 4 ms at bytes 109-110");
  assert.doesNotMatch(t, /revisionMajor/, 'the revision is shown once');
  // Overlapping flags are the user's mistake: refused (exit 1), not reported as the file's geometry.
  assert.throws(() => segyInfo(at('f3.sgy'), { ilineByte: 189, xlineByte: 191 }), /--iline-byte 189 and --xline-byte 191 overlap: each reads a 4-byte number/);
  const o = halite('segy', 'info', at('f3.sgy'), '--iline-byte', '189', '--xline-byte', '189');
  assert.equal(o.status, 1);
  assert.match(o.stderr, /f3\.sgy.*--iline-byte 189 and --xline-byte 189 overlap/);
  const b = halite('segy', 'info', at('broken.sgy'));
  assert.equal(b.status, 1);
  assert.match(b.stderr, /broken\.sgy \(byte offset 10768, trace 3 counting from 0\)/);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('a missing file or a folder is a SegyError that names the path and says why, not a bare ENOENT or EISDIR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'halite-segy-open-'));
  try {
    const missing = join(dir, 'nope.sgy');
    assert.throws(() => openSegy(missing), (e: unknown) => e instanceof SegyError && e.message === `${missing}: cannot open: no such file; check the path`);
    assert.throws(() => openSegy(dir), (e: unknown) => e instanceof SegyError && e.message === `${dir}: cannot open: this is a folder; name a SEG-Y file in it`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
