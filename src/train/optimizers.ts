// A phase's optimizer and learning-rate schedule from the config.
import type { Module } from '../nn/module.js';
import { Adam, AdamW } from '../optim/adam.js';
import type { OptimizerLike } from '../optim/optimizer.js';
import { RMSprop } from '../optim/rmsprop.js';
import { CosineAnnealingWarmRestarts } from '../optim/schedule.js';
import { SGD } from '../optim/sgd.js';
import type { OptimizerConfig, PhaseConfig } from '../run/config.js';

/** A fresh optimizer over the model's parameters at learning rate `lr` (AdamW's weight decay defaults to 0.01, as PyTorch's). */
export function makeOptimizer(model: Module, o: OptimizerConfig, lr: number): OptimizerLike {
  const params = model.parameters();
  const wd = o.weightDecay ?? 0;
  switch (o.name) {
    case 'adam': return new Adam(params, { lr, weightDecay: wd });
    case 'adamw': return new AdamW(params, { lr, weightDecay: o.weightDecay ?? 0.01 });
    case 'sgd': return new SGD(params, { lr, momentum: o.momentum ?? 0.9, weightDecay: wd });
    case 'rmsprop': return new RMSprop(params, { lr, momentum: o.momentum ?? 0, weightDecay: wd });
  }
}

/**
 * The phase's cosine schedule (SGDR, Loshchilov & Hutter 2017: `cycles` equal cycles), starting from the
 * phase's learning rate or `baseLr`, which it sets on `opt`; null for a phase without a schedule.
 */
export function cosineFor(phase: PhaseConfig, opt: OptimizerLike, baseLr: number): CosineAnnealingWarmRestarts | null {
  if (!phase.schedule) return null;
  const cycles = phase.schedule.cycles ?? 1;
  opt.lr = phase.lr ?? baseLr;
  return new CosineAnnealingWarmRestarts(opt, phase.epochs / cycles, 1, phase.schedule.minLr ?? 0);
}
