export * from './safetensors.js';
export * from './weights.js';
export { tempPath, writeFileAtomic } from './atomic.js';
export { makeFolders } from './folders.js';
