// An epoch's progress for whoever watches: a terminal bar (cli-progress); when stderr is not a terminal
// (a log file, a pipe, CI) a plain line every half minute instead, so a long epoch is not silence; and
// the run's progress.json, which `halite serve` streams to the browser, at most once a second.
import cliProgress from 'cli-progress';
import { writeProgress } from '../../run/progress.js';
import type { Callback, TrainContext } from './callback.js';

/** How often progress.json is rewritten; the browser needs no more. */
const FILE_INTERVAL_MS = 1000;
/** How often a plain progress line goes to a stderr that is not a terminal: often enough to show life, rarely enough for a log. */
const LINE_INTERVAL_MS = 30_000;

export interface ProgressOptions {
  /** The clock in ms (performance.now). */
  now?: () => number;
  /** Where plain progress lines go instead of a bar; default: stderr when it is not a terminal, else a bar. */
  lines?: (line: string) => void;
}

export class ProgressReporter implements Callback {
  readonly name = 'progressReporter';
  private readonly now: () => number;
  private readonly lines: ((line: string) => void) | null;
  private bar: cliProgress.SingleBar | null = null;
  private t0 = 0;
  private lastWrite = -Infinity;
  private lastLine = 0;
  /** The batch the epoch (re)started at: a resumed epoch's earlier batches took no time here. */
  private firstBatch = 0;

  constructor(o: ProgressOptions = {}) {
    this.now = o.now ?? (() => performance.now());
    this.lines = o.lines ?? (process.stderr.isTTY === true ? null : (line) => process.stderr.write(`${line}\n`));
  }

  onEpochStart(ctx: TrainContext): void {
    const epoch = ctx.state.epoch + 1;
    this.t0 = this.now();
    // -Infinity, not 0: performance.now() counts from process start, so 0 would hold back the
    // first write of a young process (a short run, or a test) for up to FILE_INTERVAL_MS.
    this.lastWrite = -Infinity;
    this.lastLine = this.t0;
    this.firstBatch = ctx.state.batch;
    if (this.lines) return;
    this.bar = new cliProgress.SingleBar({
      format: `epoch ${epoch}/${ctx.totalEpochs} |{bar}| {value}/{total} batches | loss {loss} | {rate} img/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(ctx.batchesPerEpoch, ctx.state.batch, { loss: '-', rate: '-' });
  }

  onBatchEnd(ctx: TrainContext, batch: number): void {
    const now = this.now();
    const st = ctx.state;
    const loss = st.lossSum / st.lossCount;
    const rate = ((batch - this.firstBatch) * ctx.config.batchSize * ctx.worldSize) / ((now - this.t0) / 1000);
    this.bar?.update(batch, { loss: loss.toFixed(4), rate: rate.toFixed(1) });
    if (this.lines && now - this.lastLine >= LINE_INTERVAL_MS && batch < ctx.batchesPerEpoch) {
      this.lastLine = now;
      const eta = ((ctx.batchesPerEpoch - batch) * ctx.config.batchSize * ctx.worldSize) / rate;
      this.lines(`epoch ${st.epoch + 1}/${ctx.totalEpochs}: ${batch}/${ctx.batchesPerEpoch} batches, loss ${loss.toFixed(4)}, ${rate.toFixed(1)} img/s, ${Math.round(eta)} s to go`);
    }
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
