// The TGS layer: RLE exact to Kaggle's convention on the real files, the competition metric on
// hand-built cases, coverage classes and stratified splits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rleDecode, rleEncode, PIXELS } from '../src/data/rle.js';
import { coverage, coverageClass } from '../src/data/coverage.js';
import { stratifiedFolds, stratifiedSplit } from '../src/data/split.js';
import { readTgs } from '../src/data/tgs.js';
import { imageScore, iou, meanOverlapScore, meanScore, IOU_THRESHOLDS, linspace, overlap, thresholdSweep, scoreByCoverageClass, emptyConfusion } from '../src/metrics/competition.js';

const TGS = join(import.meta.dirname, '..', '..', 'shared', 'tgs');

test('RLE: column-major from 1, on a hand-built 3x3 mask', () => {
  // Row-major 3x3: salt at (row0,col0), (row1,col0), (row2,col2).
  const m = Uint8Array.from([1, 0, 0, 1, 0, 0, 0, 0, 1]);
  assert.equal(rleEncode(m, 3, 3), '1 2 9 1');
  assert.deepEqual(rleDecode('1 2 9 1', 'x', 3, 3), m);
  assert.equal(rleEncode(new Uint8Array(9), 3, 3), '');
  assert.deepEqual(rleDecode('', 'x', 3, 3), new Uint8Array(9));
});

test('malformed RLE is an error naming where it came from', () => {
  const bad: [string, RegExp][] = [
    ['1 2 3', /odd number of tokens \(3\)/],
    ['1 x', /length 'x' is not a whole number/],
    ['-1 2', /start '-1' is not a whole number/],
    ['0 2', /start 0 < 1/],
    ['5 0', /length 0 < 1/],
    ['10200 3', /ends at pixel 10202, past 10201/],
    ['10 5 12 3', /overlaps or precedes/],
    ['20 2 10 2', /overlaps or precedes/],
  ];
  for (const [rle, re] of bad) assert.throws(() => rleDecode(rle, 'train.csv:7 (id abc)'), (e: Error) => /^train\.csv:7 \(id abc\): malformed RLE/.test(e.message) && re.test(e.message), rle);
});

test('metric: empty/empty 1, exactly one empty 0, IoU just above and below thresholds', () => {
  const empty = new Uint8Array(100);
  const full = new Uint8Array(100).fill(1);
  assert.equal(imageScore(empty, empty), 1);
  assert.equal(imageScore(empty, full), 0);
  assert.equal(imageScore(full, empty), 0);
  assert.equal(imageScore(full, full), 1);
  const firstK = (k: number) => Uint8Array.from({ length: 100 }, (_, i) => (i < k ? 1 : 0));
  // IoU 0.5 exactly is not > 0.5: 0 hits. 51/100 beats only 0.50: 1/10. 55/100 is not > 0.55.
  assert.equal(iou(full, firstK(50)), 0.5);
  assert.equal(imageScore(full, firstK(50)), 0);
  assert.equal(imageScore(full, firstK(51)), 0.1);
  assert.equal(imageScore(full, firstK(55)), 0.1);
  assert.equal(imageScore(full, firstK(56)), 0.2);
  assert.equal(imageScore(full, firstK(95)), 0.9);
  assert.equal(imageScore(full, firstK(96)), 1);
  assert.deepEqual(IOU_THRESHOLDS, [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);
  assert.equal(meanScore([empty, full], [empty, firstK(56)]), 0.6);
  // The same from the overlaps alone: (1 + 0.2 + 0) / 3 by hand.
  const fromOverlaps = meanOverlapScore([{ inter: 0, union: 0, t: 0, p: 0 }, { inter: 56, union: 100, t: 100, p: 56 }, { inter: 0, union: 5, t: 0, p: 5 }]);
  assert.ok(Math.abs(fromOverlaps - 0.4) < 1e-12, `got ${fromOverlaps}`);
  assert.throws(() => meanOverlapScore([]), /no images to score/);
  assert.throws(() => meanScore([empty], []), /1 truths but 0 predictions/);
  const sweep = thresholdSweep([Float32Array.from({ length: 100 }, (_, i) => i / 100)], [firstK(60).map((v) => 1 - v)], [0.3, 0.59, 0.8]);
  assert.equal(sweep.best.threshold, 0.59);
  assert.equal(sweep.best.score, 1);
  assert.deepEqual(emptyConfusion([overlap(empty, empty), overlap(empty, full), overlap(full, empty), overlap(full, full)]), { bothEmpty: 1, falseSalt: 1, missedSalt: 1, bothSalt: 1 });
});

test('the tuning sweep thresholds are the decimals they stand for (0.5, not 0.49999999999999994)', () => {
  const t = linspace(0.05, 0.95, 31);
  assert.equal(t.length, 31);
  assert.equal(t[0], 0.05);
  assert.equal(t[15], 0.5);
  assert.equal(t[30], 0.95);
  // Every point is 0.05 + 0.03 k, written with at most two decimals.
  t.forEach((v, k) => assert.equal(v, Number((0.05 + 0.03 * k).toFixed(2))));
});

test('coverage classes: 0 for empty, then ceil(coverage * 10)', () => {
  assert.equal(coverageClass(0), 0);
  assert.equal(coverageClass(1 / PIXELS), 1);
  assert.equal(coverageClass(0.1), 1);
  assert.equal(coverageClass(0.1001), 2);
  assert.equal(coverageClass(1), 10);
  assert.equal(coverage(Uint8Array.from([1, 0, 1, 1])), 0.75);
  const three = Uint8Array.from({ length: 10 }, (_, i) => (i < 3 ? 1 : 0));
  const rows = scoreByCoverageClass([overlap(new Uint8Array(10), new Uint8Array(10)), overlap(three, new Uint8Array(10)), overlap(three, three)], 10);
  // 30 % coverage is class 3; its two images scored 0 (nothing found) and 1 (exact).
  assert.deepEqual(rows, [{ coverageClass: 0, images: 1, score: 1 }, { coverageClass: 3, images: 2, score: 0.5 }]);
});

test('stratified split and k-fold keep class proportions, and repeat under a seed', () => {
  const classes = Array.from({ length: 1000 }, (_, i) => (i % 10 < 4 ? 0 : (i % 7) + 1));
  const { train, val } = stratifiedSplit(classes, 0.1, 3);
  assert.equal(train.length + val.length, 1000);
  assert.equal(new Set([...train, ...val]).size, 1000);
  for (const c of new Set(classes)) {
    const total = classes.filter((x) => x === c).length;
    const inVal = val.filter((i) => classes[i] === c).length;
    assert.ok(Math.abs(inVal - total * 0.1) <= 1, `class ${c}: ${inVal} of ${total} in validation`);
  }
  assert.deepEqual(stratifiedSplit(classes, 0.1, 3), { train, val });
  assert.notDeepEqual(stratifiedSplit(classes, 0.1, 4).val, val);
  const folds = stratifiedFolds(classes, 5, 1);
  for (let f = 0; f < 5; f++) {
    assert.ok(Math.abs(folds.filter((x) => x === f).length - 200) <= 1);
    for (const c of new Set(classes)) {
      const total = classes.filter((x) => x === c).length;
      const inFold = classes.filter((x, i) => x === c && folds[i] === f).length;
      assert.ok(Math.abs(inFold - total / 5) <= 1, `fold ${f} class ${c}`);
    }
  }
});

test('every rle_mask in train.csv matches its mask PNG pixel for pixel and re-encodes identically', { skip: !existsSync(TGS) && 'no ../shared/tgs' }, async () => {
  const d = await readTgs(TGS, { test: false });
  assert.equal(d.train.ids.length, 3001);
  let empty = 0;
  d.train.ids.forEach((id, i) => {
    const mask = d.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS);
    assert.equal(rleEncode(mask), d.train.rle[i], id);
    if (d.train.rle[i] === '') empty++;
  });
  assert.equal(empty, 1172);
  // Independent check: a perfect submission scores 1; an all-empty one scores the empty fraction.
  const truths = d.train.ids.map((_, i) => d.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS));
  assert.equal(meanScore(truths, truths), 1);
  assert.equal(meanScore(truths, truths.map(() => new Uint8Array(PIXELS))), 1172 / 3001);
  assert.equal(d.test?.ids.length, 2000);
  assert.deepEqual([...d.submissionIds!].sort(), d.test!.ids);
  const img = d.train.images;
  assert.ok(img.every((v) => v >= 0 && v <= 1));
});
