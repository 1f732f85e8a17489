// Inputs as people really have them (issue 19): PNGs of every colour type and bit depth read as PIL
// reads them, by the one decoder every path uses; CSVs with a BOM and any line ending; no NaN into a
// model. Expected values come from PIL (python3-pil) and from ../shared/field-cases/README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng, greyLevels, nonBlack } from '../src/io/png.js';
import { readImage, readMask } from '../src/data/png.js';
import { decodeImages } from '../src/data/decode-pool.js';
import { readTgs } from '../src/data/tgs.js';
import { readCsv } from '../src/data/csv.js';
import { BatchLoader } from '../src/data/loader.js';
import { writeSynth } from '../src/data/synth/generate.js';
import { PIXELS } from '../src/data/rle.js';
import { readSubmission } from '../src/metrics/submission.js';
import { predictProbabilities, predictTiles } from '../src/infer/predict.js';
import { listImages } from '../src/cli/images.js';
import { submissionIds } from '../src/cli/predict-action.js';
import { decodeUpload } from '../src/serve/upload.js';
import * as nn from '../src/nn/index.js';
import type * as T from '../src/torch/index.js';
import { halite } from './helpers/cli.js';

const FIELD = join(import.meta.dirname, '..', '..', 'shared', 'field-cases');
const PY = '/usr/bin/python3';
const hasPil = existsSync(PY) && spawnSync(PY, ['-c', 'import PIL, numpy']).status === 0;
const noPil = !hasPil && 'no python3 with PIL and numpy';
const noField = !existsSync(FIELD) && 'no ../shared/field-cases';
const root = mkdtempSync(join(tmpdir(), 'halite-inputs-'));

/** Runs Python with PIL; returns its stdout. */
function python(code: string, ...args: string[]): string {
  const r = spawnSync(PY, ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** PIL's `convert('L')` of each file, one byte a pixel. */
function pilGrey(files: string[]): Uint8Array[] {
  const out = python('import sys\nfrom PIL import Image\nfor f in sys.argv[1:]: sys.stdout.write(Image.open(f).convert("L").tobytes().hex() + "\\n")', ...files);
  return out.trim().split('\n').map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
}

/** Pixels where `got` is not exactly `want[i] / scale` as a float32, with the first one. */
function mismatches(got: Float32Array, want: ArrayLike<number>, scale: number): string {
  let n = 0, first = -1;
  for (let i = 0; i < got.length; i++) if (got[i] !== Math.fround(want[i]! / scale)) { n++; if (first < 0) first = i; }
  return n === 0 ? '' : `${n} pixels differ, first ${first}: ${got[first]} vs ${want[first]}/${scale}`;
}

test('every PNG bit depth and colour type decodes to PIL\'s values, alike for tiles, masks and uploads', { skip: noPil }, () => {
  const dir = join(root, 'variants');
  const r = spawnSync(PY, [join(import.meta.dirname, 'helpers', 'png_variants.py'), dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { name: string; scale: number }[];
  const kinds = new Set<string>();
  for (const { name, scale } of manifest) {
    const file = join(dir, `${name}.png`), bytes = readFileSync(file);
    const png = decodePng(bytes, file);
    kinds.add(`${png.colorType}/${png.depth}${png.interlaced ? 'i' : ''}`);
    const e = readFileSync(join(dir, `${name}.grey`));
    const want = new Uint16Array(e.buffer, e.byteOffset, e.length / 2);
    const grey = greyLevels(png);
    assert.equal(mismatches(grey, want, scale), '', name);
    // The TGS reader and the web upload give the very same values.
    const tile = new Float32Array(PIXELS + 3);
    readImage(file, tile, 3);
    assert.deepEqual(tile.subarray(3), grey, `${name}: readImage`);
    assert.deepEqual(decodeUpload(bytes, name).pixels, grey, `${name}: upload`);
    const salt = readFileSync(join(dir, `${name}.salt`));
    const mask = new Uint8Array(PIXELS);
    readMask(file, mask);
    assert.deepEqual(mask, new Uint8Array(salt), `${name}: mask`);
    assert.deepEqual(nonBlack(png), mask);
    if (existsSync(join(dir, `${name}.pil8`))) {
      // PIL reads 16-bit colour as each sample's high byte, then takes the luma: below one level
      // lost a channel, so within 1.5 levels of halite's luma of the 16-bit samples.
      const pil8 = readFileSync(join(dir, `${name}.pil8`));
      for (let i = 0; i < PIXELS; i++) assert.ok(Math.abs(grey[i]! * 255 - pil8[i]!) <= 1.5, `${name} pixel ${i}: ${grey[i]! * 255} vs PIL ${pil8[i]}`);
    }
  }
  // grey 1/2/4/8/16, grey+alpha 8/16, RGB 8/16, palette 1/2/4/8, RGBA 8/16, each interlaced too.
  const want = ['0/1', '0/2', '0/4', '0/8', '0/16', '4/8', '4/16', '2/8', '2/16', '3/1', '3/2', '3/4', '3/8', '6/8', '6/16'];
  for (const k of want) {
    assert.ok(kinds.has(k), `no ${k} case`);
    assert.ok(kinds.has(`${k}i`), `no interlaced ${k} case`);
  }
});

test('corrupt, truncated and non-PNG files are errors naming the file, on both decoding paths', { skip: noPil }, () => {
  const dir = join(root, 'variants'); // written by the test above
  for (const name of ['grey8', 'grey1', 'palette4', 'rgb16-interlaced']) {
    const file = join(dir, `${name}.png`), good = readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[good.length - 20] ^= 0xff; // inside the last IDAT: its CRC no longer matches
    const bad = join(root, `bad-${name}.png`);
    for (const bytes of [flipped, good.subarray(0, good.length - 30), good.subarray(0, 20)]) {
      writeFileSync(bad, bytes);
      assert.throws(() => readImage(bad, new Float32Array(PIXELS)), (e: Error) => e.name === 'DataError' && e.message.startsWith(`${bad}: not a readable PNG`), `${name}: ${bytes.length} bytes`);
      assert.throws(() => decodeUpload(bytes, 'upload.png'), (e: Error & { statusCode?: number }) => e.statusCode === 422 && e.message.startsWith('upload.png: not a readable PNG'), name);
    }
    // Cut inside its pixel data, a PNG's error says so, rather than ending in the inflater's empty detail.
    assert.throws(() => decodePng(good.subarray(0, good.length - 30), 'cut.png'), (e: Error) => /^cut\.png: not a readable PNG \(corrupt or truncated\): \S/.test(e.message) && !/:\s*$/.test(e.message), name);
  }
  writeFileSync(join(root, 'empty.png'), '');
  assert.throws(() => readMask(join(root, 'empty.png'), new Uint8Array(PIXELS)), /empty\.png: not a readable PNG: the file is empty \(0 bytes\)/);
  writeFileSync(join(root, 'text.png'), 'id,rle_mask\n');
  assert.throws(() => readMask(join(root, 'text.png'), new Uint8Array(PIXELS)), /text\.png: not a readable PNG: the file does not start with the PNG signature/);
  assert.throws(() => decodeUpload(Buffer.from('id,rle_mask\n'), 'x.png'), (e: Error & { statusCode?: number }) => e.statusCode === 415);
});

test('field cases: a 1-bit mask, palette tiles and masks, and a BOM submission score mAP 1 with halite evaluate', { skip: noField }, () => {
  for (const [data, sub] of [['07-low-bitdepth/data', '07-low-bitdepth/sub-perfect.csv'], ['08-palette/data', '08-palette/sub-perfect.csv'], ['12-bom/data', '12-bom/sub-bom.csv']]) {
    const r = halite('evaluate', '--data', join(FIELD, data!), '--submission', join(FIELD, sub!), '--json');
    assert.equal(r.status, 0, `${data}: ${r.stderr}`);
    assert.match(r.stdout, /^mAP 1\.0000 over 4 images/, data);
    assert.equal((JSON.parse(r.stdout.trim().split('\n').pop()!) as { map: number }).map, 1, data);
  }
});

test('field cases: explore\'s intensity of 4-bit and palette tiles is PIL\'s', { skip: noField || noPil }, () => {
  const cases: [string, number, number | null][] = [['07-low-bitdepth/data-img-only', 0.501, null], ['08-palette/data', 0.502, 0.14]];
  for (const [data, mean, std] of cases) {
    const dir = join(FIELD, data), out = join(root, `explore-${data.replace('/', '-')}`);
    const r = halite('explore', dir, '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { intensity: { mean: number; std: number } };
    // README's values to three decimals, and PIL's mean and std over the same tiles to float precision.
    assert.match(r.stdout, new RegExp(`intensity +mean ${mean.toFixed(3)}, std ${std === null ? '' : std.toFixed(3)}`));
    const images = join(dir, 'train', 'images');
    const pil = pilGrey(readdirSync(images).sort().map((f) => join(images, f)));
    let sum = 0, sq = 0, n = 0;
    for (const t of pil) for (const v of t) { sum += v / 255; sq += (v / 255) ** 2; n++; }
    const m = sum / n;
    assert.ok(Math.abs(s.intensity.mean - m) < 1e-6, `${data}: mean ${s.intensity.mean} vs PIL ${m}`);
    assert.ok(Math.abs(s.intensity.std - Math.sqrt(sq / n - m * m)) < 1e-5, `${data}: std`);
  }
});

test('field cases: uploads and predict tiles decode to PIL\'s grey levels', { skip: noField || noPil }, async () => {
  const uploads = ['07-low-bitdepth/upload-1bit.png', '07-low-bitdepth/upload-4bit-palette.png'].map((f) => join(FIELD, f));
  const pil = pilGrey(uploads);
  uploads.forEach((f, k) => {
    const u = decodeUpload(readFileSync(f), f);
    assert.equal(mismatches(u.pixels, pil[k]!, 255), '', f);
  });
  // The folders predict reads: a 4-bit tile beside its 8-bit original, a palette tile beside its 8-bit copy.
  for (const [dir, low, copy, exact] of [['07-low-bitdepth/test-images', '019afb4b4e', 'c8bitcopy0', false], ['08-palette/test-images', '02117a400e', 'c8bitcopy1', true]] as const) {
    const files = [low, copy].map((id) => join(FIELD, dir, `${id}.png`));
    const tiles = await decodeImages(files, 1);
    const p = pilGrey(files);
    assert.equal(mismatches(tiles.subarray(0, PIXELS), p[0]!, 255), '', files[0]);
    assert.equal(mismatches(tiles.subarray(PIXELS), p[1]!, 255), '', files[1]);
    let worst = 0;
    for (let i = 0; i < PIXELS; i++) worst = Math.max(worst, Math.abs(tiles[i]! - tiles[PIXELS + i]!));
    // 4 bits keep the 8-bit value to within one step of 17 levels; a palette keeps it exactly.
    if (exact) assert.equal(worst, 0, dir);
    else assert.ok(worst > 0 && worst <= 17 / 255, `${dir}: ${worst * 255} levels`);
  }
});

/** A model whose output is its input: what goes in comes out. */
class Identity extends nn.Module {
  forward(x: T.Tensor): T.Tensor { return x; }
}

test('a non-finite tile never reaches a model: the loader and every prediction refuse it, naming tile and pixel', () => {
  const images = new Float32Array(3 * PIXELS).fill(0.5);
  assert.doesNotThrow(() => predictProbabilities(new Identity(), images, { tta: false }));
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    images[2 * PIXELS + 7] = bad;
    const re = new RegExp(`tile 2 of the 3 to predict holds ${bad} at pixel 7`);
    assert.throws(() => predictProbabilities(new Identity(), images), re);
    assert.throws(() => predictTiles(new Identity(), images), re);
    assert.throws(() => new BatchLoader({ images, height: 101, width: 101 }, [0, 2], { batchSize: 2 }), new RegExp(`tile 2 of the training tiles holds ${bad} at pixel 7`));
    assert.doesNotThrow(() => new BatchLoader({ images, height: 101, width: 101 }, [0, 1], { batchSize: 2 }));
  }
});

// ---- CSV: every file halite reads, as spreadsheets and other systems write it ----

const ENDINGS = { LF: '\n', CRLF: '\r\n', CR: '\r' } as const;
const BOM = '\ufeff';

/** The file's lines written again with `eol`, an optional BOM, and a blank line after line 2. */
function rewrite(file: string, eol: string, bom: boolean, edit: (lines: string[]) => void = () => {}): void {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  edit(lines);
  lines.splice(2, 0, '');
  writeFileSync(file, (bom ? BOM : '') + lines.join(eol) + eol);
}

test('CSVs with a BOM and LF, CRLF or lone-CR endings read the same, with right line numbers', async () => {
  const data = join(root, 'synth');
  writeSynth({ out: data, train: 6, test: 3, seed: 5 });
  const want = await readTgs(data);
  const copies: Record<string, string> = {};
  for (const f of ['train.csv', 'depths.csv', 'sample_submission.csv']) copies[f] = readFileSync(join(data, f), 'utf8');
  const restore = () => { for (const [f, text] of Object.entries(copies)) writeFileSync(join(data, f), text); };
  const sub = join(root, 'sub.csv');
  for (const [ending, eol] of Object.entries(ENDINGS)) {
    for (const bom of [false, true]) {
      const how = `${ending}${bom ? ' with BOM' : ''}`;
      restore();
      for (const f of Object.keys(copies)) rewrite(join(data, f), eol, bom);
      const got = await readTgs(data);
      assert.deepEqual(got.train.ids, want.train.ids, how);
      assert.deepEqual(got.train.rle, want.train.rle, how);
      assert.deepEqual(got.train.depths, want.train.depths, how);
      assert.deepEqual(got.test!.depths, want.test!.depths, how);
      assert.deepEqual(got.submissionIds, want.submissionIds, how);
      assert.deepEqual(submissionIds(listImages(join(data, 'test', 'images')), join(data, 'sample_submission.csv')), want.submissionIds, how);
      // A user's submission (the train rows): read by evaluate's reader.
      writeFileSync(sub, copies['train.csv']!);
      rewrite(sub, eol, bom);
      const masks = readSubmission(sub, want.train.ids);
      assert.equal(masks.size, want.train.ids.length, how);
      // Line numbers count the header and the blank line: the row written on line 5 is named as line 5.
      for (const f of Object.keys(copies)) {
        restore();
        rewrite(join(data, f), eol, bom, (lines) => { lines[3] = lines[1]!; }); // a duplicate of line 2 on file line 5
        const first = lines1(copies[f]!)[1]!.split(',')[0]!;
        await assert.rejects(readTgs(data), new RegExp(`${f}:5: duplicate id ${first} \\(first on line 2\\)`), `${f} ${how}`);
      }
      // A blank depth, or one that is not a number, is an error naming file:line and id, never 0.
      for (const [z, re] of [['', /is empty; a number is required/], ['  ', /is empty; a number is required/], ['abc', /is 'abc', not a number/], ['NaN', /is 'NaN', not a number/]] as const) {
        restore();
        rewrite(join(data, 'depths.csv'), eol, bom, (lines) => { lines[4] = `${lines[4]!.split(',')[0]},${z}`; });
        const id = lines1(copies['depths.csv']!)[4]!.split(',')[0]!;
        await assert.rejects(readTgs(data), (e: Error) => e.message.startsWith(`${join(data, 'depths.csv')}:6: z of id ${id} `) && re.test(e.message), `'${z}' ${how}`);
      }
      restore();
    }
  }
  // Endings mixed within one file (edited on two systems) read right too.
  writeFileSync(join(data, 'depths.csv'), lines1(copies['depths.csv']!).map((l, i) => l + ['\r\n', '\n', '\r'][i % 3]).join(''));
  assert.deepEqual((await readTgs(data)).train.depths, want.train.depths);
  restore();
});

const lines1 = (text: string) => text.split('\n').filter((l) => l !== '');

test('CSVs that cannot be read right are errors that name the cause', () => {
  const f = join(root, 'bad.csv');
  const cases: [string | Buffer, RegExp][] = [
    [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,z\n', 'utf16le')]), /bad\.csv: saved as UTF-16 text; save it as a UTF-8 CSV/],
    ['id;z\naaa;1\n', /bad\.csv:1: missing column 'id' \(header is id;z\); fields are separated by ';', halite reads commas/],
    ['', /bad\.csv: empty file; expected a header line 'id,z'/],
    ['\n\nid,z\naaa\n', /bad\.csv:4 \(id aaa\): 1 field where the header has 2 \(id,z\)/],
    ['id,z\r\naaa,1,2\r\n', /bad\.csv:2 \(id aaa\): 3 fields where the header has 2/],
  ];
  for (const [text, re] of cases) {
    writeFileSync(f, text);
    assert.throws(() => readCsv(f, ['id', 'z']), re, String(text));
  }
  rmSync(f);
});
