// Small DOM helpers: elements from tags and children, formatting, and tile canvases.
import { getJson, type RunSummary } from './api.js';
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

export const fmt = (x: number | null | undefined, digits = 4) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));

export function duration(seconds: number): string {
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}

export function fail(root: HTMLElement, e: unknown): void {
  root.append(el('p', { class: 'error', role: 'alert', text: (e as Error).message ?? String(e) }));
}

/**
 * Draws a grey image (bytes 0..255) with masks over it: the truth whitened, the prediction in
 * orange, as in the write-ups' overlays. Either mask may be absent.
 */
export function drawOverlay(canvas: HTMLCanvasElement, w: number, h: number, image: Uint8Array, truth: Uint8Array | null, pred: Uint8Array | null): void {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    let r = image[i]!, g = r, b = r;
    if (truth && truth[i]) { r = r * 0.35 + 166; g = g * 0.35 + 166; b = b * 0.35 + 166; }
    if (pred && pred[i]) { r = r * 0.45 + 140; g = g * 0.45 + 60; b = b * 0.45; }
    img.data[4 * i] = r; img.data[4 * i + 1] = g; img.data[4 * i + 2] = b; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** Masks from byte probabilities at a threshold in [0, 1]. */
export function threshold(probs: Uint8Array, t: number, offset = 0, n = probs.length): Uint8Array {
  const out = new Uint8Array(n), cut = t * 255;
  for (let i = 0; i < n; i++) out[i] = probs[offset + i]! > cut ? 1 : 0;
  return out;
}

/** The tuned post-processing after the threshold, as the pages name it (the gate only with a classifier). */
export function postprocessText(p: { minArea: number; gate: number | null }, hasSalt: boolean): string {
  return `minimum area ${p.minArea} px${p.gate !== null && hasSalt ? `, salt gate ${p.gate}` : ''}`;
}

/** A page's heading, then the runs that have weights to predict with (saying so when there are none). */
export async function runsWithWeights(root: HTMLElement, title: string): Promise<RunSummary[]> {
  const runs = (await getJson<RunSummary[]>('/api/runs')).filter((r) => r.bestValMap !== null);
  root.append(el('h1', { text: title }));
  if (runs.length === 0) root.append(el('p', { text: 'No run has weights yet. Train one with: npx halite train (or npx halite demo).' }));
  return runs;
}
