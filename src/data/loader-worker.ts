// Worker side of the batch loader: gathers batches from shared tile arrays, running ahead of
// training by as many batches as it has credit for, and transfers each batch's buffers. It serves
// one epoch after another: a message with batches starts an epoch, and its token tags each batch.
import { parentPort, workerData } from 'node:worker_threads';

interface Setup { images: SharedArrayBuffer; masks: SharedArrayBuffer | null; pixels: number }
interface Request { token: number; batches?: number[][]; credits: number }

const s = workerData as Setup;
const images = new Float32Array(s.images);
const masks = s.masks ? new Uint8Array(s.masks) : null;
let token = 0, batches: number[][] = [], next = 0;

function produce(): void {
  const idx = batches[next]!;
  const x = new Float32Array(idx.length * s.pixels);
  // Masks stay 0/1 bytes, a quarter of float32's: the step's tensor turns them to float in libtorch.
  const y = masks ? new Uint8Array(idx.length * s.pixels) : null;
  idx.forEach((item, b) => {
    x.set(images.subarray(item * s.pixels, (item + 1) * s.pixels), b * s.pixels);
    y?.set(masks!.subarray(item * s.pixels, (item + 1) * s.pixels), b * s.pixels);
  });
  const transfer = y ? [x.buffer, y.buffer] : [x.buffer];
  parentPort!.postMessage({ token, k: next, images: x, masks: y }, transfer);
  next++;
}

// Each credit is room for one more batch ahead; credits for an epoch that was left are ignored.
parentPort!.on('message', (m: Request) => {
  if (m.batches) ({ token, batches, next } = { token: m.token, batches: m.batches, next: 0 });
  else if (m.token !== token) return;
  for (let i = 0; i < m.credits && next < batches.length; i++) produce();
});
