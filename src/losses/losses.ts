// Segmentation losses on logits: BCE, Dice, BCE+Dice, focal, Lovász hinge, and weighted sums,
// each built from a config so training phases can name them.
import { F, Tensor, tidy } from '../torch/index.js';
import { lovaszHinge, type LovaszOptions } from './lovasz.js';

export type Loss = (logits: Tensor, masks: Tensor) => Tensor;

export function bce(logits: Tensor, masks: Tensor): Tensor {
  return F.bceWithLogits(logits, masks.to(logits.dtype as 'float32'));
}

/** 1 - (2|P∩Y| + s) / (|P| + |Y| + s) on sigmoid probabilities, per image (mean) or over the batch. */
export function dice(logits: Tensor, masks: Tensor, o: { perImage?: boolean; smooth?: number } = {}): Tensor {
  return tidy(() => {
    const s = o.smooth ?? 1;
    const rows = o.perImage === false ? 1 : logits.size(0);
    const p = logits.sigmoid().reshape(rows, -1);
    const y = masks.to(logits.dtype as 'float32').reshape(rows, -1);
    const inter = p.mul(y).sum(1);
    const score = inter.mul(2).add(s).div(p.sum(1).add(y.sum(1)).add(s));
    return score.rsub(1).mean();
  });
}

/** Focal loss (Lin et al.): alpha_t (1 - p_t)^gamma · BCE, averaged over pixels. */
export function focal(logits: Tensor, masks: Tensor, o: { gamma?: number; alpha?: number } = {}): Tensor {
  return tidy(() => {
    const gamma = o.gamma ?? 2, alpha = o.alpha ?? 0.25;
    const y = masks.to(logits.dtype as 'float32');
    const ce = F.bceWithLogits(logits, y, { reduction: 'none' });
    const pt = ce.neg().exp();
    const at = y.mul(alpha).add(y.rsub(1).mul(1 - alpha));
    return at.mul(pt.rsub(1).pow(gamma)).mul(ce).mean();
  });
}

export type LossSpec =
  | { name: 'bce' }
  | { name: 'dice'; perImage?: boolean; smooth?: number }
  | { name: 'focal'; gamma?: number; alpha?: number }
  | ({ name: 'lovasz' } & LovaszOptions)
  | { name: 'bce_dice'; bceWeight?: number; diceWeight?: number }
  | { name: 'sum'; terms: { weight: number; loss: LossSpec }[] };

/** A loss spec's name ('bce', 'lovasz', ...), for logs and history records. */
export function lossName(spec: LossSpec | string): string {
  return typeof spec === 'string' ? spec : spec.name;
}

/** What each loss accepts beside `name`, and how each option is checked (see LossSpec). */
const LOSS_OPTIONS: Record<LossSpec['name'], Record<string, (v: unknown) => string | undefined>> = {
  bce: {},
  dice: { perImage: isBool, smooth: nonNegative },
  focal: { gamma: nonNegative, alpha: (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'must be a number in [0, 1]') },
  lovasz: { perImage: isBool, activation: (v) => (v === 'relu' || v === 'elu' ? undefined : 'must be "relu" or "elu"'), symmetric: isBool },
  bce_dice: { bceWeight: nonNegative, diceWeight: nonNegative },
  sum: { terms: (v) => (Array.isArray(v) && v.length > 0 ? undefined : 'must list at least one {weight, loss}') },
};
function isBool(v: unknown): string | undefined { return typeof v === 'boolean' ? undefined : 'must be true or false'; }
function nonNegative(v: unknown): string | undefined { return typeof v === 'number' && v >= 0 ? undefined : 'must be a number >= 0'; }

/**
 * Checks a loss config without building anything, so a run can refuse a bad phase before its first
 * batch rather than when the phase starts.
 * @param where the config path named in the error, e.g. `config.phases[1].loss`
 * @throws Error `${where}: unknown loss 'lovaz' (known: bce, ...)`, or naming the option and its range
 */
export function checkLossSpec(spec: unknown, where = 'loss'): void {
  const s = (typeof spec === 'string' ? { name: spec } : spec) as Record<string, unknown> | null;
  const known = Object.keys(LOSS_OPTIONS);
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Error(`${where}: expected a loss name or {name, ...}, got ${JSON.stringify(spec)} (known: ${known.join(', ')})`);
  const name = s.name;
  if (typeof name !== 'string' || !Object.hasOwn(LOSS_OPTIONS, name)) throw new Error(`${where}: unknown loss ${typeof name === 'string' ? `'${name}'` : JSON.stringify(name)} (known: ${known.join(', ')})`);
  const options = LOSS_OPTIONS[name as LossSpec['name']];
  for (const [k, v] of Object.entries(s)) {
    if (k === 'name') continue;
    const check = options[k];
    if (!check) throw new Error(`${where}.${k}: loss '${name}' has no option '${k}' (options: ${Object.keys(options).join(', ') || 'none'})`);
    const problem = check(v);
    if (problem) throw new Error(`${where}.${k}: ${problem}, got ${JSON.stringify(v)}`);
  }
  if (name === 'sum') {
    if (!('terms' in s)) throw new Error(`${where}.terms: a 'sum' loss must list at least one {weight, loss}`);
    (s.terms as unknown[]).forEach((t, i) => {
      const term = t as { weight?: unknown; loss?: unknown } | null;
      if (typeof term !== 'object' || term === null) throw new Error(`${where}.terms[${i}]: expected {weight, loss}, got ${JSON.stringify(t)}`);
      if (typeof term.weight !== 'number' || !Number.isFinite(term.weight)) throw new Error(`${where}.terms[${i}].weight: must be a finite number, got ${JSON.stringify(term.weight)}`);
      checkLossSpec(term.loss, `${where}.terms[${i}].loss`);
    });
  }
}

/**
 * Builds a loss from its config (a name or {name, ...options}).
 * @throws Error naming an unknown loss or a bad option (checkLossSpec)
 */
export function makeLoss(spec: LossSpec | string): Loss {
  checkLossSpec(spec);
  const s = (typeof spec === 'string' ? { name: spec } : spec) as LossSpec;
  switch (s.name) {
    case 'bce': return bce;
    case 'dice': return (x, y) => dice(x, y, s);
    case 'focal': return (x, y) => focal(x, y, s);
    case 'lovasz': return (x, y) => lovaszHinge(x, y, s);
    case 'bce_dice': return weighted([{ weight: s.bceWeight ?? 1, loss: bce }, { weight: s.diceWeight ?? 1, loss: (x, y) => dice(x, y) }]);
    case 'sum': return weighted(s.terms.map((t) => ({ weight: t.weight, loss: makeLoss(t.loss) })));
  }
}

/** Σ weight · loss. */
export function weighted(terms: { weight: number; loss: Loss }[]): Loss {
  if (terms.length === 0) throw new Error('a weighted loss needs at least one term');
  return (x, y) => tidy(() => terms.map((t) => t.loss(x, y).mul(t.weight)).reduce((a, b) => a.add(b)));
}
