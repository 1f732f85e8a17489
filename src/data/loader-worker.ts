// Worker side of the batch loader: gathers batches from shared tile arrays, running ahead of
// training by as many batches as it has credit for, and transfers each batch's buffers.
import { parentPort, workerData } from 'node:worker_threads';

interface Setup { images: SharedArrayBuffer; masks: SharedArrayBuffer | null; pixels: number; batches: number[][] }

const s = workerData as Setup;
const images = new Float32Array(s.images);
const masks = s.masks ? new Uint8Array(s.masks) : null;
let next = 0;

function produce(): void {
  const idx = s.batches[next]!;
  const x = new Float32Array(idx.length * s.pixels);
  const y = masks ? new Float32Array(idx.length * s.pixels) : null;
  idx.forEach((item, b) => {
    x.set(images.subarray(item * s.pixels, (item + 1) * s.pixels), b * s.pixels);
    if (y) {
      const m = masks!.subarray(item * s.pixels, (item + 1) * s.pixels);
      for (let k = 0; k < s.pixels; k++) y[b * s.pixels + k] = m[k]!;
    }
  });
  const transfer = y ? [x.buffer, y.buffer] : [x.buffer];
  parentPort!.postMessage({ k: next, images: x, masks: y }, transfer);
  next++;
}

// Each message is one credit: room for one more batch ahead.
parentPort!.on('message', (credits: number) => {
  for (let i = 0; i < credits && next < s.batches.length; i++) produce();
  if (next >= s.batches.length) parentPort!.close();
});
