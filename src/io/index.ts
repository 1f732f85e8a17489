export * from './safetensors.js';
export * from './weights.js';
export { tempPath, writeFileAtomic } from './atomic.js';
