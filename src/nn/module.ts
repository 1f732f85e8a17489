// Module: parameters, buffers and children with PyTorch's dotted names, train/eval, state dicts, and
// call(), which runs forward() in a memory scope as tfjs-layers' apply() does.
import { noGrad } from '../torch/autograd.js';
import { keep, tidy } from '../torch/scope.js';
import type { Tensor } from '../torch/tensor.js';
import type { Device, DType, MemoryFormat } from '../torch/dtype.js';

export type StateDict = Map<string, Tensor>;

export class StateDictError extends Error {
  constructor(
    readonly missing: string[],
    readonly unexpected: string[],
    readonly mismatched: { key: string; expected: number[]; got: number[] }[],
    where = 'loadStateDict',
  ) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
    if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
    for (const m of mismatched) parts.push(`${m.key}: expected shape [${m.expected.join(', ')}], got [${m.got.join(', ')}]`);
    super(`${where}: ${parts.join('; ')}`);
    this.name = 'StateDictError';
  }
}

/** A module whatever forward() takes and returns (for containers and tree walks). */
export type AnyModule = Module<any, any>;

/**
 * A layer or model. `I` is forward()'s argument list and `O` its result: one tensor in and one out by
 * default; a decoder or a head may take several (feature maps, a target size) and return several.
 */
export abstract class Module<I extends unknown[] = [Tensor], O = Tensor> {
  training = true;
  private readonly params_ = new Map<string, Tensor>();
  private readonly buffers_ = new Map<string, Tensor>();
  /** In registration order; a null name marks an inline child (see inline()). */
  private readonly children_: [name: string | null, m: AnyModule][] = [];

  /**
   * The computation. Tensors it makes and does not return are left to the enclosing tidy() scope:
   * call children through call(), and run a model through call() (or inside tidy()).
   */
  abstract forward(...args: I): O;

  /**
   * forward() in a memory scope (tfjs-layers' apply()): every tensor made inside and not returned is
   * disposed when it returns; the result (a tensor, or arrays and plain objects of them) moves to the
   * enclosing scope. Autograd keeps what backward needs on its own, so this is safe in training.
   */
  call(...args: I): O {
    return tidy(() => this.forward(...args));
  }

  /** Registers a trainable tensor; it outlives any tidy() scope and requires grad. */
  protected param(name: string, t: Tensor): Tensor {
    this.checkName(name);
    keep(t);
    t.requiresGrad = true;
    this.params_.set(name, t);
    return t;
  }
  /** Registers state that is saved but not trained (running statistics). */
  protected buffer(name: string, t: Tensor): Tensor {
    this.checkName(name);
    keep(t);
    this.buffers_.set(name, t);
    return t;
  }
  protected module<M extends AnyModule>(name: string, m: M): M {
    this.checkName(name);
    this.children_.push([name, m]);
    return m;
  }
  /**
   * Registers m as a part whose parameters, buffers and children keep their own names directly under
   * this module's (no prefix of its own): a model can be composed of a decoder and heads while its
   * state-dict keys, and so every weights file saved before, stay as they were. Throws if a name
   * would then be registered twice.
   */
  protected inline<M extends AnyModule>(m: M): M {
    for (const n of m.ownNames()) this.checkName(n);
    this.children_.push([null, m]);
    return m;
  }
  private *ownNames(): Iterable<string> {
    yield* this.params_.keys();
    yield* this.buffers_.keys();
    for (const [n, c] of this.children_) if (n === null) yield* c.ownNames(); else yield n;
  }
  private checkName(name: string): void {
    if (name === '' || name.includes('.')) throw new Error(`invalid module attribute name '${name}'`);
    for (const n of this.ownNames()) if (n === name) throw new Error(`${this.constructor.name}: '${name}' is registered twice`);
  }

  /** Named children; an inline child's children are listed as this module's own. */
  *namedChildren(): Iterable<[string, AnyModule]> {
    for (const [n, c] of this.children_) if (n === null) yield* c.namedChildren(); else yield [n, c];
  }
  /** This module and every descendant by dotted name; an inline child is listed under this module's name. */
  *namedModules(prefix = ''): Iterable<[string, AnyModule]> {
    yield [prefix, this];
    for (const [n, c] of this.children_) yield* c.namedModules(n === null ? prefix : prefix ? `${prefix}.${n}` : n);
  }
  *namedParameters(prefix = ''): Iterable<[string, Tensor]> {
    for (const [name, m] of this.namedModules(prefix)) for (const [n, p] of m.params_) yield [name ? `${name}.${n}` : n, p];
  }
  parameters(): Tensor[] { return [...this.namedParameters()].map(([, p]) => p); }
  *namedBuffers(prefix = ''): Iterable<[string, Tensor]> {
    for (const [name, m] of this.namedModules(prefix)) for (const [n, b] of m.buffers_) yield [name ? `${name}.${n}` : n, b];
  }

  /** Number of scalars in the parameters (trainable ones only by default, as Keras' "Trainable params"). */
  numParameters(trainableOnly = true): number {
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.numel;
    return n;
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }
  eval(): this { return this.train(false); }

  /** Sets requiresGrad on every parameter (freezing an encoder, for example). */
  requiresGrad_(v: boolean): this {
    for (const p of this.parameters()) p.requiresGrad = v;
    return this;
  }
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Parameters and buffers by dotted name, in PyTorch's order (each module's own parameters, then
   * its buffers, then its children's), so names match torch's state_dict(). Entries are the live
   * tensors, not copies.
   */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = new Map();
    const visit = (m: AnyModule, pre: string): void => {
      for (const [n, p] of m.params_) out.set(pre + n, p);
      for (const [n, b] of m.buffers_) out.set(pre + n, b);
      for (const [n, c] of m.children_) visit(c, n === null ? pre : `${pre}${n}.`);
    };
    visit(this, prefix ? `${prefix}.` : '');
    return out;
  }

  /** Copies values in. strict: every key present, none unexpected, every shape equal; else nothing is written. */
  loadStateDict(sd: StateDict, strict = true): { missing: string[]; unexpected: string[] } {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !sd.has(k));
    const unexpected = [...sd.keys()].filter((k) => !own.has(k));
    const mismatched: { key: string; expected: number[]; got: number[] }[] = [];
    for (const [k, t] of own) {
      const src = sd.get(k);
      if (src && !sameShape(src.shape, t.shape)) mismatched.push({ key: k, expected: t.shape, got: src.shape });
    }
    if (mismatched.length || (strict && (missing.length || unexpected.length))) {
      throw new StateDictError(strict ? missing : [], strict ? unexpected : [], mismatched);
    }
    noGrad(() => {
      for (const [k, t] of own) {
        const src = sd.get(k);
        if (src) t.copy_(src);
      }
    });
    return { missing, unexpected };
  }

  /** Moves or converts every parameter and buffer in place; float-only dtype changes spare integer buffers. */
  to(target: { device?: Device; dtype?: DType; memoryFormat?: MemoryFormat }): this {
    noGrad(() => {
      for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) {
        const isFloat = t.dtype === 'float32' || t.dtype === 'float64' || t.dtype === 'float16' || t.dtype === 'bfloat16';
        const fmt = target.memoryFormat !== undefined && t.ndim === 4 ? target.memoryFormat : undefined;
        const moved = t.to({ device: target.device, dtype: isFloat ? target.dtype : undefined, memoryFormat: fmt });
        t.setData(moved);
        moved.dispose();
      }
    });
    return this;
  }

  /** Frees every parameter and buffer, and what each module holds besides (releaseHeld). The module cannot be used afterwards. */
  dispose(): void {
    for (const [, m] of this.namedModules()) m.releaseHeld();
    for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) t.dispose();
  }

  /** Frees tensors this module holds that are neither parameters nor buffers (a Conv2d's eval weights); dispose() calls it on every module. */
  protected releaseHeld(): void {}
}

export function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
