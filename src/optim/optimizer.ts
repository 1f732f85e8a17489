// The optimizer base: parameter groups, per-parameter state, zeroGrad and state dicts for resume.
import { noGrad } from '../torch/autograd.js';
import { keep, tidy } from '../torch/scope.js';
import { zerosLike } from '../torch/creation.js';
import type { Tensor } from '../torch/tensor.js';

export interface GroupOptions {
  lr: number;
  weightDecay: number;
}

export interface ParamGroup<O extends GroupOptions> {
  params: Tensor[];
  options: O;
}

export type ParamsArg<O> = Tensor[] | ({ params: Tensor[] } & Partial<O>)[];

/** Per-parameter state: tensors (moments, buffers) and a step count. */
export interface ParamState {
  step: number;
  tensors: Map<string, Tensor>;
}

export interface OptimizerState {
  /** Tensors named `${paramIndex}.${name}`, paramIndex counting across groups in order. */
  tensors: Map<string, Tensor>;
  /** Step counts and group hyperparameters, JSON-safe. */
  meta: { steps: Record<string, number>; groups: Record<string, number | boolean>[] };
}

/** What a training loop needs of any optimizer, whatever its options type. */
export interface OptimizerLike {
  lr: number;
  zeroGrad(): void;
  step(): void;
  stateDict(): OptimizerState;
  loadStateDict(s: OptimizerState): void;
}

export abstract class Optimizer<O extends GroupOptions> implements OptimizerLike {
  readonly groups: ParamGroup<O>[];
  protected readonly state = new Map<Tensor, ParamState>();

  constructor(params: ParamsArg<O>, defaults: O) {
    const list = params.length > 0 && !('params' in params[0]!) ? [{ params: params as Tensor[] }] : (params as ({ params: Tensor[] } & Partial<O>)[]);
    this.groups = list.map(({ params: ps, ...over }) => ({ params: ps, options: { ...defaults, ...over } as O }));
    for (const g of this.groups) validate(g.options);
  }

  /** The first group's learning rate; setting it sets every group's (what schedules do). */
  get lr(): number { return this.groups[0]!.options.lr; }
  set lr(v: number) { for (const g of this.groups) g.options.lr = v; }

  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.grad = null;
  }

  /** Applies one update from the current gradients. Parameters without a gradient are skipped. */
  step(): void {
    noGrad(() => {
      for (const g of this.groups) {
        for (const p of g.params) {
          const grad = p.grad;
          if (grad === null) continue;
          let st = this.state.get(p);
          if (!st) { st = { step: 0, tensors: new Map() }; this.state.set(p, st); }
          st.step += 1;
          tidy(() => this.update(p, grad, st!, g.options));
          grad.dispose();
        }
      }
    });
  }

  /** One parameter's update, in place. Runs inside tidy() and noGrad(). */
  protected abstract update(p: Tensor, grad: Tensor, st: ParamState, o: O): void;

  /** A state tensor, created as zeros like p on first use and kept across steps. */
  protected buf(st: ParamState, name: string, like: Tensor): Tensor {
    let t = st.tensors.get(name);
    if (!t) { t = keep(zerosLike(like)); st.tensors.set(name, t); }
    return t;
  }

  private allParams(): Tensor[] { return this.groups.flatMap((g) => g.params); }

  stateDict(): OptimizerState {
    const tensors = new Map<string, Tensor>();
    const steps: Record<string, number> = {};
    this.allParams().forEach((p, i) => {
      const st = this.state.get(p);
      if (!st) return;
      steps[String(i)] = st.step;
      for (const [n, t] of st.tensors) tensors.set(`${i}.${n}`, t);
    });
    const groups = this.groups.map((g) => ({ ...g.options }) as unknown as Record<string, number | boolean>);
    return { tensors, meta: { steps, groups } };
  }

  loadStateDict(s: OptimizerState): void {
    const params = this.allParams();
    if (s.meta.groups.length !== this.groups.length) {
      throw new Error(`optimizer state has ${s.meta.groups.length} parameter groups, this optimizer has ${this.groups.length}`);
    }
    this.groups.forEach((g, i) => Object.assign(g.options, s.meta.groups[i]));
    for (const st of this.state.values()) for (const t of st.tensors.values()) t.dispose();
    this.state.clear();
    for (const [idx, step] of Object.entries(s.meta.steps)) {
      const p = params[Number(idx)];
      if (!p) throw new Error(`optimizer state names parameter ${idx}, but there are only ${params.length}`);
      this.state.set(p, { step, tensors: new Map() });
    }
    for (const [key, t] of s.tensors) {
      const dot = key.indexOf('.');
      const p = params[Number(key.slice(0, dot))];
      const st = p && this.state.get(p);
      if (!p || !st) throw new Error(`optimizer state tensor '${key}' has no matching parameter step`);
      if (t.shape.join() !== p.shape.join()) throw new Error(`optimizer state '${key}' has shape [${t.shape}], parameter has [${p.shape}]`);
      st.tensors.set(key.slice(dot + 1), keep(t.clone()));
    }
  }
}

function validate(o: GroupOptions): void {
  if (!(o.lr >= 0)) throw new RangeError(`learning rate must be >= 0, got ${o.lr}`);
  if (!(o.weightDecay >= 0)) throw new RangeError(`weight decay must be >= 0, got ${o.weightDecay}`);
}
