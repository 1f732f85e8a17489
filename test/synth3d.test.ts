// Synthetic surveys and tiles from SEG-Y: a file written without a template has its header fields at
// the standard's byte positions (read by numpy) and reads back identically; synth --volume's files
// hold the geometry and salt it reports; tiles equal the volumes' samples where their ids say (PNGs
// read by PIL, SEG-Y by numpy), held-out inlines never reach training, and halite train runs on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSurvey, openSegy, openVolume, SegyWriter, TRACE_FIELDS } from '../src/segy/index.js';
import { writeSynthVolume } from '../src/data/synth/volume.js';
import { tileStarts, writeSegyTiles } from '../src/data/segy-tiles.js';
import { readTgs } from '../src/data/tgs.js';
import { resolveConfig } from '../src/run/config.js';
import { splitIndices } from '../src/data/split.js';
import { train } from '../src/train/trainer.js';
import { halite } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'halite-synth3d-'));
// Debian's python3 has PIL; a pyenv python3 earlier on PATH may not.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
function py(code: string): unknown {
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
const csvRows = (p: string) => readFileSync(p, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',') as [string, string]);
const csvIds = (p: string) => csvRows(p).map(([id]) => id);
/** id -> rle_mask of a train.csv ('' for a tile without salt). */
const rleById = (p: string) => new Map(csvRows(p));

test('a SEG-Y file written without a template: numpy finds every header field at its standard byte, and the reader reads it back', () => {
  const cases = [
    { name: 'be-rev1-f5.sgy', byteOrder: 'big' as const, revision: 1 as const, format: 5 as const },
    { name: 'le-rev2-f1.sgy', byteOrder: 'little' as const, revision: 2 as const, format: 1 as const },
  ];
  const ils = [10, 11, 12], xls = [20, 22, 24, 26], ns = 7;
  // Values IBM float holds exactly (multiples of 1/16), so both formats must read back equal.
  const value = (i: number, j: number, s: number) => (i * 100 + j * 10 + s) / 16 - 3;
  for (const c of cases) {
    const path = join(dir, c.name);
    const survey = newSurvey(path, {
      inlines: { first: 10, count: 3 }, crosslines: { first: 20, step: 2, count: 4 }, samples: ns, sampleInterval: 2000, delayMs: 12,
      text: ['synthetic test survey', 'second line'], revision: c.revision, byteOrder: c.byteOrder,
      coordinates: (il, xl) => [1000.25 + xl, 2000.5 + il],
    });
    const w = SegyWriter.open(path, survey, { format: c.format });
    for (let i = 0; i < 3; i++) w.writeSection(survey.inlineTraces(i), Float32Array.from({ length: 4 * ns }, (_, k) => value(i, Math.floor(k / ns), k % ns)));
    w.close();

    const o = c.byteOrder === 'little' ? '<' : '>';
    const got = py(`
import numpy as np, json, codecs
b = open(${JSON.stringify(path)}, 'rb').read()
def i(off, w, signed=True): return int(np.frombuffer(b, dtype='${o}' + ('i' if signed else 'u') + str(w), count=1, offset=off)[0])
text = codecs.decode(b[:3200], 'cp037')
tr = np.frombuffer(b[3600:], dtype='u1').reshape(12, 240 + 4 * ${ns})
h = lambda byte, w=4: tr[:, byte - 1:byte - 1 + w].copy().view('${o}i' + str(w)).ravel().tolist()
if ${c.format} == 5:
    s = tr[:, 240:].copy().view('${o}f4').astype(np.float64)
else:
    u = tr[:, 240:].copy().view('${o}u4').astype(np.int64)
    s = np.where(u >> 31, -1.0, 1.0) * (u & 0xffffff) / 2.0**24 * 16.0 ** (((u >> 24) & 0x7f) - 64)
print(json.dumps({
  'line1': text[:80].rstrip(), 'line2': text[80:160].rstrip(), 'line39': text[38*80:39*80].rstrip(), 'line40': text[39*80:].rstrip(),
  'dt': i(3216, 2), 'ns': i(3220, 2), 'format': i(3224, 2), 'fold': i(3226, 2), 'sorting': i(3228, 2), 'units': i(3254, 2),
  'rev': [b[3500], b[3501]], 'fixed': i(3502, 2), 'ext': i(3504, 2), 'mark': i(3296, 4, False),
  'traces': i(3512, 8, False), 'first': i(3520, 8, False), 'extNs': i(3268, 4), 'extDt': float(np.frombuffer(b, '${o}f8', 1, 3272)[0]),
  'size': len(b), 'seqLine': h(1), 'seqFile': h(5), 'cdp': h(21), 'id': h(29, 2), 'delay': h(109, 2), 'tns': h(115, 2), 'tdt': h(117, 2),
  'scalar': h(71, 2), 'x': h(181), 'y': h(185), 'il': h(189), 'xl': h(193), 'samples': s.ravel().tolist()}))`) as Record<string, unknown>;
    const rev2 = c.revision === 2;
    assert.equal(got.line1, 'C 1 synthetic test survey');
    assert.equal(got.line2, 'C 2 second line');
    assert.equal(got.line39, rev2 ? 'C39 SEG-Y_REV2.0' : 'C39 SEG Y REV1');
    assert.equal(got.line40, rev2 ? 'C40 END TEXTUAL HEADER' : 'C40 END EBCDIC');
    assert.deepEqual([got.dt, got.ns, got.format, got.fold, got.sorting, got.units, got.fixed, got.ext], [2000, ns, c.format, 1, 4, 1, 1, 0]);
    assert.deepEqual(got.rev, [c.revision, 0]);
    // The byte-order constant reads 0x01020304 in the file's own order (rev 2, and any little-endian file).
    assert.equal(got.mark, rev2 || c.byteOrder === 'little' ? 0x01020304 : 0);
    assert.deepEqual([got.traces, got.first, got.extNs, got.extDt], rev2 ? [12, 3600, ns, 2000] : [0, 0, 0, 0]);
    assert.equal(got.size, 3600 + 12 * (240 + 4 * ns));
    const seq = Array.from({ length: 12 }, (_, t) => t + 1);
    assert.deepEqual(got.seqFile, seq);
    assert.deepEqual(got.cdp, seq);
    assert.deepEqual(got.seqLine, seq.map((t) => ((t - 1) % 4) + 1));
    assert.deepEqual([got.id, got.delay, got.tns, got.tdt, got.scalar], [1, 12, ns, 2000, -100].map((v) => Array(12).fill(v)));
    assert.deepEqual(got.il, ils.flatMap((il) => [il, il, il, il]));
    assert.deepEqual(got.xl, ils.flatMap(() => xls));
    assert.deepEqual(got.x, ils.flatMap(() => xls.map((xl) => Math.round((1000.25 + xl) * 100))));
    assert.deepEqual(got.y, ils.flatMap((il) => xls.map(() => Math.round((2000.5 + il) * 100))));
    const expected = Array.from({ length: 12 * ns }, (_, k) => value(Math.floor(k / (4 * ns)), Math.floor(k / ns) % 4, k % ns));
    assert.deepEqual(got.samples, expected);

    // halite's reader: same geometry, headers and samples.
    const v = openVolume(path);
    assert.equal(v.file.byteOrder, c.byteOrder);
    assert.equal(v.file.format.code, c.format);
    assert.deepEqual(v.file.revision, [c.revision, 0]);
    assert.equal(v.file.sampleInterval, 2000);
    assert.deepEqual([v.inlines.first, v.inlines.step, v.inlines.count, v.crosslines.first, v.crosslines.step, v.crosslines.count], [10, 1, 3, 20, 2, 4]);
    assert.equal(v.geometry.padded, 0);
    assert.equal(v.file.traceHeader(5).field('cdpX'), Math.round((1000.25 + 22) * 100));
    assert.equal(v.file.traceHeader(5).delayMs(), 12);
    for (let i = 0; i < 3; i++) assert.deepEqual(Array.from(v.inlineAt(i)), expected.slice(i * 4 * ns, (i + 1) * 4 * ns));
    assert.match(v.file.textHeader.text, /^C 1 synthetic test survey/);
    assert.equal(v.file.textHeader.encoding, 'ebcdic');
    v.close();
  }
  assert.equal(TRACE_FIELDS.inline.byte, 189);
  assert.throws(() => newSurvey(join(dir, 'x.sgy'), { inlines: { first: 1, count: 1 }, crosslines: { first: 1, count: 1 }, samples: 70000, sampleInterval: 4000 }), /samples per trace 70000.*revision 2/);
  assert.throws(() => newSurvey(join(dir, 'x.sgy'), { inlines: { first: 1, count: 1 }, crosslines: { first: 1, count: 1 }, samples: 10, sampleInterval: 4000, text: Array(39).fill('x') }), /39 lines; 38 fit/);
});

test('synth --volume: seismic.sgy and salt.sgy on one geometry, the salt fraction it reports, strong top salt over a weak interior', () => {
  const out = join(dir, 'vol');
  const r = writeSynthVolume({ out, inlines: 20, crosslines: 24, samples: 64, seed: 4, saltBodies: 1 });
  const s = openVolume(r.seismic), m = openVolume(r.salt);
  for (const v of [s, m]) {
    assert.deepEqual([v.inlines.first, v.inlines.count, v.crosslines.first, v.crosslines.count, v.samples, v.file.sampleInterval, v.geometry.padded], [100, 20, 500, 24, 64, 4000, 0]);
  }
  assert.equal(r.traces, 480);
  assert.equal(r.bytes, readFileSync(r.seismic).length);
  // numpy's count of salt samples, straight from the bytes.
  const np = py(`
import numpy as np, json
def vol(p): return np.frombuffer(open(p, 'rb').read()[3600:], dtype='u1').reshape(480, 240 + 256)[:, 240:].copy().view('>f4')
m = vol(${JSON.stringify(r.salt)}); s = vol(${JSON.stringify(r.seismic)})
print(json.dumps({'ones': int((m == 1).sum()), 'zeros': int((m == 0).sum()), 'finite': bool(np.isfinite(s).all()), 'std': float(s.std())}))`) as { ones: number; zeros: number; finite: boolean; std: number };
  assert.equal(np.ones + np.zeros, 480 * 64, 'labels are 0 or 1');
  assert.equal(np.ones, r.saltSamples);
  assert.ok(np.ones > 0, 'one salt body shows');
  assert.equal(r.saltFraction, np.ones / (480 * 64));
  assert.ok(np.finite && np.std > 0);
  assert.equal(readJson(join(out, 'synth.json')).saltSamples, r.saltSamples);

  // Salt as seismic shows it: the top-of-salt reflection is far stronger than the salt's interior.
  let top = 0, nTop = 0, inside = 0, nInside = 0;
  for (let i = 0; i < 20; i++) {
    const a = s.inlineAt(i), l = m.inlineAt(i);
    for (let x = 0; x < 24; x++) {
      const z0 = l.subarray(x * 64, (x + 1) * 64).indexOf(1);
      if (z0 < 2) continue;
      for (let z = z0 - 2; z <= z0 + 2 && z < 64; z++) { top = Math.max(top, Math.abs(a[x * 64 + z]!)); }
      nTop++;
      for (let z = z0 + 8; z < 64; z++) if (l[x * 64 + z]) { inside += Math.abs(a[x * 64 + z]!); nInside++; }
    }
  }
  assert.ok(nTop > 0 && nInside > 0);
  assert.ok(top > 4 * (inside / nInside), `top salt ${top} vs interior mean ${inside / nInside}`);
  s.close();
  m.close();

  // Same seed, same bytes; the CLI says what it wrote; an existing folder is refused.
  const again = writeSynthVolume({ out: join(dir, 'vol2'), inlines: 20, crosslines: 24, samples: 64, seed: 4, saltBodies: 1 });
  assert.deepEqual(readFileSync(again.seismic), readFileSync(r.seismic));
  const cli = halite('synth', '--volume', '--out', join(dir, 'vol3'), '--inlines', '6', '--crosslines', '7', '--samples', '32', '--seed', '1', '--threads', '1');
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /seismic\.sgy and .*salt\.sgy \(0\.\d MiB each\): 6 inlines × 7 crosslines × 32 samples of 4 ms, 42 traces/);
  assert.match(cli.stdout, /salt: \d+ of 1344 samples \(\d+\.\d\d%\)/);
  const refused = halite('synth', '--volume', '--out', join(dir, 'vol3'), '--inlines', '6', '--crosslines', '7', '--samples', '32');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^halite: --out .*vol3 already exists; name a new folder, or pass --force to replace it \(nothing was written\)\n$/);
});

// 110 inlines × 102 crosslines × 101 samples: inline sections give tiles at crosslines 0 and 1 (the
// last flush with the end), crossline sections at inlines 0 and 9; one tile down each.
const big = join(dir, 'big');
const vol = writeSynthVolume({ out: big, inlines: 110, crosslines: 102, samples: 101, seed: 2, saltBodies: 2 });

test('tiles: count, ids, images and masks equal numpy\'s reading of the SEG-Y at the places the ids name (PNGs read by PIL)', () => {
  assert.deepEqual([tileStarts(102, 101), tileStarts(110, 101), tileStarts(101, 101), tileStarts(250, 60)], [[0, 1], [0, 9], [0], [0, 60, 120, 149]]);
  const out = join(dir, 'tiles-all');
  const r = writeSegyTiles({ segy: vol.seismic, labels: vol.salt, out, sections: ['inline', 'crossline'], maxTraces: 1e6 });
  assert.deepEqual(r.counts, { train: 110 * 2 + 102 * 2, val: 0, test: 0, dropped: 0, padded: 0, empty: r.counts.empty, valEmpty: 0 });
  const ids = readdirSync(join(out, 'train/images')).map((f) => f.slice(0, -4)).sort();
  assert.equal(ids.length, 424);
  assert.equal(new Set(ids).size, 424);
  assert.ok(ids.includes('il0100-t0000-x0500') && ids.includes('il0209-t0000-x0501') && ids.includes('xl0601-t0000-i0109'));
  assert.deepEqual(csvIds(join(out, 'train.csv')).sort(), ids);
  assert.deepEqual(csvIds(join(out, 'depths.csv')).sort(), ids);
  const manifest = readJson(join(out, 'tiles.json'));
  assert.equal(manifest.depthUnit, 'ms');
  assert.equal(manifest.sampledTraces, 110 * 102);
  const got = py(`
import numpy as np, json
from PIL import Image
raw = np.frombuffer(open(${JSON.stringify(vol.seismic)}, 'rb').read()[3600:], dtype='u1').reshape(110, 102, 240 + 404)
lab = np.frombuffer(open(${JSON.stringify(vol.salt)}, 'rb').read()[3600:], dtype='u1').reshape(110, 102, 240 + 404)
amp = raw[:, :, 240:].copy().view('>f4').astype(np.float64)
salt = lab[:, :, 240:].copy().view('>f4')
lo, hi = np.percentile(amp, [0.5, 99.5])
worst, masks_equal = 0, True
for f in sorted(${JSON.stringify(readdirSync(join(out, 'train/images')))}):
    id = f[:-4]; kind, t, first = id.split('-'); n = int(kind[2:]); top = int(t[1:]); first = int(first[1:])
    if kind.startswith('il'): a = amp[n - 100, first - 500:first - 500 + 101, top:top + 101].T; m = salt[n - 100, first - 500:first - 500 + 101, top:top + 101].T
    else: a = amp[first - 100:first - 100 + 101, n - 500, top:top + 101].T; m = salt[first - 100:first - 100 + 101, n - 500, top:top + 101].T
    img = np.asarray(Image.open(${JSON.stringify(join(out, 'train/images'))} + '/' + f)).astype(np.int64)
    msk = np.asarray(Image.open(${JSON.stringify(join(out, 'train/masks'))} + '/' + f))
    want = np.rint(255 * np.clip((a - lo) / (hi - lo), 0, 1)).astype(np.int64)
    worst = max(worst, int(np.abs(img - want).max()))
    masks_equal = masks_equal and bool(((msk > 0) == (m != 0)).all()) and img.shape == (101, 101)
print(json.dumps({'lo': lo, 'hi': hi, 'worst': worst, 'masks': masks_equal, 'salt': int((salt != 0).sum())}))`) as { lo: number; hi: number; worst: number; masks: boolean; salt: number };
  assert.ok(got.masks, 'every mask equals the labels volume where its id says');
  assert.ok(got.worst <= 1, `images within one grey level of numpy's mapping (worst ${got.worst})`);
  assert.ok(Math.abs(r.clip[0] - got.lo) < 1e-6 && Math.abs(r.clip[1] - got.hi) < 1e-6, `clip ${r.clip} vs numpy ${got.lo}, ${got.hi}`);
  assert.equal(got.salt, vol.saltSamples);
  assert.ok(r.counts.empty < 424, 'some tiles hold salt');
});

test('tiles: labels on another geometry are refused naming both files; nothing is written', () => {
  const other = writeSynthVolume({ out: join(dir, 'other'), inlines: 110, crosslines: 103, samples: 101, seed: 2, saltBodies: 1 });
  const out = join(dir, 'tiles-mismatch');
  const r = halite('tiles', '--segy', vol.seismic, '--labels', other.salt, '--out', out);
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(vol.seismic) && r.stderr.includes(other.salt), r.stderr);
  assert.match(r.stderr, /crosslines 500\.\.601 step 1 vs 500\.\.602 step 1/);
  assert.equal(existsSync(out), false);
  assert.ok(!readdirSync(dir).some((f) => f.startsWith('tiles-mismatch')), 'no temporary folder left');
});

test('tiles: the seismic as its own labels, fractional labels and a block holding out every inline are refused; tiles over missing traces are left out', () => {
  const out = join(dir, 'tiles-bad');
  let r = halite('tiles', '--segy', vol.seismic, '--labels', vol.seismic, '--out', out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--labels .*seismic\.sgy is the seismic itself/);
  const copy = join(dir, 'amplitudes.sgy');
  copyFileSync(vol.seismic, copy);
  r = halite('tiles', '--segy', vol.seismic, '--labels', copy, '--out', out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /amplitudes\.sgy: sample \d+ of the trace at inline 100, crossline \d+ is -?[\d.e-]+; labels hold whole-number classes/);
  r = halite('tiles', '--segy', vol.seismic, '--labels', vol.salt, '--out', out, '--val-inlines', '90-300');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--val-inlines 90-300 holds out every inline .*\(100\.\.209 step 1\)/);
  assert.equal(existsSync(out), false);

  // Inline 105's traces removed from both volumes (numpy): its positions are padded, not data.
  const [seis, salt] = [join(dir, 'gap.sgy'), join(dir, 'gap-salt.sgy')];
  py(`
import json
for src, dst in [(${JSON.stringify(vol.seismic)}, ${JSON.stringify(seis)}), (${JSON.stringify(vol.salt)}, ${JSON.stringify(salt)})]:
    d = open(src, 'rb').read(); tb = 240 + 4 * 101; n = (len(d) - 3600) // tb
    open(dst, 'wb').write(d[:3600] + b''.join(d[3600 + t * tb:3600 + (t + 1) * tb] for t in range(n) if not 5 * 102 <= t < 6 * 102))
print(json.dumps(0))`);
  const cli = halite('tiles', '--segy', seis, '--labels', salt, '--out', join(dir, 'tiles-gap'), '--sections', 'inline,crossline');
  assert.equal(cli.status, 0, cli.stderr);
  // Inline tiles: 2 per inline, inline 105's 2 left out; crossline tiles start at inlines 100 and 109, and the first spans 105.
  assert.match(cli.stdout, /320 train, .*; 104 tiles over traces missing from the survey \(102 padded positions\) left out/);
  const ids = csvIds(join(dir, 'tiles-gap', 'train.csv'));
  assert.equal(ids.length, 320);
  assert.ok(!ids.some((id) => id.startsWith('il0105') || /^xl\d+-t0000-i0100$/.test(id)), 'no tile shows the missing inline');
});

test('tiles --val-inlines: held-out inlines never reach training; crossline tiles spanning them are dropped or held out whole', async () => {
  const out = join(dir, 'tiles-val');
  const cli = halite('tiles', '--segy', vol.seismic, '--labels', vol.salt, '--out', out, '--sections', 'inline,crossline', '--val-inlines', '100-104');
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /312 train, 10 held out .*102 crossline tiles spanning held-out and other inlines dropped/);
  const split = readJson(join(out, 'split.json'));
  // The held-out tiles without salt, counted from train.csv's RLE: the warning comes when none holds salt.
  const rle = rleById(join(out, 'train.csv'));
  const valEmpty = split.val.filter((id: string) => rle.get(id) === '').length;
  assert.equal(readJson(join(out, 'tiles.json')).counts.valEmpty, valEmpty);
  // This volume's salt starts at inline 106, so both sides of the warning are exercised: 100-104 hold
  // none, 130-134 cross salt.
  assert.equal(valEmpty, 10, 'inlines 100-104 of this volume cross no salt');
  assert.match(cli.stderr, /warning: none of the 10 held-out tiles \(--val-inlines 100-104\) holds salt/);
  const salty = halite('tiles', '--segy', vol.seismic, '--labels', vol.salt, '--out', join(dir, 'tiles-val-salt'), '--val-inlines', '130-134');
  assert.equal(salty.status, 0, salty.stderr);
  const saltyRle = rleById(join(dir, 'tiles-val-salt', 'train.csv'));
  const saltyEmpty = readJson(join(dir, 'tiles-val-salt', 'split.json')).val.filter((id: string) => saltyRle.get(id) === '').length;
  assert.ok(saltyEmpty < 10, 'inlines 130-134 cross salt');
  assert.equal(readJson(join(dir, 'tiles-val-salt', 'tiles.json')).counts.valEmpty, saltyEmpty);
  assert.doesNotMatch(salty.stderr, /holds salt/);
  const want = [100, 101, 102, 103, 104].flatMap((il) => [`il0${il}-t0000-x0500`, `il0${il}-t0000-x0501`]);
  assert.deepEqual([...split.val].sort(), want);
  const all = csvIds(join(out, 'train.csv'));
  const held = new Set<string>(split.val);
  for (const id of all.filter((i) => !held.has(i))) {
    const [kind, , first] = id.split('-') as [string, string, string];
    // A training tile's inlines: its own (inline section) or the 101 it spans (crossline section).
    const [a, b] = kind.startsWith('il') ? [Number(kind.slice(2)), Number(kind.slice(2))] : [Number(first.slice(1)), Number(first.slice(1)) + 100];
    assert.ok(b < 100 || a > 104, `training tile ${id} shows held-out inlines`);
  }
  assert.ok(all.some((i) => i.startsWith('xl')), 'crossline tiles clear of the block stay in training');
  const data = await readTgs(out, { test: false });
  const c = resolveConfig([{ data: out, seed: 0 }]);
  assert.deepEqual(splitIndices(data, c).val.map((i) => data.train.ids[i]).sort(), want, 'train validates on split.json');

  // A block covering a crossline tile's 101 inlines holds that tile out whole.
  const r = writeSegyTiles({ segy: vol.seismic, labels: vol.salt, out: join(dir, 'tiles-val2'), sections: ['crossline'], valInlines: [100, 200] });
  assert.deepEqual([r.counts.train, r.counts.val, r.counts.dropped], [0, 102, 102]);
  assert.ok(readJson(join(dir, 'tiles-val2', 'split.json')).val.every((id: string) => /^xl\d+-t0000-i0100$/.test(id)));
});

test('halite train runs an epoch on tiles cut from a SEG-Y volume and validates on the held-out inlines', async () => {
  const small = writeSynthVolume({ out: join(dir, 'small'), inlines: 10, crosslines: 101, samples: 101, seed: 5, saltBodies: 2 });
  const data = join(dir, 'tiles-train');
  writeSegyTiles({ segy: small.seismic, labels: small.salt, out: data, valInlines: [108, 109] });
  const c = resolveConfig([{
    data, runsDir: join(dir, 'runs'), name: 'segy-tiles', model: 'resunet', modelOptions: { startFilters: 4 }, batchSize: 4,
    seed: 1, threads: 2, phases: [{ loss: 'bce', epochs: 1 }], augmentations: [], sweep: { from: 0.3, to: 0.7, steps: 3 },
  }]);
  const logs: string[] = [];
  const r = await train(c, { log: (l) => logs.push(l) });
  assert.equal(r.stopped, 'finished');
  // Warned exactly when the two held-out tiles hold no salt (read from their RLE in train.csv).
  const rle = rleById(join(data, 'train.csv'));
  // This volume's salt lies in inlines 103-106, so the held-out 108-109 hold none and the warning fires.
  assert.ok(['il0108-t0000-x0500', 'il0109-t0000-x0500'].every((id) => rle.get(id) === ''), 'inlines 108-109 of this volume cross no salt');
  assert.ok(logs.some((l) => /^warning: none of the 2 validation tiles holds salt/.test(l)), logs.join('\n'));
  const h = readFileSync(join(r.run, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(h.length, 1);
  assert.ok(Number.isFinite(h[0].train_loss) && typeof h[0].val_map === 'number');
  const tgs = await readTgs(data, { test: false });
  assert.deepEqual(splitIndices(tgs, c).val.map((i) => tgs.train.ids[i]).sort(), ['il0108-t0000-x0500', 'il0109-t0000-x0500']);
});

test('tiles without labels are a test part: test/images and sample_submission.csv that readTgs accepts', async () => {
  const out = join(dir, 'tiles-test');
  const r = writeSegyTiles({ segy: vol.seismic, out });
  assert.deepEqual([r.counts.train, r.counts.test], [0, 220]);
  const data = await readTgs(out);
  assert.equal(data.test!.ids.length, 220);
  assert.deepEqual(data.submissionIds!.slice().sort(), data.test!.ids);
  assert.equal(data.test!.depths[0], 0);
  assert.throws(() => writeSegyTiles({ segy: join(big, 'seismic.sgy'), out: join(dir, 't'), valInlines: [100, 101] }), /--val-inlines needs --labels/);
});
