// Augmentations keep image and mask aligned, repeat under a seed, and the pad/resize transforms invert.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../src/torch/index.js';
import { Augmenter, parseAugmentations, padTo, cropFrom, resizeTo } from '../src/data/augment.js';

/** Masks with a blob, and images that equal them, so alignment is checkable after any warp. */
function batch(n: number): { images: T.Tensor; masks: T.Tensor } {
  return T.tidy(() => {
    const yy = T.arange(101, undefined, 1, { dtype: 'float32' }).reshape(1, 1, 101, 1);
    const xx = T.arange(101, undefined, 1, { dtype: 'float32' }).reshape(1, 1, 1, 101);
    const masks = T.cat(Array.from({ length: n }, (_, i) =>
      yy.sub(30 + 5 * i).pow(2).add(xx.sub(60 - 3 * i).pow(2)).lt(400 + 50 * i).float()), 0);
    return { images: masks.clone(), masks };
  });
}

test('geometric augmentations move image and mask together', () => {
  T.tidy(() => {
    const { images, masks } = batch(8);
    const flip = new Augmenter([{ type: 'hflip', p: 1 }, { type: 'vflip', p: 0.5 }], 1).apply(images, masks);
    assert.ok(flip.images.equal(flip.masks), 'flips are exact');
    assert.ok(!flip.masks.equal(masks), 'something moved');
    const warp = new Augmenter([{ type: 'shiftScale', shift: 0.1, scale: 0.2, rotate: 10, p: 1 }], 2).apply(images, masks);
    const agree = warp.images.gt(0.5).eq(warp.masks.gt(0.5)).float().mean().item();
    assert.ok(agree > 0.995, `image and mask agree on ${(agree * 100).toFixed(2)}% of pixels`);
    assert.ok(!warp.masks.equal(masks));
    const vals = new Set(warp.masks.toNumbers());
    assert.ok([...vals].every((v) => v === 0 || v === 1), 'masks stay binary (nearest sampling)');
  });
});

test('photometric augmentations change only the image, within their limits', () => {
  T.tidy(() => {
    const images = T.rand([6, 1, 101, 101]);
    const masks = T.rand([6, 1, 101, 101]).gt(0.5).float();
    const b = new Augmenter([{ type: 'brightness', limit: 0.1, p: 1 }], 3).apply(images, masks);
    assert.ok(b.masks.equal(masks));
    const shift = b.images.sub(images).toNumbers();
    assert.ok(shift.every((v) => Math.abs(v) <= 0.1 + 1e-6));
    const c = new Augmenter([{ type: 'contrast', limit: 0.2, p: 1 }, { type: 'gamma', limit: 0.2, p: 1 }], 4).apply(images, masks);
    assert.ok(c.masks.equal(masks));
    assert.ok(!c.images.equal(images));
  });
});

test('augmentations repeat exactly under a seed and differ across seeds', () => {
  T.tidy(() => {
    const { images, masks } = batch(4);
    const specs = parseAugmentations([{ type: 'hflip' }, { type: 'shiftScale', p: 0.7 }, { type: 'brightness', limit: 0.05 }]);
    const a = new Augmenter(specs, 9).apply(images, masks);
    const b = new Augmenter(specs, 9).apply(images, masks);
    const c = new Augmenter(specs, 10).apply(images, masks);
    assert.ok(a.images.equal(b.images) && a.masks.equal(b.masks));
    assert.ok(!a.images.equal(c.images));
  });
});

test('bad augmentation configs are named', () => {
  assert.throws(() => parseAugmentations([{ type: 'hflip' }, { type: 'twirl' }], 'config.json augmentations'), /config\.json augmentations\[1\]: unknown augmentation "twirl"/);
  assert.throws(() => parseAugmentations([{ type: 'brightness' }]), /\[0\]: brightness needs a limit/);
  assert.throws(() => parseAugmentations([{ type: 'hflip', p: 2 }]), /p must be in \[0, 1\]/);
  assert.throws(() => parseAugmentations({}), /expected an array/);
});

test('pad 101 -> 128 (reflect or zero) and crop back, resize 101 -> 128 and back', () => {
  T.tidy(() => {
    const x = T.rand([2, 1, 101, 101]);
    for (const mode of ['reflect', 'constant'] as const) {
      const p = padTo(x, 128, mode);
      assert.deepEqual(p.shape, [2, 1, 128, 128]);
      assert.ok(cropFrom(p, 101).equal(x));
    }
    assert.equal(padTo(x, 128, 'constant').select(2, 0).abs().sum().item(), 0, 'zero padding is zero');
    const smooth = batch(2).images;
    const up = resizeTo(smooth, 128);
    assert.deepEqual(up.shape, [2, 1, 128, 128]);
    const back = resizeTo(up, 101);
    assert.deepEqual(back.shape, [2, 1, 101, 101]);
    const err = back.sub(smooth).abs().mean().item();
    assert.ok(err < 0.02, `resizing a smooth tile there and back stays close (mean error ${err})`);
  });
});

test('random crops cut image and mask at the same seeded offset, one offset per sample', () => {
  T.tidy(() => {
    const images = T.rand([6, 1, 101, 101]);
    const masks = images.gt(0.5).float();
    const a = new Augmenter([], 7).crop(images, masks, 69);
    assert.deepEqual(a.images.shape, [6, 1, 69, 69]);
    assert.deepEqual(a.masks.shape, [6, 1, 69, 69]);
    assert.ok(a.images.gt(0.5).float().equal(a.masks), 'the mask is cut where its image is');
    // Each crop must be a 69x69 window of its own tile: search every offset (independent of the draw).
    const offsets = Array.from({ length: 6 }, (_, i) => {
      const tile = images.select(0, i), crop = a.images.select(0, i);
      for (let top = 0; top <= 32; top++) for (let left = 0; left <= 32; left++) {
        if (tile.slice(-2, top, top + 69).slice(-1, left, left + 69).equal(crop)) return `${top},${left}`;
      }
      return assert.fail(`sample ${i} is no 69x69 window of its tile`);
    });
    assert.ok(new Set(offsets).size > 1, `offsets differ across samples: ${offsets.join(' ')}`);
    assert.ok(new Augmenter([], 7).crop(images, masks, 69).images.equal(a.images), 'the same seed draws the same crops');
    assert.ok(new Augmenter([], 7).crop(images, masks, 101).images.equal(images), 'a whole-tile crop is the tile');
    assert.throws(() => new Augmenter([], 7).crop(images, masks, 102), /a crop of side 102 does not fit tiles of 101x101: choose a crop of at most 101/);
  });
});
