export { Module, StateDictError, sameShape, type AnyModule, type StateDict } from './module.js';
export * from './layers.js';
export * as init from './init.js';
