export { Optimizer, type OptimizerLike, type OptimizerState, type ParamGroup, type GroupOptions } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { StepLR, ReduceLROnPlateau, CosineAnnealingWarmRestarts, type PlateauOptions } from './schedule.js';
