// One way to print numbers on figures and pages (report, explore, web app). No node imports.

/**
 * A number for people: `digits` decimals, then trailing zeros dropped unless `fixed`, so a stored
 * threshold of 0.49999999999999994 reads 0.5 and scores in a column keep one width (fixed).
 * Non-finite, null and undefined read "—".
 * @param digits decimals kept (0..20)
 */
export function num(x: number | null | undefined, digits = 4, fixed = false): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const s = x.toFixed(digits);
  const t = fixed || !s.includes('.') ? s : s.replace(/\.?0+$/, '');
  return t === '-0' ? '0' : t;
}

/** A score in [0, 1] (mAP, IoU, competition score): always 4 decimals, so columns line up. */
export const score = (x: number | null | undefined): string => num(x, 4, true);

/** A probability threshold or gate: up to 3 decimals, no trailing zeros (0.5, 0.45, 0.475). */
export const threshold = (x: number | null | undefined): string => num(x, 3);

/** A learning rate in engineering-style exponent form: 5e-4, 1.5e-3. */
export function lr(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const [m, e] = x.toExponential(2).split('e');
  return `${num(Number(m), 2)}e${Number(e)}`;
}

/** A fraction as a percentage with one decimal: 0.1234 → "12.3%". */
export const percent = (x: number): string => `${num(100 * x, 1, true)}%`;

/** A loss's name as people write it: bce → BCE, lovasz → Lovász; other names as they are. */
export function lossLabel(name: string): string {
  return ({ bce: 'BCE', lovasz: 'Lovász', dice: 'Dice', focal: 'focal', bce_dice: 'BCE + Dice', sum: 'weighted sum' } as Record<string, string>)[name] ?? name;
}
