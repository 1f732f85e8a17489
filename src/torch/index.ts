// halite's engine: tensors, autograd and ops over libtorch.
export { Tensor, type Operand, type Dims, type IndexSpec } from './tensor.js';
export * from './creation.js';
export * from './autograd.js';
export * from './runtime.js';
export * from './cpu-features.js';
export { tidy, keep, dispose, scopeDepth } from './scope.js';
export { type DType, type Device, type MemoryFormat, type TypedArray, BYTES, isFloating } from './dtype.js';
export * as F from './functional.js';
