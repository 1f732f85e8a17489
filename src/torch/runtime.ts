// Process-wide libtorch state: seeds and generator state, threads, devices, build facts.
import { native } from './native.js';
import { Tensor, wrap } from './tensor.js';

/** Seeds the global generator (CPU and every CUDA device) so runs repeat exactly. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}
/** The CPU generator's full state (a uint8 tensor), for exact resume. */
export function getRngState(): Tensor { return wrap(native.getRngState()); }
export function setRngState(state: Tensor): void { native.setRngState(state.handle); }

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`thread count must be a positive integer, got ${n}`);
  native.setNumThreads(n);
}
export function getNumThreads(): number { return native.getNumThreads(); }

export function cudaDeviceCount(): number { return native.cudaDeviceCount(); }
export function cudaIsAvailable(): boolean { return cudaDeviceCount() > 0; }

export interface BuildInfo {
  version: string;
  library: string;
  config: string;
  parallel: string;
  cudaCompiled: boolean;
  cudaConfig: string;
  mkldnn: boolean;
  /** The instruction set libtorch's CPU kernels dispatch to, e.g. AVX2. */
  cpuCapability: string;
}

export function buildInfo(): BuildInfo {
  const raw = native.buildInfo() as Omit<BuildInfo, 'cpuCapability'>;
  const m = /CPU capability usage:\s*(\S+)/.exec(raw.config);
  return { ...raw, cpuCapability: m?.[1] ?? 'unknown' };
}

/** How many native tensors are alive (not yet disposed or collected): a leak detector for tests. */
export function liveTensors(): number { return native.liveTensors(); }
