// The batch loader: every item once per epoch, seeded shuffles, NCHW contents, and prefetching.
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchLoader } from '../src/data/loader.js';
import { batchTensors } from '../src/train/batch.js';
import { tidy } from '../src/torch/index.js';

const N = 70, H = 4, W = 5, P = H * W;
const source = {
  images: Float32Array.from({ length: N * P }, (_, i) => Math.floor(i / P)),
  masks: Uint8Array.from({ length: N * P }, (_, i) => Math.floor(i / P) % 2),
  height: H,
  width: W,
};
const indices = Array.from({ length: N }, (_, i) => i).filter((i) => i !== 13);

async function collect(loader: BatchLoader, epoch: number) {
  const out = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  return out;
}

test('each epoch yields every item once, in NCHW batches whose contents match their indices', async () => {
  const loader = new BatchLoader(source, indices, { batchSize: 32, seed: 1 });
  const batches = await collect(loader, 0);
  assert.deepEqual(batches.map((b) => b.shape), [[32, 1, H, W], [32, 1, H, W], [5, 1, H, W]]);
  assert.equal(loader.batchesPerEpoch, 3);
  const seen = batches.flatMap((b) => b.indices);
  assert.deepEqual([...seen].sort((a, b) => a - b), indices);
  for (const b of batches) {
    b.indices.forEach((item, k) => {
      assert.ok(b.images.subarray(k * P, (k + 1) * P).every((v) => v === item));
      assert.ok(b.masks!.subarray(k * P, (k + 1) * P).every((v) => v === item % 2));
    });
  }
  // The step's tensors: masks come as bytes and leave as float32 0/1, each tile's own.
  const b = batches[2]!;
  assert.ok(b.masks instanceof Uint8Array);
  const [dtypes, x, y] = tidy(() => {
    const t = batchTensors(b);
    return [[t.images.dtype, t.masks.dtype, t.masks.shape], t.images.toArray(), t.masks.toArray()] as const;
  });
  assert.deepEqual(dtypes, ['float32', 'float32', [5, 1, H, W]]);
  assert.deepEqual(Array.from(y), b.indices.flatMap((item) => Array(P).fill(item % 2)));
  assert.deepEqual(Array.from(x), b.indices.flatMap((item) => Array(P).fill(item)));
  assert.throws(() => batchTensors({ ...b, masks: null }), /a training batch needs masks/);
  const dropped = await collect(new BatchLoader(source, indices, { batchSize: 32, seed: 1, dropLast: true }), 0);
  assert.equal(dropped.length, 2);
});

test('shuffles differ per epoch, repeat under the same seed, and can be off', async () => {
  const a = new BatchLoader(source, indices, { batchSize: 16, seed: 5 });
  const e0 = (await collect(a, 0)).flatMap((b) => b.indices);
  const e1 = (await collect(a, 1)).flatMap((b) => b.indices);
  const again = (await collect(new BatchLoader(source, indices, { batchSize: 16, seed: 5 }), 1)).flatMap((b) => b.indices);
  assert.notDeepEqual(e0, e1);
  assert.deepEqual(e1, again);
  const ordered = (await collect(new BatchLoader(source, indices, { batchSize: 16, shuffle: false }), 3)).flatMap((b) => b.indices);
  assert.deepEqual(ordered, indices);
  assert.throws(() => new BatchLoader(source, [0, 70], { batchSize: 4 }), /index 70 is outside the 70 tiles/);
});

test('batches are gathered ahead: a slow consumer never waits after the first batch', async () => {
  const loader = new BatchLoader(source, indices, { batchSize: 8, seed: 2, prefetch: 2 });
  for await (const b of loader.epoch(0)) {
    assert.ok(b.images.length > 0);
    const until = performance.now() + 25; // a training step
    while (performance.now() < until) { /* busy, as a synchronous step is */ }
  }
  const later = loader.waits.slice(1);
  assert.equal(later.length, loader.batchesPerEpoch - 1);
  assert.ok(later.every((w) => w < 5), `waits after the first batch: ${later.map((w) => w.toFixed(1)).join(', ')} ms`);
});

test('one worker serves every epoch: an abandoned epoch\'s batches never reach the next, and a loader left open lets Node exit', async () => {
  const loader = new BatchLoader(source, indices, { batchSize: 8, seed: 3, prefetch: 4 });
  for await (const b of loader.epoch(0)) { assert.equal(b.indices.length, 8); break; } // 4 batches were in flight
  const first = loader.waits[0]!;
  const e1 = await collect(loader, 1);
  assert.deepEqual(e1.flatMap((b) => b.indices), loader.order(1), 'epoch 1 yields its own order, nothing left from epoch 0');
  // No second start: the thread is already up (a start from sources takes about 0.3 s).
  assert.ok(loader.waits[0]! < first / 3, `first waits: epoch 0 ${first.toFixed(1)} ms, epoch 1 ${loader.waits[0]!.toFixed(1)} ms`);
  await loader.close();
  assert.deepEqual((await collect(loader, 2)).flatMap((b) => b.indices), loader.order(2), 'after close() an epoch starts a new worker');
  await loader.close();

  // A script that reads one epoch and never closes its loader still ends.
  const script = `import { BatchLoader } from ${JSON.stringify(new URL('../src/data/loader.ts', import.meta.url).href)};
    const l = new BatchLoader({ images: new Float32Array(40), height: 2, width: 2 }, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { batchSize: 4 });
    let n = 0; for await (const b of l.epoch(0)) n += b.indices.length; console.log(n);`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(out.trim(), '10');
});
