// Data-parallel building blocks over PyTorch's c10d (Gloo): process groups, torchrun's environment,
// DistributedDataParallel's state broadcast and bucketed gradient averaging, SyncBatchNorm's statistics.
export { ProcessGroup, DEFAULT_TIMEOUT_MS, GLOO_DTYPES, type ProcessGroupOptions, type Rendezvous, type GlooDevice, type ReduceOp } from './process-group.js';
export { readLaunchEnv, initProcessGroup, type LaunchEnv, type InitOptions } from './launch-env.js';
export { averageGradients, broadcastState, planBuckets, DEFAULT_BUCKET_BYTES } from './gradients.js';
export { shardRange, allreduceNumbers, gatherBytes, packParts, unpackParts } from './collect.js';
export { syncBatchNorm, type SyncBatchNormOptions } from './sync-batchnorm.js';
