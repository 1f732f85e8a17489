// Worker side of the PNG pool: decodes a slice of files into shared arrays.
import { parentPort, workerData } from 'node:worker_threads';
import { readImage, readMask } from './png.js';

interface Job { kind: 'image' | 'mask'; paths: string[]; start: number; buffer: SharedArrayBuffer }

const job = workerData as Job;
try {
  const n = 101 * 101;
  if (job.kind === 'image') {
    const out = new Float32Array(job.buffer);
    job.paths.forEach((p, i) => readImage(p, out, (job.start + i) * n));
  } else {
    const out = new Uint8Array(job.buffer);
    job.paths.forEach((p, i) => readMask(p, out, (job.start + i) * n));
  }
  parentPort!.postMessage({ ok: true });
} catch (e) {
  parentPort!.postMessage({ ok: false, message: (e as Error).message });
}
