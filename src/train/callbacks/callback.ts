// The training loop's extension points, after Lightning's Callback and Keras' callbacks: one behaviour
// per class, called at fixed points of the loop, with its own state saved in the checkpoint so that a
// resumed run restores it.
import type { Module } from '../../nn/module.js';
import type { OptimizerLike } from '../../optim/optimizer.js';
import type { TrainConfig } from '../../run/config.js';
import type { EpochRecord } from '../../run/history.js';
import type { StopReason } from '../../run/status.js';
import type { Tensor } from '../../torch/index.js';

/** Where the loop stands; saved in every checkpoint. */
export interface LoopState {
  /** 0-based index into the config's phases. */
  phase: number;
  /** Epochs completed in this phase. */
  epochInPhase: number;
  /** Epochs completed in the run. */
  epoch: number;
  /** Batches completed in the current, unfinished epoch (0 at an epoch boundary). */
  batch: number;
  /** Running sums of the unfinished epoch's training loss (mean = lossSum / lossCount). */
  lossSum: number;
  lossCount: number;
  /** Training and validation seconds of the completed epochs (the time budget's clock). */
  seconds: number;
  /** Seconds the unfinished epoch trained before an interruption (0 at an epoch boundary), so its record counts them. */
  epochSeconds: number;
}

/** What callbacks see and may ask of the loop. */
export interface TrainContext {
  readonly run: string;
  readonly config: TrainConfig;
  readonly model: Module;
  /** The current phase's optimizer; a new phase gets a new one (the write-up's recompile). */
  readonly optimizer: OptimizerLike;
  readonly state: Readonly<LoopState>;
  /** Epochs the run will have: the configured ones, or (budget "shape") those its plan now expects. */
  readonly totalEpochs: number;
  /** Seconds on the training clock since the epoch under way (or its resumed part) began. */
  readonly epochSeconds: number;
  readonly batchesPerEpoch: number;
  /** Processes training the run together (data parallelism; 1 alone): a step takes batchSize × worldSize tiles. */
  readonly worldSize: number;
  /** Validation tiles: images N×101×101 float32, masks uint8. */
  readonly val: { images: Float32Array; masks: Uint8Array };
  /** The best weights' flip-TTA predictions of `val` when the ranks of a data-parallel run made them together (at the end of training). */
  readonly valPredictions?: { probs: Float32Array; salt: Float32Array | null };
  log(line: string): void;
  /**
   * Asks the loop to stop with a checkpoint. 'interrupted' stops after the current batch; the others at
   * the end of the epoch, and only when epochs remain (a run that is done has finished).
   */
  stop(reason: Exclude<StopReason, 'finished'>, signal?: 'SIGINT' | 'SIGTERM'): void;
  /** Ends the current phase after this epoch (early stopping). */
  endPhase(): void;
  /** Does this epoch complete the run (its last phase's last epoch, or an ended last phase)? */
  finalEpoch(): boolean;
}

/** How training ended, filled in by the loop and by callbacks (TuneAfterFit sets the threshold). */
export interface TrainOutcome {
  stopped: StopReason;
  signal?: 'SIGINT' | 'SIGTERM';
  /** The error that ended training, if one did; callbacks see it before it is rethrown. */
  error?: Error;
  threshold: number;
  thresholdScore: number;
}

/**
 * A training callback. Every hook is optional. `name` keys its state in the checkpoint, so it is unique
 * among a run's callbacks; a callback with state implements both `stateDict` and `loadStateDict`
 * (the state must be JSON).
 */
export interface Callback {
  readonly name: string;
  /** After setup (data, model, optimizer, a resumed checkpoint), before the first batch. */
  onTrainStart?(ctx: TrainContext): void;
  onEpochStart?(ctx: TrainContext): void;
  /** After the optimizer step of a batch of `size` tiles (`batch` counted from 1 in the epoch), or after a non-finite loss, which skips the step. */
  onBatchEnd?(ctx: TrainContext, batch: number, loss: number, size: number): void;
  /** After validation; `ctx.state` already counts the epoch. Callbacks run in order and may edit `r` for later ones (BestCheckpoint sets `best`). */
  onEpochEnd?(ctx: TrainContext, r: EpochRecord): void;
  /** Once, however training ended (also on error, with `outcome.error` set). */
  onTrainEnd?(ctx: TrainContext, outcome: TrainOutcome): void;
  stateDict?(): unknown;
  loadStateDict?(state: unknown): void;
  /** Tensors to save in the checkpoint besides the JSON state (as `extra.<name>.<key>`; see loadCheckpointExtra to read them back on resume). */
  tensorState?(): ReadonlyMap<string, Tensor>;
}

export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
  }
}
