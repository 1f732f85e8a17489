// Learning-rate schedules with torch.optim.lr_scheduler's formulas. Each one sets optimizer.lr.

/** What a schedule needs of an optimizer. */
export interface HasLr { lr: number }

/** lr = base · gamma^floor(epoch / stepSize); call step() once per epoch. */
export class StepLR {
  private epoch = 0;
  readonly baseLr: number;
  constructor(private readonly opt: HasLr, readonly stepSize: number, readonly gamma = 0.1) {
    if (!(stepSize >= 1)) throw new RangeError(`stepSize must be >= 1, got ${stepSize}`);
    this.baseLr = opt.lr;
  }
  step(): number {
    this.epoch += 1;
    this.opt.lr = this.baseLr * this.gamma ** Math.floor(this.epoch / this.stepSize);
    return this.opt.lr;
  }
  stateDict(): { epoch: number } { return { epoch: this.epoch }; }
  loadStateDict(s: { epoch: number }): void { this.epoch = s.epoch; }
}

export interface PlateauOptions {
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLr: number;
  /** Reductions smaller than this are skipped, as in PyTorch. */
  eps: number;
}

interface PlateauState { best: number; badEpochs: number; cooldownLeft: number }

/** Multiplies lr by factor when the watched metric has not improved for `patience` epochs. */
export class ReduceLROnPlateau {
  readonly o: PlateauOptions;
  private s: PlateauState;
  constructor(private readonly opt: HasLr, o: Partial<PlateauOptions> = {}) {
    this.o = { mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, minLr: 0, eps: 1e-8, ...o };
    if (!(this.o.factor < 1 && this.o.factor > 0)) throw new RangeError(`factor must be in (0, 1), got ${this.o.factor}`);
    this.s = { best: this.o.mode === 'min' ? Infinity : -Infinity, badEpochs: 0, cooldownLeft: 0 };
  }

  private better(a: number, best: number): boolean {
    const { mode, thresholdMode: tm, threshold: th } = this.o;
    if (mode === 'min') return tm === 'rel' ? a < best * (1 - th) : a < best - th;
    return tm === 'rel' ? a > best * (1 + th) : a > best + th;
  }

  /** Feeds one epoch's metric; returns true when the learning rate was reduced. */
  step(metric: number): boolean {
    if (this.better(metric, this.s.best)) { this.s.best = metric; this.s.badEpochs = 0; }
    else this.s.badEpochs += 1;
    if (this.s.cooldownLeft > 0) { this.s.cooldownLeft -= 1; this.s.badEpochs = 0; }
    if (this.s.badEpochs > this.o.patience) {
      this.s.cooldownLeft = this.o.cooldown;
      this.s.badEpochs = 0;
      const old = this.opt.lr;
      const next = Math.max(old * this.o.factor, this.o.minLr);
      if (old - next > this.o.eps) { this.opt.lr = next; return true; }
    }
    return false;
  }
  stateDict(): PlateauState { return { ...this.s }; }
  loadStateDict(s: PlateauState): void { this.s = { ...s }; }
}

/**
 * SGDR (Loshchilov & Hutter): lr = etaMin + (base − etaMin)(1 + cos(π·Tcur/Ti))/2, restarting
 * every Ti epochs with Ti multiplied by tMult after each restart. step(epoch) takes fractional
 * epochs for per-batch updates.
 */
export class CosineAnnealingWarmRestarts {
  readonly baseLr: number;
  private tCur = 0;
  private tI: number;
  /** Completed cycles; a snapshot callback saves weights when this grows. */
  cycle = 0;
  private lastEpoch = 0;

  constructor(private readonly opt: HasLr, readonly t0: number, readonly tMult = 1, readonly etaMin = 0) {
    if (!(t0 >= 1 && Number.isInteger(t0))) throw new RangeError(`T0 must be a positive integer, got ${t0}`);
    if (!(tMult >= 1 && Number.isInteger(tMult))) throw new RangeError(`T_mult must be an integer >= 1, got ${tMult}`);
    this.baseLr = opt.lr;
    this.tI = t0;
  }

  /** Advances to `epoch` (default: one more epoch) and sets the learning rate. */
  step(epoch?: number): number {
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur += 1;
      if (this.tCur >= this.tI) { this.tCur -= this.tI; this.tI *= this.tMult; this.cycle += 1; }
    } else {
      if (epoch < 0) throw new RangeError(`epoch must be >= 0, got ${epoch}`);
      if (epoch >= this.t0) {
        if (this.tMult === 1) {
          this.cycle = Math.floor(epoch / this.t0);
          this.tCur = epoch % this.t0;
          this.tI = this.t0;
        } else {
          const n = Math.floor(Math.log(epoch / this.t0 * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.cycle = n;
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.cycle = 0;
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = epoch;
    this.opt.lr = this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2;
    return this.opt.lr;
  }
  stateDict(): { tCur: number; tI: number; cycle: number; lastEpoch: number } {
    return { tCur: this.tCur, tI: this.tI, cycle: this.cycle, lastEpoch: this.lastEpoch };
  }
  loadStateDict(s: { tCur: number; tI: number; cycle: number; lastEpoch: number }): void {
    Object.assign(this, { tCur: s.tCur, tI: s.tI, cycle: s.cycle, lastEpoch: s.lastEpoch });
  }
}
