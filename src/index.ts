// halite's library entry: the engine and everything built on it.
export * as torch from './torch/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as distributed from './distributed/index.js';
export * as io from './io/index.js';
export { ResUNet, RESUNET_DEFAULTS, type ResUNetOptions } from './models/resunet.js';
export { UNet, UNET_DEFAULTS, type UNetOptions } from './models/unet.js';
export { createModel, listModels, registerModel } from './models/registry.js';
export * as losses from './losses/index.js';
export { train, TrainingError, type TrainHooks, type TrainResult } from './train/trainer.js';
export * as callbacks from './train/callbacks/index.js';
export { readRunConfig, resolveConfig, DEFAULT_CONFIG, type TrainConfig } from './run/config.js';
export { readHistory, type EpochRecord } from './run/history.js';
export { runStatus } from './run/status.js';
export { loadRun } from './infer/run.js';
export { exportOnnx, exportRunOnnx, type OnnxExportOptions, type OnnxModel } from './export/onnx.js';
