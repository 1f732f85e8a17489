// Batches of NCHW float32 tiles and 0/1 byte masks: shuffled per epoch under a seed, gathered on a worker
// thread a few batches ahead so the training step never waits for data.
import type { Worker } from 'node:worker_threads';
import { firstNonFinite } from './arrays.js';
import { DataError } from './png.js';
import { rng, shuffled } from './random.js';
import { startWorker } from './workers.js';

export interface TileSource {
  /** N x H x W, row-major. */
  images: Float32Array;
  /** N x H x W of 0/1, if labelled. */
  masks?: Uint8Array;
  height: number;
  width: number;
}

export interface Batch {
  /** Positions in the source of the items in this batch. */
  indices: number[];
  /** [size, 1, H, W] */
  shape: [number, number, number, number];
  images: Float32Array;
  /** [size, 1, H, W] of 0/1. */
  masks: Uint8Array | null;
}

export interface LoaderOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  dropLast?: boolean;
  /** Batches gathered ahead of the consumer. */
  prefetch?: number;
  /**
   * Each epoch's items come from here instead of the loader's own shuffle (a DistributedSampler:
   * this rank's shard of the epoch's permutation); `shuffle` is then ignored.
   */
  sampler?: { readonly numSamples: number; indices(epoch: number): number[] };
}

/** A gathered batch, as the worker posts it. */
interface WorkerBatch { token: number; k: number; images: Float32Array; masks: Uint8Array | null }

interface LoaderWorker {
  readonly thread: Worker;
  failed: Error | null;
  /** The running epoch's inbox; null between epochs. */
  deliver: ((m: WorkerBatch) => void) | null;
  wake: (() => void) | null;
}

function shared<T extends Float32Array | Uint8Array>(a: T): SharedArrayBuffer {
  if (a.buffer instanceof SharedArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) return a.buffer;
  const sab = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(sab).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return sab;
}

export class BatchLoader {
  private readonly images: SharedArrayBuffer;
  private readonly masks: SharedArrayBuffer | null;
  private readonly pixels: number;
  /** Milliseconds the consumer waited for each batch of the last epoch (the first epoch's first includes the worker's start). */
  waits: number[] = [];
  private worker: LoaderWorker | null = null;
  /** Tells this epoch's batches from those an abandoned epoch left in flight. */
  private token = 0;

  constructor(private readonly source: TileSource, readonly indices: readonly number[], readonly o: LoaderOptions) {
    if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new RangeError(`batch size must be a positive integer, got ${o.batchSize}`);
    this.pixels = source.height * source.width;
    const n = source.images.length / this.pixels;
    for (const i of indices) {
      if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`index ${i} is outside the ${n} tiles of the source`);
      // Every tile that training sees passes here: the last gate before a NaN would reach the model.
      const bad = firstNonFinite(source.images, i * this.pixels, (i + 1) * this.pixels);
      if (bad >= 0) throw new DataError(`tile ${i} of the training tiles holds ${source.images[bad]} at pixel ${bad - i * this.pixels}; a tile must hold finite values`);
    }
    this.images = shared(source.images);
    this.masks = source.masks ? shared(source.masks) : null;
  }

  get batchesPerEpoch(): number {
    const n = this.o.sampler?.numSamples ?? this.indices.length, b = this.o.batchSize;
    return this.o.dropLast ? Math.floor(n / b) : Math.ceil(n / b);
  }

  /** The item order of an epoch: a function of (seed, epoch) alone, so a resumed run repeats it. */
  order(epoch: number): number[] {
    if (this.o.sampler) return this.o.sampler.indices(epoch);
    return this.o.shuffle === false ? this.indices.slice() : shuffled(this.indices, rng(((this.o.seed ?? 0) * 1000003 + epoch) >>> 0));
  }

  /**
   * Yields the epoch's batches in order; a worker thread gathers them ahead. The worker starts with
   * the first epoch and serves every later one (from TypeScript sources a start costs about 0.3 s);
   * close() ends it. Breaking out of an epoch early is safe: its stragglers are told apart and dropped.
   * Throws what the worker threw.
   */
  async *epoch(epoch: number): AsyncGenerator<Batch> {
    const order = this.order(epoch);
    const b = this.o.batchSize;
    const batches: number[][] = [];
    for (let s = 0; s < order.length; s += b) {
      const idx = order.slice(s, s + b);
      if (idx.length < b && this.o.dropLast) break;
      batches.push(idx);
    }
    this.waits = [];
    if (batches.length === 0) return;
    const w = this.worker ??= this.startWorker();
    const token = ++this.token;
    const ready: WorkerBatch[] = [];
    w.deliver = (m) => { if (m.token === token) ready.push(m); };
    // Referenced only while an epoch waits on it, so a loader nobody closes never keeps Node alive.
    w.thread.ref();
    w.thread.postMessage({ token, batches, credits: this.o.prefetch ?? 2 });
    try {
      for (let k = 0; k < batches.length; k++) {
        const t0 = performance.now();
        while (ready.length === 0 && w.failed === null) await new Promise<void>((r) => { w.wake = r; });
        w.wake = null;
        if (w.failed) throw w.failed;
        this.waits.push(performance.now() - t0);
        const m = ready.shift()!;
        w.thread.postMessage({ token, credits: 1 });
        const idx = batches[m.k]!;
        yield { indices: idx, shape: [idx.length, 1, this.source.height, this.source.width], images: m.images, masks: m.masks };
      }
    } finally {
      w.deliver = null;
      w.thread.unref();
      // A worker that failed is gone; the next epoch starts another.
      if (w.failed) this.worker = null;
    }
  }

  /** Ends the worker thread, if one runs; a later epoch would start another. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.thread.terminate();
  }

  private startWorker(): LoaderWorker {
    const thread = startWorker('loader-worker', { images: this.images, masks: this.masks, pixels: this.pixels });
    const w: LoaderWorker = { thread, failed: null, deliver: null, wake: null };
    thread.on('message', (m: WorkerBatch) => { w.deliver?.(m); w.wake?.(); });
    thread.on('error', (e) => { w.failed = e; w.wake?.(); });
    thread.unref();
    return w;
  }
}
