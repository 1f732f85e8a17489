// An epoch's progress for whoever watches: a terminal bar (cli-progress), quiet when stderr is not a
// terminal so logs and CI stay clean, and a small progress.json in the run directory that
// `halite serve` streams to the browser.
import cliProgress from 'cli-progress';
import { writeFileAtomic } from '../io/atomic.js';

export interface ProgressSnapshot {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
  lr: number;
  time: string;
}

/** How often progress.json is rewritten; the browser needs no more. */
const FILE_INTERVAL_MS = 1000;

export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private t0 = 0;
  private epoch = 0;
  private epochs = 0;
  private lastWrite = 0;
  constructor(private readonly batches: number, private readonly batchSize: number, private readonly o: { file?: string } = {}) {}

  start(epoch: number, epochs: number): void {
    this.t0 = performance.now();
    this.epoch = epoch;
    this.epochs = epochs;
    this.lastWrite = 0;
    if (process.stderr.isTTY !== true) return;
    this.bar = new cliProgress.SingleBar({
      format: `epoch ${epoch}/${epochs} |{bar}| {value}/{total} batches | loss {loss} | {rate} img/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(this.batches, 0, { loss: '-', rate: '-' });
  }

  update(done: number, loss: number, lr: number): void {
    const now = performance.now();
    const rate = (done * this.batchSize) / ((now - this.t0) / 1000);
    this.bar?.update(done, { loss: loss.toFixed(4), rate: rate.toFixed(1) });
    if (this.o.file && (now - this.lastWrite >= FILE_INTERVAL_MS || done === this.batches)) {
      this.lastWrite = now;
      const snap: ProgressSnapshot = { epoch: this.epoch, epochs: this.epochs, batch: done, batches: this.batches, loss, imagesPerSecond: rate, lr, time: new Date().toISOString() };
      writeFileAtomic(this.o.file, JSON.stringify(snap) + '\n');
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
