// Bad TGS layouts: each problem is an error naming the file and line or id; nothing is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { readTgs } from '../src/data/tgs.js';
import { rleEncode, PIXELS } from '../src/data/rle.js';

const IDS = ['aaa', 'bbb', 'ccc'];

/** A minimal valid layout: grey tiles, 8-bit masks (one 16-bit), CSVs to match. */
function layout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'halite-tgs-'));
  for (const d of ['train/images', 'train/masks', 'test/images']) mkdirSync(join(dir, d), { recursive: true });
  const rows = ['id,rle_mask'];
  IDS.forEach((id, k) => {
    const img = Uint8Array.from({ length: PIXELS }, (_, i) => (i * 7 + k) % 256);
    writeFileSync(join(dir, 'train/images', `${id}.png`), encode({ width: 101, height: 101, data: img, channels: 1, depth: 8 }));
    const mask = Uint8Array.from({ length: PIXELS }, (_, i) => (k > 0 && i % 101 < 20 * k ? 1 : 0));
    const png = k === 2
      ? encode({ width: 101, height: 101, data: Uint16Array.from(mask, (v) => v * 65535), channels: 1, depth: 16 })
      : encode({ width: 101, height: 101, data: Uint8Array.from(mask, (v) => v * 255), channels: 1, depth: 8 });
    writeFileSync(join(dir, 'train/masks', `${id}.png`), png);
    rows.push(`${id},${rleEncode(mask)}`);
  });
  writeFileSync(join(dir, 'test/images', 'ttt.png'), encode({ width: 101, height: 101, data: new Uint8Array(PIXELS), channels: 1, depth: 8 }));
  writeFileSync(join(dir, 'train.csv'), rows.join('\n') + '\n');
  writeFileSync(join(dir, 'depths.csv'), ['id,z', ...IDS.map((id, i) => `${id},${100 + i}`), 'ttt,500'].join('\n') + '\n');
  writeFileSync(join(dir, 'sample_submission.csv'), 'id,rle_mask\nttt,1 1\n');
  return dir;
}

test('a valid mini layout reads, 8- and 16-bit masks alike', async () => {
  const dir = layout();
  const d = await readTgs(dir);
  assert.deepEqual(d.train.ids, IDS);
  assert.deepEqual(d.train.depths, [100, 101, 102]);
  assert.equal(d.train.masks.subarray(2 * PIXELS, 3 * PIXELS).reduce((a, b) => a + b, 0), 40 * 101); // columns x < 40 of the 16-bit mask
  assert.ok(Math.abs(d.train.images[1]! - 7 / 255) < 1e-7);
  assert.deepEqual(d.submissionIds, ['ttt']);
  rmSync(dir, { recursive: true });
});

test('every bad input is named', async () => {
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['truncated PNG', (d) => { const f = join(d, 'train/images/bbb.png'); writeFileSync(f, readFileSync(f).subarray(0, 60)); }, /train\/images\/bbb\.png: not a readable PNG \(corrupt or truncated\)/],
    ['not a PNG', (d) => writeFileSync(join(d, 'train/masks/aaa.png'), 'hello'), /train\/masks\/aaa\.png: not a readable PNG/],
    ['wrong size', (d) => writeFileSync(join(d, 'train/images/ccc.png'), encode({ width: 100, height: 101, data: new Uint8Array(10100), channels: 1, depth: 8 })), /train\/images\/ccc\.png: tile is 100x101, expected 101x101/],
    ['image without mask', (d) => rmSync(join(d, 'train/masks/bbb.png')), /train\/images: id bbb has no counterpart in .*train\/masks/],
    ['csv id without image', (d) => writeFileSync(join(d, 'train.csv'), readFileSync(join(d, 'train.csv'), 'utf8') + 'zzz,\n'), /train\.csv:5: id zzz has no image/],
    ['duplicate id', (d) => writeFileSync(join(d, 'train.csv'), readFileSync(join(d, 'train.csv'), 'utf8') + 'aaa,\n'), /train\.csv:5: duplicate id aaa \(first on line 2\)/],
    ['malformed rle', (d) => writeFileSync(join(d, 'train.csv'), readFileSync(join(d, 'train.csv'), 'utf8').replace(/\nbbb,[^\n]*/, '\nbbb,3 0')), /train\.csv:3 \(id bbb\): malformed RLE: pair 1: length 0 < 1/],
    ['rle disagrees with png', (d) => writeFileSync(join(d, 'train.csv'), readFileSync(join(d, 'train.csv'), 'utf8').replace(/\naaa,[^\n]*/, '\naaa,1 1')), /train\.csv:2: rle_mask of aaa disagrees with .*aaa\.png at pixel 0/],
    ['missing depth', (d) => writeFileSync(join(d, 'depths.csv'), 'id,z\naaa,1\nbbb,2\nttt,3\n'), /depths\.csv: no depth for train id ccc/],
    ['submission id without image', (d) => writeFileSync(join(d, 'sample_submission.csv'), 'id,rle_mask\nttt,1 1\nuuu,1 1\n'), /sample_submission\.csv:3: id uuu has no image/],
  ];
  for (const [name, spoil, re] of cases) {
    const dir = layout();
    spoil(dir);
    await assert.rejects(readTgs(dir), re, name);
    rmSync(dir, { recursive: true });
  }
});
