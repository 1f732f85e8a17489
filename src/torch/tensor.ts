// The Tensor: a typed face over one native at::Tensor handle.
import { native, type NativeHandle } from './native.js';
import { track, type Disposable } from './scope.js';
import { arrayFor, type DType, type Device, type MemoryFormat, type TypedArray } from './dtype.js';

export type Operand = Tensor | number;
/** Sizes or dims given spread (`reshape(2, 3)`) or as one array (`reshape([2, 3])`). */
export type Dims = number[] | [number[]];
/** One entry of Tensor.index(): a number selects, [start, end, step] slices, null keeps the dim, a Tensor picks indices. */
export type IndexSpec = number | null | [number?, number?, number?] | Tensor;

const h = (x: Operand): NativeHandle | number => (typeof x === 'number' ? x : x.handle);

// The backstop for tensors nobody disposed: released when their Tensor is garbage collected.
// Tensors inside tidy() are registered only if they outlive the outermost scope, which keeps
// registry churn (and its memory) out of training loops.
const finalizer = new FinalizationRegistry<NativeHandle>((handle) => native.release(handle));

export class Tensor implements Disposable {
  readonly handle: NativeHandle;
  private shape_?: number[];
  private disposed_ = false;
  private registered_ = false;

  constructor(handle: NativeHandle) {
    this.handle = handle;
    if (!track(this)) this.unscoped();
  }

  /** Called when no tidy() scope owns this tensor any more. */
  unscoped(): void {
    if (this.registered_ || this.disposed_) return;
    this.registered_ = true;
    finalizer.register(this, this.handle, this);
  }

  // --- facts --------------------------------------------------------------------------------------
  get shape(): number[] {
    // Shapes never change for a handle (no in-place resize is exposed), so one crossing suffices.
    this.shape_ ??= native.shape(this.handle);
    return this.shape_.slice();
  }
  get ndim(): number { return this.shape.length; }
  get numel(): number { return native.numel(this.handle); }
  get dtype(): DType { return native.dtype(this.handle); }
  get device(): string { return native.device(this.handle); }
  get strides(): number[] { return native.strides(this.handle); }
  size(dim: number): number {
    const s = this.shape;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size(${dim}): tensor has ${s.length} dims`);
    return s[d]!;
  }
  isContiguous(format: MemoryFormat = 'contiguous'): boolean { return native.isContiguous(this.handle, format); }
  get isDisposed(): boolean { return this.disposed_; }
  dispose(): void {
    if (this.disposed_) return;
    this.disposed_ = true;
    if (this.registered_) finalizer.unregister(this);
    native.release(this.handle);
  }
  toString(): string {
    return this.isDisposed ? 'Tensor(disposed)' : `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }

  // --- to JS --------------------------------------------------------------------------------------
  /** A copy of the elements in row-major order, in the typed array of the tensor's dtype. */
  toArray(): TypedArray { return arrayFor(this.dtype, native.toBuffer(this.handle)); }
  /** Elements as plain numbers (int64 converted; precise below 2^53). */
  toNumbers(): number[] { return Array.from(this.toArray() as ArrayLike<number | bigint>, Number); }
  item(): number { return Number(native.item(this.handle)); }

  // --- layout -------------------------------------------------------------------------------------
  reshape(...shape: Dims): Tensor { return wrap(native.reshape(this.handle, flat(shape))); }
  view(...shape: Dims): Tensor { return wrap(native.view(this.handle, flat(shape))); }
  permute(...dims: Dims): Tensor { return wrap(native.permute(this.handle, flat(dims))); }
  transpose(d0: number, d1: number): Tensor { return wrap(native.transpose(this.handle, d0, d1)); }
  squeeze(dim?: number): Tensor { return wrap(native.squeeze(this.handle, dim)); }
  unsqueeze(dim: number): Tensor { return wrap(native.unsqueeze(this.handle, dim)); }
  expand(...shape: Dims): Tensor { return wrap(native.expand(this.handle, flat(shape))); }
  repeat(...times: Dims): Tensor { return wrap(native.repeat(this.handle, flat(times))); }
  flatten(start = 0, end = -1): Tensor { return wrap(native.flatten(this.handle, start, end)); }
  contiguous(format: MemoryFormat = 'contiguous'): Tensor { return wrap(native.contiguous(this.handle, format)); }
  clone(): Tensor { return wrap(native.clone(this.handle)); }
  to(target: DType | Device | { dtype?: DType; device?: Device; memoryFormat?: MemoryFormat }): Tensor {
    const o = typeof target === 'string' ? (isDevice(target) ? { device: target } : { dtype: target as DType }) : target;
    return wrap(native.to(this.handle, o.dtype ?? null, o.device ?? null, o.memoryFormat ?? null));
  }
  float(): Tensor { return this.to('float32'); }
  double(): Tensor { return this.to('float64'); }
  long(): Tensor { return this.to('int64'); }
  slice(dim: number, start = 0, end = Number.MAX_SAFE_INTEGER, step = 1): Tensor {
    return wrap(native.slice(this.handle, dim, start, end, step));
  }
  select(dim: number, index: number): Tensor { return wrap(native.select(this.handle, dim, index)); }
  narrow(dim: number, start: number, length: number): Tensor { return wrap(native.narrow(this.handle, dim, start, length)); }
  indexSelect(dim: number, index: Tensor): Tensor { return wrap(native.indexSelect(this.handle, dim, index.handle)); }
  maskedSelect(mask: Tensor): Tensor { return wrap(native.maskedSelect(this.handle, mask.handle)); }
  maskedFill(mask: Tensor, value: number): Tensor { return wrap(native.maskedFill(this.handle, mask.handle, value)); }
  gather(dim: number, index: Tensor): Tensor { return wrap(native.gather(this.handle, dim, index.handle)); }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor { return wrap(native.scatter(this.handle, dim, index.handle, src.handle)); }
  flip(...dims: Dims): Tensor { return wrap(native.flip(this.handle, flat(dims))); }
  roll(shifts: number[], dims: number[]): Tensor { return wrap(native.roll(this.handle, shifts, dims)); }
  chunk(chunks: number, dim = 0): Tensor[] { return wrapAll(native.chunk(this.handle, chunks, dim)); }
  split(sizes: number[], dim = 0): Tensor[] { return wrapAll(native.split(this.handle, sizes, dim)); }
  nonzero(): Tensor { return wrap(native.nonzero(this.handle)); }

  /**
   * NumPy-style indexing, one spec per leading dim: `t.index(0, [2, 5], null)` is `t[0, 2:5, :]`.
   * An integer Tensor picks those indices along its dim; a bool Tensor as the only spec masks.
   */
  index(...specs: IndexSpec[]): Tensor {
    if (specs.length === 1 && specs[0] instanceof Tensor && specs[0].dtype === 'bool') return this.maskedSelect(specs[0]);
    let out: Tensor = this;
    let dim = 0;
    const made: Tensor[] = [];
    for (const s of specs) {
      if (s === null) { dim++; continue; }
      if (typeof s === 'number') out = out.select(dim, s);
      else if (s instanceof Tensor) { out = out.indexSelect(dim, s); dim++; }
      else { out = out.slice(dim, s[0] ?? 0, s[1] ?? Number.MAX_SAFE_INTEGER, s[2] ?? 1); dim++; }
      made.push(out);
    }
    for (const t of made.slice(0, -1)) t.dispose();
    return out === this ? this.view(...this.shape) : out;
  }

  // --- arithmetic ---------------------------------------------------------------------------------
  add(o: Operand, alpha = 1): Tensor { return wrap(native.add(this.handle, h(o), alpha)); }
  sub(o: Operand, alpha = 1): Tensor { return wrap(native.sub(this.handle, h(o), alpha)); }
  /** other - this, for a number. */
  rsub(o: number): Tensor { return wrap(native.rsub(this.handle, o)); }
  mul(o: Operand): Tensor { return wrap(native.mul(this.handle, h(o))); }
  div(o: Operand): Tensor { return wrap(native.div(this.handle, h(o))); }
  pow(o: Operand): Tensor { return wrap(native.pow(this.handle, h(o))); }
  fmod(o: Operand): Tensor { return wrap(native.fmod(this.handle, h(o))); }
  maximum(o: Tensor): Tensor { return wrap(native.maximum(this.handle, o.handle)); }
  minimum(o: Tensor): Tensor { return wrap(native.minimum(this.handle, o.handle)); }
  neg(): Tensor { return wrap(native.neg(this.handle)); }
  abs(): Tensor { return wrap(native.abs(this.handle)); }
  exp(): Tensor { return wrap(native.exp(this.handle)); }
  log(): Tensor { return wrap(native.log(this.handle)); }
  log1p(): Tensor { return wrap(native.log1p(this.handle)); }
  sqrt(): Tensor { return wrap(native.sqrt(this.handle)); }
  rsqrt(): Tensor { return wrap(native.rsqrt(this.handle)); }
  sigmoid(): Tensor { return wrap(native.sigmoid(this.handle)); }
  tanh(): Tensor { return wrap(native.tanh(this.handle)); }
  relu(): Tensor { return wrap(native.relu(this.handle)); }
  elu(alpha = 1): Tensor { return wrap(native.elu(this.handle, alpha)); }
  leakyRelu(slope = 0.01): Tensor { return wrap(native.leakyRelu(this.handle, slope)); }
  softmax(dim: number): Tensor { return wrap(native.softmax(this.handle, dim)); }
  logSoftmax(dim: number): Tensor { return wrap(native.logSoftmax(this.handle, dim)); }
  sign(): Tensor { return wrap(native.sign(this.handle)); }
  floor(): Tensor { return wrap(native.floor(this.handle)); }
  ceil(): Tensor { return wrap(native.ceil(this.handle)); }
  round(): Tensor { return wrap(native.round(this.handle)); }
  clamp(min?: number | null, max?: number | null): Tensor { return wrap(native.clamp(this.handle, min ?? null, max ?? null)); }

  // --- comparisons and logic ----------------------------------------------------------------------
  eq(o: Operand): Tensor { return wrap(native.eq(this.handle, h(o))); }
  ne(o: Operand): Tensor { return wrap(native.ne(this.handle, h(o))); }
  lt(o: Operand): Tensor { return wrap(native.lt(this.handle, h(o))); }
  le(o: Operand): Tensor { return wrap(native.le(this.handle, h(o))); }
  gt(o: Operand): Tensor { return wrap(native.gt(this.handle, h(o))); }
  ge(o: Operand): Tensor { return wrap(native.ge(this.handle, h(o))); }
  logicalAnd(o: Tensor): Tensor { return wrap(native.logicalAnd(this.handle, o.handle)); }
  logicalOr(o: Tensor): Tensor { return wrap(native.logicalOr(this.handle, o.handle)); }
  logicalNot(): Tensor { return wrap(native.logicalNot(this.handle)); }
  isnan(): Tensor { return wrap(native.isnan(this.handle)); }
  isfinite(): Tensor { return wrap(native.isfinite(this.handle)); }
  any(): Tensor { return wrap(native.any(this.handle)); }
  all(): Tensor { return wrap(native.all(this.handle)); }
  equal(o: Tensor): boolean { return native.equal(this.handle, o.handle); }
  allclose(o: Tensor, rtol = 1e-5, atol = 1e-8): boolean { return native.allclose(this.handle, o.handle, rtol, atol); }

  // --- reductions ---------------------------------------------------------------------------------
  sum(dims?: number | number[], keepdim = false): Tensor { return wrap(native.sum(this.handle, dims ?? null, keepdim)); }
  mean(dims?: number | number[], keepdim = false): Tensor { return wrap(native.mean(this.handle, dims ?? null, keepdim)); }
  /** Variance; unbiased (n-1) by default as in PyTorch. */
  var(dims?: number | number[], keepdim = false, unbiased = true): Tensor {
    return wrap(native.var(this.handle, dims ?? null, keepdim, unbiased));
  }
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return wrap(native.max(this.handle));
    const [values, indices] = wrapAll(native.max(this.handle, dim, keepdim));
    return { values: values!, indices: indices! };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return wrap(native.min(this.handle));
    const [values, indices] = wrapAll(native.min(this.handle, dim, keepdim));
    return { values: values!, indices: indices! };
  }
  amax(dims: number | number[], keepdim = false): Tensor { return wrap(native.amax(this.handle, dims, keepdim)); }
  argmax(dim?: number, keepdim = false): Tensor { return wrap(native.argmax(this.handle, dim ?? null, keepdim)); }
  cumsum(dim: number): Tensor { return wrap(native.cumsum(this.handle, dim)); }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = wrapAll(native.sort(this.handle, dim, descending));
    return { values: values!, indices: indices! };
  }
  argsort(dim = -1, descending = false): Tensor { return wrap(native.argsort(this.handle, dim, descending)); }
  matmul(o: Tensor): Tensor { return wrap(native.matmul(this.handle, o.handle)); }
  dot(o: Tensor): Tensor { return wrap(native.dot(this.handle, o.handle)); }
  norm(): Tensor { return wrap(native.norm(this.handle)); }

  // --- autograd -----------------------------------------------------------------------------------
  get requiresGrad(): boolean { return native.requiresGrad(this.handle); }
  set requiresGrad(v: boolean) { native.setRequiresGrad(this.handle, v); }
  requiresGrad_(v = true): this { native.setRequiresGrad(this.handle, v); return this; }
  get isLeaf(): boolean { return native.isLeaf(this.handle); }
  /** The accumulated gradient, or null before any backward(). A new handle on each read. */
  get grad(): Tensor | null { const g = native.grad(this.handle); return g === null ? null : new Tensor(g); }
  set grad(g: Tensor | null) { native.setGrad(this.handle, g === null ? null : g.handle); }
  backward(gradient?: Tensor, retainGraph?: boolean): void { native.backward(this.handle, gradient?.handle ?? null, retainGraph); }
  detach(): Tensor { return wrap(native.detach(this.handle)); }
  /** Replaces this tensor's data (dtype, device, layout) in place; every holder of it sees the change. */
  setData(src: Tensor): this { native.setData(this.handle, src.handle); this.shape_ = undefined; return this; }

  // --- in place (no autograd history: for optimizers, initialisers and buffers) -------------------
  add_(o: Operand, alpha = 1): this { native.add_(this.handle, h(o), alpha); return this; }
  mul_(o: Operand): this { native.mul_(this.handle, h(o)); return this; }
  div_(o: Operand): this { native.div_(this.handle, h(o)); return this; }
  addcmul_(a: Tensor, b: Tensor, value = 1): this { native.addcmul_(this.handle, a.handle, b.handle, value); return this; }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this { native.addcdiv_(this.handle, a.handle, b.handle, value); return this; }
  lerp_(end: Tensor, weight: number): this { native.lerp_(this.handle, end.handle, weight); return this; }
  sqrt_(): this { native.sqrt_(this.handle); return this; }
  maximum_(o: Tensor): this { native.maximum_(this.handle, o.handle); return this; }
  copy_(src: Tensor): this { native.copy_(this.handle, src.handle); return this; }
  zero_(): this { native.zero_(this.handle); return this; }
  fill_(v: number): this { native.fill_(this.handle, v); return this; }
  clamp_(min?: number | null, max?: number | null): this { native.clamp_(this.handle, min ?? null, max ?? null); return this; }
  // The addon's uniform_/normal_ return a second handle on this tensor; released at once, or that slot
  // would hold the tensor's storage for the life of the process.
  uniform_(from = 0, to = 1): this { native.release(native.uniform_(this.handle, from, to)); return this; }
  normal_(mean = 0, std = 1): this { native.release(native.normal_(this.handle, mean, std)); return this; }
}

export function wrap(handle: NativeHandle): Tensor {
  return new Tensor(handle);
}

export function wrapAll(handles: NativeHandle[]): Tensor[] {
  return handles.map(wrap);
}

export function flat(dims: Dims): number[] {
  return dims.length === 1 && Array.isArray(dims[0]) ? dims[0] : (dims as number[]);
}

function isDevice(s: string): s is Device {
  return s === 'cpu' || s === 'cuda' || s.startsWith('cuda:');
}
