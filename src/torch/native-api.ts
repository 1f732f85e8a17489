// The addon's declared surface, as tch-rs's torch_api.h declares libtch's: one signature per op.
import type { DType, Device, MemoryFormat, TypedArray } from './dtype.js';

/** An opaque reference to one at::Tensor in the addon's slot table (generation << 32 | slot). */
export type NativeHandle = bigint;

/** What `Args::ints` reads: one integer, or an array of them (sizes, dims, strides, paddings). */
export type Ints = number | readonly number[];
/** What `Args::scalar` reads: a JS number (integral values become integer scalars) or a boolean. */
export type Scalar = number | boolean;
/** A tensor or a scalar, for the binary ops whose second operand may be either (`Args::isNumber`). */
export type HandleOrScalar = NativeHandle | Scalar;
/** The reductions of libtorch's loss functions. */
export type NativeReduction = 'none' | 'mean' | 'sum';

/** Process-group backends by c10d's names; only 'gloo' is bound (a CPU libtorch has no NCCL). */
export type NativeBackend = 'gloo' | 'nccl';
/** c10d reduce ops that Gloo runs (Gloo in libtorch 1.13 refuses AVG: src/distributed sums, then divides). */
export type NativeReduceOp = 'sum' | 'product' | 'min' | 'max';
/** How Gloo picks its network device: by interface name, by a host name or address to bind, or c10d's default (the hostname's address). */
export type NativeGlooDevice = 'interface' | 'hostname' | 'default';

/** What `buildInfo()` returns: facts of the libtorch this addon was built against and loaded. */
export interface NativeBuildInfo {
  /** TORCH_VERSION, e.g. "1.13.0". */
  version: string;
  /** The loaded libtorch_cpu's path, as the dynamic loader reports it. */
  library: string;
  /** at::show_config(). */
  config: string;
  /** at::get_parallel_info(). */
  parallel: string;
  cudaCompiled: boolean;
  /** The CUDA hooks' configuration, or "" without CUDA. */
  cudaConfig: string;
  mkldnn: boolean;
}

/**
 * Every function the Node-API addon (build/Release/halite_torch.node) exports, with its arguments
 * and result as the C++ reads and returns them.
 *
 * The ops are registered with `DEF(name)` in `RegisterCore` (native/core.cc), `RegisterMath`
 * (native/math.cc), `RegisterNN` (native/nn.cc) and `RegisterDistributed` (native/distributed.cc); `Args` in native/binding.h converts the
 * arguments: a Tensor is a `NativeHandle`, `ints` an `Ints`, `scalar` a `Scalar`, `dtype` a
 * `DType` string and `device` a `Device` string. An argument that the C++ reads with `a.has(i)`
 * first is optional here and may be null. A `NativeHandle` result is a new slot: its caller owns it
 * and must wrap it in a Tensor (tensor.ts `wrap`) or `release` it.
 *
 * test/native-surface.test.ts keeps this interface in step with the C++: the member names read from
 * this file must equal both the `DEF(...)` names in native/*.cc and `Object.keys` of the loaded
 * addon, and each member's parameter count must equal the highest argument index its C++ body
 * reads, plus one. Adding an op means a `DEF` line, a C++ function and a member here.
 */
export interface NativeBinding {
  // --- lifetime (core.cc) -------------------------------------------------------------------------
  /** Frees a handle's slot; false when it was already released (disposed or stale). */
  release(t: NativeHandle): boolean;
  /** How many slots hold a tensor. */
  liveTensors(): number;

  // --- creation (core.cc) -------------------------------------------------------------------------
  /** Copies a typed array (not over a SharedArrayBuffer) into a new CPU tensor; its byte length must fit shape and dtype. */
  fromBuffer(data: TypedArray, shape: Ints, dtype: DType): NativeHandle;
  /** The elements in row-major order, copied to a new ArrayBuffer (detached, on the CPU, contiguous). */
  toBuffer(t: NativeHandle): ArrayBuffer;
  zeros(shape: Ints, dtype: DType, device: Device): NativeHandle;
  ones(shape: Ints, dtype: DType, device: Device): NativeHandle;
  empty(shape: Ints, dtype: DType, device: Device): NativeHandle;
  full(shape: Ints, value: Scalar, dtype: DType, device: Device): NativeHandle;
  rand(shape: Ints, dtype: DType, device: Device): NativeHandle;
  randn(shape: Ints, dtype: DType, device: Device): NativeHandle;
  randint(low: number, high: number, shape: Ints, dtype: DType, device: Device): NativeHandle;
  randperm(n: number, dtype: DType, device: Device): NativeHandle;
  arange(start: Scalar, end: Scalar, step: Scalar, dtype: DType, device: Device): NativeHandle;
  /** Fills t in place, and returns a second handle on t (which the caller must release). */
  uniform_(t: NativeHandle, from: number, to: number): NativeHandle;
  /** Fills t in place, and returns a second handle on t (which the caller must release). */
  normal_(t: NativeHandle, mean: number, std: number): NativeHandle;

  // --- properties (core.cc) -----------------------------------------------------------------------
  shape(t: NativeHandle): number[];
  strides(t: NativeHandle): number[];
  /** One of DType's names (tensors of other scalar types cannot be made through this surface). */
  dtype(t: NativeHandle): DType;
  /** at::Device::str(), e.g. "cpu" or "cuda:0". */
  device(t: NativeHandle): string;
  numel(t: NativeHandle): number;
  /** The one element: a boolean for bool tensors, else a number. */
  item(t: NativeHandle): number | boolean;
  /** Only "channelsLast" selects that format; anything else (or nothing) asks for row-major. */
  isContiguous(t: NativeHandle, format?: MemoryFormat | null): boolean;
  /** Whether a and b share storage (at::Tensor::is_alias_of). */
  sameStorage(a: NativeHandle, b: NativeHandle): boolean;

  // --- autograd (core.cc) -------------------------------------------------------------------------
  requiresGrad(t: NativeHandle): boolean;
  setRequiresGrad(t: NativeHandle, requiresGrad: boolean): void;
  isLeaf(t: NativeHandle): boolean;
  /** A new handle on t's gradient, or null before any backward(). */
  grad(t: NativeHandle): NativeHandle | null;
  /** Sets t's gradient; null clears it. */
  setGrad(t: NativeHandle, grad?: NativeHandle | null): void;
  backward(t: NativeHandle, gradient?: NativeHandle | null, retainGraph?: boolean | null): void;
  detach(t: NativeHandle): NativeHandle;
  /** Swaps t's data for src's, keeping t's identity (param.data = src). */
  setData(t: NativeHandle, src: NativeHandle): void;
  /** Sets grad mode; returns the previous mode. */
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  /** Enters an autocast region on "cpu" (any other string) or "cuda"; returns whether it was on before. */
  autocastEnter(device: 'cpu' | 'cuda', dtype: DType): boolean;
  /** Leaves an autocast region, restoring the state autocastEnter returned. */
  autocastExit(device: 'cpu' | 'cuda', previous: boolean): void;

  // --- runtime (core.cc) --------------------------------------------------------------------------
  /** Seeds the default generators; the seed is read as a double, so it must be a safe integer. */
  manualSeed(seed: number): void;
  /** The CPU generator's state as a uint8 tensor. */
  getRngState(): NativeHandle;
  setRngState(state: NativeHandle): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  cudaDeviceCount(): number;
  buildInfo(): NativeBuildInfo;

  // --- layout (math.cc) ---------------------------------------------------------------------------
  reshape(t: NativeHandle, shape: Ints): NativeHandle;
  view(t: NativeHandle, shape: Ints): NativeHandle;
  permute(t: NativeHandle, dims: Ints): NativeHandle;
  transpose(t: NativeHandle, dim0: number, dim1: number): NativeHandle;
  /** Without dim, drops every size-1 dim. */
  squeeze(t: NativeHandle, dim?: number | null): NativeHandle;
  unsqueeze(t: NativeHandle, dim: number): NativeHandle;
  expand(t: NativeHandle, shape: Ints): NativeHandle;
  repeat(t: NativeHandle, times: Ints): NativeHandle;
  flatten(t: NativeHandle, startDim: number, endDim: number): NativeHandle;
  contiguous(t: NativeHandle, format?: MemoryFormat | null): NativeHandle;
  clone(t: NativeHandle): NativeHandle;
  /** Converts; a null dtype or device keeps t's, a null format keeps the layout (at::Tensor::to's default). */
  to(t: NativeHandle, dtype: DType | null, device: Device | null, format?: MemoryFormat | null): NativeHandle;
  slice(t: NativeHandle, dim: number, start: number, end: number, step: number): NativeHandle;
  select(t: NativeHandle, dim: number, index: number): NativeHandle;
  narrow(t: NativeHandle, dim: number, start: number, length: number): NativeHandle;
  indexSelect(t: NativeHandle, dim: number, index: NativeHandle): NativeHandle;
  maskedSelect(t: NativeHandle, mask: NativeHandle): NativeHandle;
  maskedFill(t: NativeHandle, mask: NativeHandle, value: Scalar): NativeHandle;
  gather(t: NativeHandle, dim: number, index: NativeHandle): NativeHandle;
  scatter(t: NativeHandle, dim: number, index: NativeHandle, src: NativeHandle): NativeHandle;
  cat(tensors: readonly NativeHandle[], dim: number): NativeHandle;
  stack(tensors: readonly NativeHandle[], dim: number): NativeHandle;
  flip(t: NativeHandle, dims: Ints): NativeHandle;
  roll(t: NativeHandle, shifts: Ints, dims: Ints): NativeHandle;
  chunk(t: NativeHandle, chunks: number, dim: number): NativeHandle[];
  /** at::split_with_sizes: one piece per size. */
  split(t: NativeHandle, sizes: Ints, dim: number): NativeHandle[];
  nonzero(t: NativeHandle): NativeHandle;
  /** pads lists (left, right) for the last dim first, as torch.nn.functional.pad; value only for "constant" (default 0). */
  pad(t: NativeHandle, pads: Ints, mode: 'constant' | 'reflect' | 'replicate', value?: Scalar | null): NativeHandle;

  // --- elementwise (math.cc) ----------------------------------------------------------------------
  /** t + alpha * other (alpha defaults to 1). */
  add(t: NativeHandle, other: HandleOrScalar, alpha?: Scalar | null): NativeHandle;
  /** t - alpha * other (alpha defaults to 1). */
  sub(t: NativeHandle, other: HandleOrScalar, alpha?: Scalar | null): NativeHandle;
  /** other - t. */
  rsub(t: NativeHandle, other: Scalar): NativeHandle;
  mul(t: NativeHandle, other: HandleOrScalar): NativeHandle;
  div(t: NativeHandle, other: HandleOrScalar): NativeHandle;
  pow(t: NativeHandle, exponent: HandleOrScalar): NativeHandle;
  eq(t: NativeHandle, other: HandleOrScalar): NativeHandle;
  ne(t: NativeHandle, other: HandleOrScalar): NativeHandle;
  lt(t: NativeHandle, other: HandleOrScalar): NativeHandle;
  le(t: NativeHandle, other: HandleOrScalar): NativeHandle;
  gt(t: NativeHandle, other: HandleOrScalar): NativeHandle;
  ge(t: NativeHandle, other: HandleOrScalar): NativeHandle;
  fmod(t: NativeHandle, other: HandleOrScalar): NativeHandle;
  maximum(t: NativeHandle, other: NativeHandle): NativeHandle;
  minimum(t: NativeHandle, other: NativeHandle): NativeHandle;
  logicalAnd(t: NativeHandle, other: NativeHandle): NativeHandle;
  logicalOr(t: NativeHandle, other: NativeHandle): NativeHandle;
  logicalNot(t: NativeHandle): NativeHandle;
  neg(t: NativeHandle): NativeHandle;
  abs(t: NativeHandle): NativeHandle;
  exp(t: NativeHandle): NativeHandle;
  log(t: NativeHandle): NativeHandle;
  log1p(t: NativeHandle): NativeHandle;
  sqrt(t: NativeHandle): NativeHandle;
  rsqrt(t: NativeHandle): NativeHandle;
  sigmoid(t: NativeHandle): NativeHandle;
  tanh(t: NativeHandle): NativeHandle;
  relu(t: NativeHandle): NativeHandle;
  sign(t: NativeHandle): NativeHandle;
  floor(t: NativeHandle): NativeHandle;
  ceil(t: NativeHandle): NativeHandle;
  round(t: NativeHandle): NativeHandle;
  isnan(t: NativeHandle): NativeHandle;
  isfinite(t: NativeHandle): NativeHandle;
  /** alpha defaults to 1. */
  elu(t: NativeHandle, alpha?: Scalar | null): NativeHandle;
  leakyRelu(t: NativeHandle, negativeSlope: Scalar): NativeHandle;
  softmax(t: NativeHandle, dim: number): NativeHandle;
  logSoftmax(t: NativeHandle, dim: number): NativeHandle;
  /** a where cond is true, else b; two numbers give a float tensor. */
  where(cond: NativeHandle, a: HandleOrScalar, b: HandleOrScalar): NativeHandle;
  /** A null bound is no bound. */
  clamp(t: NativeHandle, min?: Scalar | null, max?: Scalar | null): NativeHandle;

  // --- reductions (math.cc) -----------------------------------------------------------------------
  /** Over every element when dims is null (keepdim is then not read). */
  sum(t: NativeHandle, dims: Ints | null, keepdim: boolean): NativeHandle;
  /** Over every element when dims is null (keepdim is then not read). */
  mean(t: NativeHandle, dims: Ints | null, keepdim: boolean): NativeHandle;
  /** Over every element when dims is null (keepdim is then not read); unbiased is always read. */
  var(t: NativeHandle, dims: Ints | null, keepdim: boolean, unbiased: boolean): NativeHandle;
  /** The maximum over every element, or with dim, [values, indices] along it. */
  max(t: NativeHandle): NativeHandle;
  max(t: NativeHandle, dim: number, keepdim: boolean): [NativeHandle, NativeHandle];
  /** The minimum over every element, or with dim, [values, indices] along it. */
  min(t: NativeHandle): NativeHandle;
  min(t: NativeHandle, dim: number, keepdim: boolean): [NativeHandle, NativeHandle];
  amax(t: NativeHandle, dims: Ints, keepdim: boolean): NativeHandle;
  /** Over the flattened tensor when dim is null (keepdim is then not read). */
  argmax(t: NativeHandle, dim: number | null, keepdim: boolean): NativeHandle;
  any(t: NativeHandle): NativeHandle;
  all(t: NativeHandle): NativeHandle;
  cumsum(t: NativeHandle, dim: number): NativeHandle;
  /** [values, indices]. */
  sort(t: NativeHandle, dim: number, descending: boolean): [NativeHandle, NativeHandle];
  argsort(t: NativeHandle, dim: number, descending: boolean): NativeHandle;
  matmul(a: NativeHandle, b: NativeHandle): NativeHandle;
  dot(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** The 2-norm of every element. */
  norm(t: NativeHandle): NativeHandle;
  /** Same shape and elements. */
  equal(a: NativeHandle, b: NativeHandle): boolean;
  allclose(a: NativeHandle, b: NativeHandle, rtol: number, atol: number): boolean;

  // --- in place, no result (math.cc) --------------------------------------------------------------
  /** t += alpha * other (alpha defaults to 1). */
  add_(t: NativeHandle, other: HandleOrScalar, alpha?: Scalar | null): void;
  mul_(t: NativeHandle, other: HandleOrScalar): void;
  div_(t: NativeHandle, other: HandleOrScalar): void;
  /** t += value * a * b. */
  addcmul_(t: NativeHandle, a: NativeHandle, b: NativeHandle, value: Scalar): void;
  /** t += value * a / b. */
  addcdiv_(t: NativeHandle, a: NativeHandle, b: NativeHandle, value: Scalar): void;
  lerp_(t: NativeHandle, end: NativeHandle, weight: Scalar): void;
  sqrt_(t: NativeHandle): void;
  maximum_(t: NativeHandle, other: NativeHandle): void;
  copy_(t: NativeHandle, src: NativeHandle): void;
  zero_(t: NativeHandle): void;
  fill_(t: NativeHandle, value: Scalar): void;
  /** A null bound is no bound. */
  clamp_(t: NativeHandle, min?: Scalar | null, max?: Scalar | null): void;

  // --- network ops, as torch.nn.functional calls them (nn.cc) -------------------------------------
  conv2d(x: NativeHandle, weight: NativeHandle, bias: NativeHandle | null, stride: Ints, padding: Ints, dilation: Ints,
    groups: number): NativeHandle;
  convTranspose2d(x: NativeHandle, weight: NativeHandle, bias: NativeHandle | null, stride: Ints, padding: Ints,
    outputPadding: Ints, groups: number, dilation: Ints): NativeHandle;
  linear(x: NativeHandle, weight: NativeHandle, bias?: NativeHandle | null): NativeHandle;
  /** In training mode it updates runningMean and runningVar in place. */
  batchNorm(x: NativeHandle, weight: NativeHandle | null, bias: NativeHandle | null, runningMean: NativeHandle | null,
    runningVar: NativeHandle | null, training: boolean, momentum: number, eps: number): NativeHandle;
  maxPool2d(x: NativeHandle, kernel: Ints, stride: Ints, padding: Ints, dilation: Ints, ceilMode: boolean): NativeHandle;
  avgPool2d(x: NativeHandle, kernel: Ints, stride: Ints, padding: Ints, ceilMode: boolean, countIncludePad: boolean): NativeHandle;
  adaptiveAvgPool2d(x: NativeHandle, outputSize: Ints): NativeHandle;
  /** The pooled values only (libtorch's indices are dropped). */
  adaptiveMaxPool2d(x: NativeHandle, outputSize: Ints): NativeHandle;
  /** Resizes an NCHW tensor's last two dims to [h, w]; alignCorners is read for "bilinear" only. */
  interpolate(x: NativeHandle, size: Ints, mode: 'nearest' | 'bilinear', alignCorners: boolean): NativeHandle;
  /** theta [N, 2, 3], size [N, C, H, W]. */
  affineGrid(theta: NativeHandle, size: Ints, alignCorners: boolean): NativeHandle;
  gridSample(x: NativeHandle, grid: NativeHandle, mode: 'bilinear' | 'nearest' | 'bicubic',
    paddingMode: 'zeros' | 'border' | 'reflection', alignCorners: boolean): NativeHandle;
  dropout(x: NativeHandle, p: number, training: boolean): NativeHandle;
  /** Zeroes whole channels (at::feature_dropout). */
  dropout2d(x: NativeHandle, p: number, training: boolean): NativeHandle;
  bceWithLogits(logits: NativeHandle, target: NativeHandle, weight: NativeHandle | null, posWeight: NativeHandle | null,
    reduction: NativeReduction): NativeHandle;
  mseLoss(x: NativeHandle, target: NativeHandle, reduction: NativeReduction): NativeHandle;

  // --- process groups over c10d (distributed.cc); src/distributed/ gives them a face ---------------
  /**
   * Rendezvous through a TCPStore (rank 0 hosts it at address:port) or a FileStore (address is its
   * path; port is read but unused), then a Gloo process group on the given device; resolves to the
   * group's id. Waiting for the other ranks is bounded by rendezvousTimeoutMs, each later collective
   * by timeoutMs. Rejects "init (rank R of W): ..." with c10d's words; 'nccl' is refused at once.
   */
  distInit(backend: NativeBackend, store: 'tcp' | 'file', address: string, port: number, rank: number, worldSize: number,
    timeoutMs: number, device: NativeGlooDevice, deviceName: string, rendezvousTimeoutMs: number): Promise<number>;
  /** Reduces each tensor in place across the group (one c10d allreduce per tensor, in list order). */
  distAllreduce(group: number, tensors: readonly NativeHandle[], op: NativeReduceOp): Promise<void>;
  /** Overwrites each tensor with the root rank's (one c10d broadcast per tensor, in list order). */
  distBroadcast(group: number, tensors: readonly NativeHandle[], root: number): Promise<void>;
  /** Resolves once every rank has reached it. */
  distBarrier(group: number): Promise<void>;
  /**
   * A new tensor, the sum of x over the group, that autograd differentiates (backward sums the
   * gradient over the group); blocks the calling thread until every rank has contributed, up to the
   * group's timeout. Throws "allreduce with autograd (rank R of W): ..." with c10d's words.
   */
  distAllreduceSumAutograd(group: number, x: NativeHandle): NativeHandle;
  /** Forgets the group (collectives in flight finish first); false when it was already destroyed. */
  distDestroy(group: number): boolean;
}
