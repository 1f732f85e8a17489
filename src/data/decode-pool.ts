// Decodes many tiles at once on worker threads: unfiltering and expanding the pixels is JS (io/png),
// so one thread per core is what brings loading the training set under a few seconds.
import { availableParallelism } from 'node:os';
import { DataError, readImage, readMask } from './png.js';
import { PIXELS } from './rle.js';
import { startWorker } from './workers.js';


function run(kind: 'image' | 'mask', paths: string[], start: number, buffer: SharedArrayBuffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = startWorker('decode-worker', { kind, paths, start, buffer });
    w.once('message', (m: { ok: boolean; message?: string }) => (m.ok ? resolve() : reject(new DataError(m.message!))));
    w.once('error', reject);
  });
}

async function decodeAll(kind: 'image' | 'mask', paths: string[], threads: number): Promise<SharedArrayBuffer> {
  const bytes = paths.length * PIXELS * (kind === 'image' ? 4 : 1);
  const buffer = new SharedArrayBuffer(bytes);
  // Small sets are not worth a thread start.
  if (threads <= 1 || paths.length < 256) {
    const out = kind === 'image' ? new Float32Array(buffer) : new Uint8Array(buffer);
    paths.forEach((p, i) => (kind === 'image' ? readImage(p, out as Float32Array, i * PIXELS) : readMask(p, out as Uint8Array, i * PIXELS)));
    return buffer;
  }
  const per = Math.ceil(paths.length / threads);
  const jobs: Promise<void>[] = [];
  for (let s = 0; s < paths.length; s += per) jobs.push(run(kind, paths.slice(s, s + per), s, buffer));
  await Promise.all(jobs);
  return buffer;
}

export function defaultThreads(): number { return Math.max(1, availableParallelism()); }

export async function decodeImages(paths: string[], threads = defaultThreads()): Promise<Float32Array> {
  return new Float32Array(await decodeAll('image', paths, threads));
}

export async function decodeMasks(paths: string[], threads = defaultThreads()): Promise<Uint8Array> {
  return new Uint8Array(await decodeAll('mask', paths, threads));
}
