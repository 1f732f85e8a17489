// A terminal progress bar for an epoch (cli-progress): batch, ETA, running loss, throughput.
// Quiet when stderr is not a terminal, so logs and CI stay clean.
import cliProgress from 'cli-progress';

export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private t0 = 0;
  constructor(private readonly batches: number, private readonly batchSize: number, private readonly enabled = process.stderr.isTTY === true) {}

  start(epoch: number, epochs: number): void {
    if (!this.enabled) return;
    this.t0 = performance.now();
    this.bar = new cliProgress.SingleBar({
      format: `epoch ${epoch}/${epochs} |{bar}| {value}/{total} batches | loss {loss} | {rate} img/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(this.batches, 0, { loss: '-', rate: '-' });
  }

  update(done: number, loss: number): void {
    if (!this.bar) return;
    const rate = (done * this.batchSize) / ((performance.now() - this.t0) / 1000);
    this.bar.update(done, { loss: loss.toFixed(4), rate: rate.toFixed(1) });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
