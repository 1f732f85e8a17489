// Process-wide libtorch state: seeds and generator state, threads, devices, build facts.
import { existsSync, readFileSync } from 'node:fs';
import type { NativeBuildInfo } from './native-api.js';
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

export interface BuildInfo extends NativeBuildInfo {
  /** The instruction set libtorch's CPU kernels dispatch to, e.g. AVX2. */
  cpuCapability: string;
}

export function buildInfo(): BuildInfo {
  const raw = native.buildInfo();
  const m = /CPU capability usage:\s*(\S+)/.exec(raw.config);
  return { ...raw, cpuCapability: m?.[1] ?? 'unknown' };
}

/** How many native tensors are alive (not yet disposed or collected): a leak detector for tests. */
export function liveTensors(): number { return native.liveTensors(); }

export interface BlasInUse {
  /** What serves libtorch's BLAS calls: "OpenBLAS (openmp)", "reference BLAS (Netlib)", "MKL", or "built into libtorch". */
  name: string;
  /** Where it was loaded from, when it is a shared library. */
  path?: string;
  /** Netlib's unoptimized BLAS: Debian's libtorch falls back to BLAS for transposed convolutions, which then take half of a training step. */
  slow: boolean;
}

/** Which BLAS this process has loaded, read from its memory maps (Linux); libtorch does not report it. */
export function blasInUse(maps = existsSync('/proc/self/maps') ? readFileSync('/proc/self/maps', 'utf8') : ''): BlasInUse {
  const paths = [...new Set(maps.split('\n').map((l) => l.trim().split(/\s+/)[5] ?? '').filter((p) => p.startsWith('/')))];
  // Debian's Netlib build lives in blas/; OpenBLAS's own libblas.so.3 lives in openblas-*/. When Netlib's is
  // mapped at all, libtorch's BLAS calls may resolve to it, so it is reported even beside OpenBLAS.
  const netlib = paths.find((p) => /\/blas\/libblas\.so/.test(p));
  if (netlib) return { name: 'reference BLAS (Netlib)', path: netlib, slow: true };
  const openblas = paths.find((p) => /\/libopenblas[^/]*\.so/.test(p));
  if (openblas) {
    const variant = /\/openblas-(\w+)\//.exec(openblas)?.[1];
    return { name: `OpenBLAS${variant ? ` (${variant})` : ''}`, path: openblas, slow: false };
  }
  const mkl = paths.find((p) => /\/libmkl_\w+\.so/.test(p));
  if (mkl) return { name: 'MKL', path: mkl, slow: false };
  const blis = paths.find((p) => /\/libblis[^/]*\.so/.test(p));
  if (blis) return { name: 'BLIS', path: blis, slow: false };
  return { name: 'built into libtorch', slow: false };
}

/** The fix for a slow BLAS, in one line for doctor and train to print. */
export const BLAS_ADVICE = 'the reference BLAS halves training speed; install OpenBLAS (apt-get install libopenblas0-openmp, as scripts/setup.sh does) or select it (update-alternatives --config libblas.so.3-x86_64-linux-gnu)';
