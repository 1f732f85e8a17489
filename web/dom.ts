// Small DOM helpers: elements from tags and children, tile canvases with the one overlay
// convention and its legend, and the states every page shares (loading, empty, not found).
import { threshold as fmtThreshold } from '../src/report/format.js';
import { legendKeys, overlayPixels, type OverlayKind } from '../src/report/overlay.js';
import { getJson, type Info, type RunSummary } from './api.js';
type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false) continue;
    if (k === 'text') e.textContent = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

export function duration(seconds: number): string {
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}

export function fail(root: HTMLElement, e: unknown): void {
  root.append(el('p', { class: 'error', role: 'alert', text: (e as Error).message ?? String(e) }));
}

/** A "working on it" line (role status, so assistive tech announces it). */
export const loading = (text = 'Loading…') => el('p', { class: 'loading muted', role: 'status', text });

/** A command to copy, shown as code. */
export const cmd = (text: string) => el('code', { class: 'cmd', text });

/**
 * Draws a grey image (bytes 0..255) with masks over it in the one overlay convention
 * (src/report/overlay.ts): both masks compared, or either alone in the salt colour.
 */
export function drawOverlay(canvas: HTMLCanvasElement, w: number, h: number, image: Uint8Array, truth: Uint8Array | null, pred: Uint8Array | null): void {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  overlayPixels(image, truth, pred, { channels: 4, out: img.data });
  ctx.putImageData(img, 0, 0);
}

/** The legend of a figure of `kind`: a swatch and a label per kind of masked pixel. */
export function legend(kind: OverlayKind): HTMLElement {
  return el('p', { class: 'legend', 'data-legend': kind },
    ...legendKeys(kind).map((k) => el('span', {}, el('i', { style: `background:${k.hex}` }), k.label)));
}

/** Masks from probabilities at a threshold in [0, 1]: bytes 0..255 (max 255) or floats in [0, 1] (max 1). */
export function threshold(probs: ArrayLike<number>, t: number, offset = 0, n = probs.length, max = 255): Uint8Array {
  const out = new Uint8Array(n), cut = t * max;
  for (let i = 0; i < n; i++) out[i] = probs[offset + i]! > cut ? 1 : 0;
  return out;
}

/** The tuned post-processing after the threshold, as the pages name it (the gate only with a classifier). */
export function postprocessText(p: { minArea: number; gate: number | null }, hasSalt: boolean): string {
  return `minimum area ${p.minArea} px${p.gate !== null && hasSalt ? `, salt gate ${fmtThreshold(p.gate)}` : ''}`;
}

/** What to run when there is no run yet, naming the folder this server reads. */
export function noRunsHelp(info: Info): HTMLElement {
  return el('div', { class: 'empty', id: 'empty-state' },
    el('p', {}, info.runsDirExists
      ? `No runs in ${info.runsDir} yet.`
      : `The runs folder ${info.runsDir} does not exist yet.`),
    el('p', {}, 'Train one on synthetic seismic in a few minutes, then serve its folder:'),
    el('pre', {}, cmd('npx halite demo --out runs/demo\nnpx halite serve --runs runs/demo')),
    el('p', {}, 'or on your own TGS-layout folder (train/images, train/masks, train.csv, depths.csv):'),
    el('pre', {}, cmd(`npx halite train --data DIR --runs ${info.runsDir}`)));
}

/**
 * A page's heading, then the runs that have weights to predict with, and the one the URL names
 * (?run=NAME). With none, it says what to run; with an unknown ?run, it says so rather than
 * showing another run. `chosen` is null then, and the page waits for a choice.
 */
export async function runsWithWeights(root: HTMLElement, title: string): Promise<{ runs: RunSummary[]; chosen: string | null }> {
  const [all, info] = await Promise.all([getJson<RunSummary[]>('/api/runs'), getJson<Info>('/api/info')]);
  const runs = all.filter((r) => r.bestValMap !== null);
  root.append(el('h1', { text: title }));
  if (runs.length === 0) {
    if (all.length > 0) root.append(el('p', { class: 'empty', id: 'empty-state', text: `None of the ${all.length} run${all.length === 1 ? '' : 's'} in ${info.runsDir} has weights yet: a run saves them after its first epoch.` }));
    else root.append(noRunsHelp(info));
    return { runs, chosen: null };
  }
  const wanted = new URLSearchParams(location.search).get('run');
  if (wanted === null) return { runs, chosen: runs[0]!.name };
  if (runs.some((r) => r.name === wanted)) return { runs, chosen: wanted };
  const why = all.some((r) => r.name === wanted) ? `Run ${wanted} has no weights yet.` : `There is no run named ${wanted} in ${info.runsDir}.`;
  root.append(el('p', { class: 'error', role: 'alert', id: 'unknown-run', text: `${why} Choose one below.` }));
  return { runs, chosen: null };
}

/** The run picker for Predictions and Try it: the runs, with nothing picked when the URL named no known run; keeps ?run= in step. */
export function runPicker(runs: RunSummary[], chosen: string | null): HTMLSelectElement {
  const pick = el('select', { id: 'run-select', name: 'run' },
    ...(chosen === null ? [el('option', { value: '', text: 'choose a run…', selected: true, disabled: true })] : []),
    ...runs.map((r) => el('option', { value: r.name, text: `${r.name} (${r.data.kind === 'synthetic' ? 'synthetic data' : r.data.path})`, selected: r.name === chosen })));
  pick.addEventListener('change', () => {
    const u = new URL(location.href);
    u.searchParams.set('run', pick.value);
    history.replaceState(null, '', u);
  });
  return pick;
}
