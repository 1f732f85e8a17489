// The survey viewer: a predicted survey's amplitude in grey (clipped at the survey's robust
// percentiles) with the salt probability over it, an inline, crossline or time slice at a time.
// The probability shows as one colour ramp (the salt colour, more opaque where more likely) or,
// with the threshold on, as the mask-style overlay of the other pages (src/report/overlay.ts).
import { num, threshold as fmtThreshold } from '../../src/report/format.js';
import { OVERLAY, OVERLAY_ALPHA, overlayPixels } from '../../src/report/overlay.js';
import { cmd, el, legend, loading } from '../dom.js';

interface Axis { first: number; last: number; step: number; count: number }
interface SurveyInfo {
  name: string; seismic: string; probability: string; vertical: 'time' | 'depth'; inlines: Axis; crosslines: Axis; samples: number;
  sampleStep: number; firstSample: number; unit: 'ms' | 'm'; clip: [number, number]; traces: number; padded: number; error?: undefined;
}
interface BrokenSurvey { name: string; seismic: string; probability: string; error: string }
interface SurveyList { dir: string | null; dirExists: boolean; surveys: (SurveyInfo | BrokenSurvey)[]; unpaired: string[]; convention: string }
interface SectionAxis { label: string; first: number; step: number; unit: string }
interface Section {
  meta: { direction: Direction; number: number; width: number; height: number; x: SectionAxis; y: SectionAxis; clip: [number, number] };
  amplitude: Float32Array; probability: Float32Array;
}
type Direction = 'inline' | 'crossline' | 'time';

/** The plot's margins around the image, in CSS pixels: room for tick labels and axis titles. */
const M = { left: 74, right: 14, top: 12, bottom: 50 };
const PLOT = { width: 760, height: 440 };

/** Reads the section endpoint's body: uint32 JSON length, JSON, then two float32 images (src/serve/surveys.ts encodeSection). */
async function fetchSection(survey: string, direction: Direction, n: number): Promise<Section> {
  const r = await fetch(`/api/surveys/${encodeURIComponent(survey)}/section?direction=${direction}&n=${n}`);
  if (!r.ok) {
    const body = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
    throw new Error((body as { error?: string }).error ?? `${r.status} ${r.statusText}`);
  }
  const buf = await r.arrayBuffer();
  const len = new DataView(buf).getUint32(0, true);
  const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, len))) as Section['meta'];
  const px = meta.width * meta.height, at = 4 + len;
  const f32 = (offset: number) => {
    const v = new DataView(buf, offset, px * 4), out = new Float32Array(px);
    for (let k = 0; k < px; k++) out[k] = v.getFloat32(k * 4, true);
    return out;
  };
  return { meta, amplitude: f32(at), probability: f32(at + px * 4) };
}

/** Tick values at 1, 2 or 5 × 10^k steps, about `want` of them between lo and hi. */
function ticks(lo: number, hi: number, want: number): number[] {
  const span = Math.abs(hi - lo) || 1, raw = span / want, p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(Math.min(lo, hi) / step) * step; v <= Math.max(lo, hi) + 1e-9; v += step) out.push(+v.toFixed(6));
  return out;
}

/** Grey bytes from amplitudes clipped to [lo, hi] (0 is mid-grey for a symmetric clip). */
function greys(a: Float32Array, [lo, hi]: [number, number]): Uint8Array {
  const out = new Uint8Array(a.length), s = hi > lo ? 255 / (hi - lo) : 0;
  for (let k = 0; k < a.length; k++) out[k] = Number.isFinite(a[k]!) ? Math.max(0, Math.min(255, Math.round((a[k]! - lo) * s))) : 0;
  return out;
}

/** The colour ramp: the salt colour over grey with opacity OVERLAY_ALPHA × probability. */
function rampPixels(grey: Uint8Array, prob: Float32Array, out: Uint8ClampedArray): void {
  const [r, g, b] = OVERLAY.tp.rgb;
  for (let k = 0; k < grey.length; k++) {
    const p = Number.isFinite(prob[k]!) ? Math.max(0, Math.min(1, prob[k]!)) : 0, a = OVERLAY_ALPHA * p, v = grey[k]!;
    out[k * 4] = Math.round(v * (1 - a) + r * a);
    out[k * 4 + 1] = Math.round(v * (1 - a) + g * a);
    out[k * 4 + 2] = Math.round(v * (1 - a) + b * a);
    out[k * 4 + 3] = 255;
  }
}

/** The colour bar of the ramp, over mid-grey, 0..1 with ticks. */
function colourBar(): HTMLElement {
  const c = el('canvas', { id: 'colour-bar', width: 240, height: 34 });
  const ctx = c.getContext('2d')!;
  const [r, g, b] = OVERLAY.tp.rgb;
  for (let x = 0; x < 220; x++) {
    const a = OVERLAY_ALPHA * (x / 219);
    ctx.fillStyle = `rgb(${128 * (1 - a) + r * a},${128 * (1 - a) + g * a},${128 * (1 - a) + b * a})`;
    ctx.fillRect(10 + x, 0, 1, 16);
  }
  ctx.fillStyle = '#333';
  ctx.font = '11px sans-serif';
  ctx.textAlign = 'center';
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    ctx.fillRect(10 + t * 219, 16, 1, 4);
    ctx.fillText(num(t, 2), 10 + t * 219, 31);
  }
  return el('span', { class: 'colour-bar' }, 'salt probability ', c);
}

const axisName = (a: SectionAxis) => (a.unit ? `${a.label} (${a.unit})` : a.label);

/** Draws the image stretched into the plot box, with tick labels in survey numbers and axis titles. */
function draw(canvas: HTMLCanvasElement, s: Section, threshold: number | null): void {
  const { width: w, height: h } = s.meta;
  const grey = greys(s.amplitude, s.meta.clip);
  const img = new ImageData(w, h);
  if (threshold === null) rampPixels(grey, s.probability, img.data);
  else {
    const mask = new Uint8Array(w * h);
    for (let k = 0; k < mask.length; k++) mask[k] = s.probability[k]! > threshold ? 1 : 0;
    overlayPixels(grey, null, mask, { channels: 4, out: img.data });
  }
  const src = el('canvas', { width: w, height: h });
  src.getContext('2d')!.putImageData(img, 0, 0);

  const dpr = window.devicePixelRatio || 1, W = M.left + PLOT.width + M.right, H = M.top + PLOT.height + M.bottom;
  canvas.width = W * dpr;
  canvas.height = H * dpr;
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(src, M.left, M.top, PLOT.width, PLOT.height);
  ctx.strokeStyle = '#666';
  ctx.strokeRect(M.left - 0.5, M.top - 0.5, PLOT.width + 1, PLOT.height + 1);

  // Cell k spans [k, k+1) of the image; its number sits at the cell's centre.
  ctx.fillStyle = '#222';
  ctx.font = '12px sans-serif';
  const { x, y } = s.meta;
  const xLast = x.first + (w - 1) * x.step, yLast = y.first + (h - 1) * y.step;
  const xPix = (v: number) => M.left + ((v - x.first) / x.step + 0.5) * (PLOT.width / w);
  const yPix = (v: number) => M.top + ((v - y.first) / y.step + 0.5) * (PLOT.height / h);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const v of ticks(x.first, xLast, Math.min(10, w))) {
    if (x.label !== 'time' && x.label !== 'depth' && !Number.isInteger((v - x.first) / x.step)) continue;
    ctx.fillRect(Math.round(xPix(v)), M.top + PLOT.height, 1, 5);
    ctx.fillText(num(v, 2), xPix(v), M.top + PLOT.height + 7);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of ticks(y.first, yLast, Math.min(8, h))) {
    if (y.label === 'inline' && !Number.isInteger((v - y.first) / y.step)) continue;
    ctx.fillRect(M.left - 5, Math.round(yPix(v)), 5, 1);
    ctx.fillText(num(v, 2), M.left - 8, yPix(v));
  }
  ctx.font = '13px sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(axisName(x), M.left + PLOT.width / 2, H - 8);
  ctx.save();
  ctx.translate(16, M.top + PLOT.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(axisName(y), 0, 0);
  ctx.restore();
}

function emptyHelp(list: SurveyList): HTMLElement {
  const where = list.dir === null
    ? 'This server was started without a surveys folder.'
    : list.dirExists ? `No predicted surveys in ${list.dir} yet.` : `The surveys folder ${list.dir} does not exist yet.`;
  return el('div', { class: 'empty', id: 'empty-state' },
    el('p', {}, where),
    el('p', {}, 'The viewer shows a seismic SEG-Y with the salt probability halite predicted for it. Predict a survey next to its seismic file, then serve the folder:'),
    el('pre', {}, cmd(`npx halite predict --run runs/demo --segy surveys/X.sgy --out surveys/X.salt.sgy\nnpx halite serve --surveys ${list.dir ?? 'surveys'}`)),
    el('p', {}, 'A survey is X.sgy with X.salt.sgy beside it, or a folder holding survey.json:'),
    el('pre', {}, cmd('{ "seismic": "seismic.sgy", "probability": "salt-probability.sgy", "vertical": "time" }')),
    list.unpaired.length ? el('p', { class: 'muted', id: 'unpaired' }, `SEG-Y files here without a probability partner: ${list.unpaired.join(', ')}.`) : null);
}

export async function surveyPage(root: HTMLElement): Promise<void> {
  const r = await fetch('/api/surveys');
  const list = (await r.json()) as SurveyList & { error?: string };
  if (!r.ok) throw new Error(list.error ?? `${r.status} ${r.statusText}`);
  root.append(el('h1', { text: 'Surveys' }));
  if (list.surveys.length === 0) {
    root.append(emptyHelp(list));
    return;
  }
  const wanted = new URLSearchParams(location.search).get('survey');
  const known = list.surveys.some((s) => s.name === wanted);
  if (wanted !== null && !known) root.append(el('p', { class: 'error', role: 'alert', id: 'unknown-survey', text: `There is no survey named ${wanted} in ${list.dir}. Choose one below.` }));
  // Without a choice in the URL, the first survey that can be shown.
  const first = (list.surveys.find((s) => s.error === undefined) ?? list.surveys[0]!).name;
  const pick = el('select', { id: 'survey-select', name: 'survey' },
    ...list.surveys.map((s) => el('option', { value: s.name, text: s.error ? `${s.name} (cannot be shown)` : s.name, selected: s.name === (known ? wanted : first) })));
  const body = el('div');
  root.append(el('div', { class: 'toolbar' }, el('label', {}, 'survey ', pick)), body);
  const show = () => {
    const u = new URL(location.href);
    u.searchParams.set('survey', pick.value);
    history.replaceState(null, '', u);
    const s = list.surveys.find((x) => x.name === pick.value)!;
    if (s.error !== undefined) body.replaceChildren(el('p', { class: 'error', role: 'alert', id: 'survey-error', text: s.error }));
    else viewer(body, s);
  };
  pick.onchange = show;
  show();
}

function viewer(body: HTMLElement, s: SurveyInfo): void {
  const axes: Record<Direction, { first: number; step: number; count: number }> = {
    inline: s.inlines, crossline: s.crosslines, time: { first: 0, step: 1, count: s.samples },
  };
  const direction = el('select', { id: 'direction' },
    el('option', { value: 'inline', text: 'inline' }), el('option', { value: 'crossline', text: 'crossline' }), el('option', { value: 'time', text: s.unit === 'm' ? 'depth slice' : 'time slice' }));
  const slider = el('input', { type: 'range', id: 'section-slider' });
  const number = el('output', { id: 'section-number' });
  const useThreshold = el('input', { type: 'checkbox', id: 'use-threshold' });
  const tSlider = el('input', { type: 'range', id: 'threshold', min: 0, max: 1, step: 0.01, value: '0.50' });
  const tValue = el('output', { id: 'threshold-value', text: '0.5' });
  const canvas = el('canvas', { id: 'section-canvas', class: 'section', tabindex: 0, hidden: true }); // shown with its first section
  const title = el('p', { id: 'section-title' });
  const state = el('div', { id: 'section-state' });
  const key = el('div', { id: 'overlay-key' });
  const last = (d: Direction) => axes[d].first + (axes[d].count - 1) * axes[d].step;
  const vertical = (k: number) => `${num(s.firstSample + k * s.sampleStep, 2)} ${s.unit}`;
  const label = (d: Direction, n: number) => (d === 'time' ? `${vertical(n)} (sample ${n})` : `${d} ${n}`);

  body.replaceChildren(
    el('p', { class: 'muted', id: 'survey-files' }, `Seismic ${s.seismic}; salt probability ${s.probability}. `,
      `${s.inlines.count} inlines (${s.inlines.first}–${s.inlines.last}) × ${s.crosslines.count} crosslines (${s.crosslines.first}–${s.crosslines.last}) × ${s.samples} samples every ${num(s.sampleStep, 3)} ${s.unit}; amplitude clipped at ${num(s.clip[0], 3)} … ${num(s.clip[1], 3)} (1st and 99th percentiles).`),
    el('div', { class: 'toolbar' },
      el('label', {}, 'show ', direction),
      el('label', { class: 'section-pick' }, slider, ' ', number),
      el('label', {}, useThreshold, ' salt at threshold ', tSlider, ' ', tValue)),
    title, key, state, canvas);

  let section: Section | null = null;
  let asked = 0;
  const threshold = () => (useThreshold.checked ? Number(tSlider.value) : null);
  const redraw = () => {
    tValue.textContent = fmtThreshold(Number(tSlider.value));
    key.replaceChildren(threshold() === null ? colourBar() : legend('prediction'));
    if (section) draw(canvas, section, threshold());
  };
  const load = async () => {
    const d = direction.value as Direction, n = Number(slider.value), ask = ++asked;
    number.textContent = label(d, n);
    // The first section shows a loading line; later steps keep the last one on screen (dimmed) so the page does not jump under the slider.
    if (section) title.classList.add('muted');
    else state.replaceChildren(loading(`Reading ${label(d, n)}…`));
    try {
      const got = await fetchSection(s.name, d, n);
      if (ask !== asked) return; // a later slider step has been asked for
      section = got;
      title.textContent = d === 'time'
        ? `${s.unit === 'm' ? 'Depth' : 'Time'} slice at ${vertical(n)} (sample ${n} of 0–${s.samples - 1})`
        : `${d === 'inline' ? 'Inline' : 'Crossline'} ${n} (of ${axes[d].first}–${last(d)})`;
      state.replaceChildren();
      title.classList.remove('muted');
      canvas.hidden = false;
      redraw();
    } catch (e) {
      if (ask !== asked) return;
      canvas.hidden = true;
      section = null;
      title.textContent = '';
      state.replaceChildren(el('p', { class: 'error', role: 'alert', text: (e as Error).message }));
    }
  };
  const setDirection = () => {
    const a = axes[direction.value as Direction];
    slider.min = String(a.first);
    slider.max = String(last(direction.value as Direction));
    slider.step = String(a.step);
    slider.value = String(a.first + Math.floor(a.count / 2) * a.step);
    void load();
  };
  // Arrow keys step through sections from the canvas too (the slider has them when focused).
  canvas.addEventListener('keydown', (e) => {
    const k = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }[e.key];
    if (!k) return;
    e.preventDefault();
    const a = axes[direction.value as Direction], v = Math.max(a.first, Math.min(last(direction.value as Direction), Number(slider.value) + k * a.step));
    if (v !== Number(slider.value)) { slider.value = String(v); void load(); }
  });
  direction.onchange = setDirection;
  slider.oninput = () => void load();
  useThreshold.onchange = redraw;
  tSlider.oninput = () => { useThreshold.checked = true; redraw(); };
  setDirection();
}
