// An epoch's progress for whoever watches: a terminal bar (cli-progress), quiet when stderr is not a
// terminal so logs and CI stay clean, and the run's progress.json, which `halite serve` streams to
// the browser, at most once a second.
import cliProgress from 'cli-progress';
import { writeProgress } from '../../run/progress.js';
import type { Callback, TrainContext } from './callback.js';

/** How often progress.json is rewritten; the browser needs no more. */
const FILE_INTERVAL_MS = 1000;

export class ProgressReporter implements Callback {
  readonly name = 'progressReporter';
  private bar: cliProgress.SingleBar | null = null;
  private t0 = 0;
  private lastWrite = -Infinity;

  onEpochStart(ctx: TrainContext): void {
    const epoch = ctx.state.epoch + 1;
    this.t0 = performance.now();
    // -Infinity, not 0: performance.now() counts from process start, so 0 would hold back the
    // first write of a young process (a short run, or a test) for up to FILE_INTERVAL_MS.
    this.lastWrite = -Infinity;
    if (process.stderr.isTTY !== true) return;
    this.bar = new cliProgress.SingleBar({
      format: `epoch ${epoch}/${ctx.totalEpochs} |{bar}| {value}/{total} batches | loss {loss} | {rate} img/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(ctx.batchesPerEpoch, ctx.state.batch, { loss: '-', rate: '-' });
  }

  onBatchEnd(ctx: TrainContext, batch: number): void {
    const now = performance.now();
    const st = ctx.state;
    const loss = st.lossSum / st.lossCount;
    const rate = (batch * ctx.config.batchSize * ctx.worldSize) / ((now - this.t0) / 1000);
    this.bar?.update(batch, { loss: loss.toFixed(4), rate: rate.toFixed(1) });
    if (now - this.lastWrite >= FILE_INTERVAL_MS || batch === ctx.batchesPerEpoch) {
      this.lastWrite = now;
      writeProgress(ctx.run, { epoch: st.epoch + 1, epochs: ctx.totalEpochs, batch, batches: ctx.batchesPerEpoch, loss, imagesPerSecond: rate, lr: ctx.optimizer.lr, time: new Date().toISOString() });
    }
  }

  onEpochEnd(): void { this.stop(); }
  onTrainEnd(): void { this.stop(); }

  private stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
