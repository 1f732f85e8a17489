export * from './safetensors.js';
export * from './weights.js';
export { writeFileAtomic } from './atomic.js';
