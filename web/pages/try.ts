// Try a model on an image: a 101×101 tile, or a larger section that the server tiles, predicts
// and stitches. The threshold can be moved afterwards without predicting again. A tile gets the
// run's tuned minimum area and gate too, so it shows what halite predict would submit for it.
// The mask shown and the probabilities behind it can be downloaded.
import { TILE } from '../../src/data/rle.js';
import { postprocessMask } from '../../src/infer/tune.js';
import { num, percent } from '../../src/report/format.js';
import { bytes, getJson, type TryResult } from '../api.js';
import { drawOverlay, el, legend, loading, postprocessText, runPicker, runsWithWeights, threshold } from '../dom.js';
import { maskPng, npyFloat32, saveAs } from '../download.js';

export async function tryPage(root: HTMLElement): Promise<void> {
  const { runs, chosen } = await runsWithWeights(root, 'Try it');
  if (runs.length === 0) return;
  const pick = runPicker(runs, chosen);
  const file = el('input', { type: 'file', id: 'upload', name: 'image', accept: 'image/png' });
  const go = el('button', { type: 'submit', id: 'predict', text: 'Predict' });
  const engine = el('select', { id: 'try-engine', title: 'where the network runs' },
    el('option', { value: 'server', text: 'on the server (libtorch)' }),
    el('option', { value: 'browser', text: 'in this browser (onnxruntime-web, WASM; 101×101 tiles)' }));
  const form = el('form', { class: 'toolbar' }, el('label', {}, 'run ', pick), file, el('label', {}, 'predict ', engine), go);
  const out = el('div', { id: 'try-result' });
  root.append(el('p', { text: 'Upload a seismic PNG: one 101×101 tile, or a larger section, which is cut into overlapping tiles, predicted with flip TTA and stitched.' }), form, out);

  form.onsubmit = async (e) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!pick.value) { out.replaceChildren(el('p', { class: 'error', role: 'alert', text: 'Choose a run first.' })); return; }
    if (!f) { out.replaceChildren(el('p', { class: 'error', role: 'alert', text: 'Choose a PNG first.' })); return; }
    go.disabled = true;
    out.replaceChildren(loading(`Predicting ${f.name}…`));
    try {
      if (engine.value === 'browser') {
        show(out, await predictInBrowser(pick.value, f), f.name);
        return;
      }
      const fd = new FormData();
      fd.append('image', f, f.name);
      const r = await getJson<TryResult>(`/api/runs/${encodeURIComponent(pick.value)}/try`, { method: 'POST', body: fd });
      const raw = bytes(r.probs);
      show(out, { ...r, image: bytes(r.image), probs: new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), engine: 'on the server (libtorch)' }, f.name);
    } catch (err) {
      out.replaceChildren(el('p', { class: 'error', role: 'alert', text: (err as Error).message }));
    } finally {
      go.disabled = false;
    }
  };
}

/** A prediction to show: the server's answer decoded, or the browser's own. */
type Shown = Omit<TryResult, 'image' | 'probs'> & { image: Uint8Array; probs: Float32Array; engine: string };

type Ort = typeof import('onnxruntime-web');
/** Loaded from the server at run time (not bundled): the page pays for it only when the browser predicts. */
const ORT_URL = '/assets/ort/ort.wasm.min.mjs';
let ortModule: Promise<Ort> | null = null;
const sessions = new Map<string, Promise<{ session: import('onnxruntime-web').InferenceSession; post: Pick<TryResult, 'threshold' | 'minArea' | 'gate'> }>>();

/** The run's exported model in onnxruntime-web, fetched once per run and page. */
function browserModel(run: string) {
  let s = sessions.get(run);
  if (!s) {
    s = (async () => {
      const ort = await (ortModule ??= import(/* not bundled */ ORT_URL as string) as Promise<Ort>);
      ort.env.wasm.wasmPaths = '/assets/ort/';
      // Threads need a cross-origin isolated page (SharedArrayBuffer); one thread runs anywhere.
      ort.env.wasm.numThreads = 1;
      const r = await fetch(`/api/runs/${encodeURIComponent(run)}/model.onnx`);
      if (!r.ok) throw new Error(((await r.json().catch(() => ({}))) as { error?: string }).error ?? `${r.status} ${r.statusText}`);
      const post = JSON.parse(r.headers.get('x-halite-postprocess') ?? '{}') as Pick<TryResult, 'threshold' | 'minArea' | 'gate'>;
      const session = await ort.InferenceSession.create(new Uint8Array(await r.arrayBuffer()), { executionProviders: ['wasm'] });
      return { session, post };
    })();
    s.catch(() => sessions.delete(run));
    sessions.set(run, s);
  }
  return s;
}

/** The image's grey levels in [0, 1] (the red channel: a grey PNG's level), decoded by the browser. */
async function greyLevels(f: File): Promise<{ width: number; height: number; pixels: Float32Array; bytes: Uint8Array }> {
  const bitmap = await createImageBitmap(f, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const c = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = c.getContext('2d')!;
  g.drawImage(bitmap, 0, 0);
  const rgba = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const bytes = new Uint8Array(bitmap.width * bitmap.height);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rgba[4 * i]!;
  return { width: bitmap.width, height: bitmap.height, pixels: Float32Array.from(bytes, (v) => v / 255), bytes };
}

/** Try it in the browser: the run's ONNX export (flip TTA baked in) on one 101×101 tile, timed. */
async function predictInBrowser(run: string, f: File): Promise<Shown> {
  const img = await greyLevels(f);
  if (img.width !== TILE || img.height !== TILE) throw new Error(`${f.name} is ${img.width}×${img.height}: the browser predicts 101×101 tiles; predict larger images on the server`);
  const { session, post } = await browserModel(run);
  const ort = await ortModule!;
  const t0 = performance.now();
  const r = await session.run({ image: new ort.Tensor('float32', img.pixels, [1, 1, TILE, TILE]) });
  const seconds = (performance.now() - t0) / 1000;
  const salt = r.salt ? (r.salt.data as Float32Array)[0]! : null;
  return { width: TILE, height: TILE, ...post, salt: post.gate !== null ? salt : null, tiles: 1, seconds, image: img.bytes,
    probs: new Float32Array(r.probability!.data as Float32Array), engine: 'in this browser (onnxruntime-web, WASM)' };
}

function show(out: HTMLElement, r: Shown, name: string): void {
  const image = r.image, probs = r.probs;
  // The same test the prediction worker makes before it returns ungated tile probabilities.
  const tile = r.width === TILE && r.height === TILE;
  const canvas = el('canvas', { id: 'try-canvas', class: 'large' });
  const slider = el('input', { type: 'range', min: 0, max: 1, step: 0.01, value: r.threshold.toFixed(2), id: 'try-threshold' });
  const value = el('output', { id: 'try-threshold-value', for: 'try-threshold' });
  const post = el('input', { type: 'checkbox', id: 'try-postprocess', checked: tile, disabled: !tile });
  const postNote = tile ? '' : ' (tuned per 101×101 tile: not applied to a section)';
  const info = el('p', { id: 'try-info' });
  const base = name.replace(/\.png$/i, '');
  let mask: Uint8Array = new Uint8Array(0);
  const redraw = () => {
    const t = Number(slider.value);
    const m = threshold(probs, t, 0, probs.length, 1);
    mask = post.checked ? postprocessMask(m, r.salt, r) : m;
    const salt = mask.reduce((a, b) => a + b, 0);
    drawOverlay(canvas, r.width, r.height, image, null, mask);
    value.textContent = t.toFixed(2);
    info.textContent = `${name}: ${r.width}×${r.height}, ${r.tiles} tile${r.tiles === 1 ? '' : 's'}, predicted ${r.engine} in ${num(r.seconds, 2, true)} s · threshold ${t.toFixed(2)} · salt ${percent(salt / mask.length)} of the image`;
  };
  const saveMask = el('button', { type: 'button', id: 'download-mask', text: 'Download the mask (PNG)', title: '8-bit grey PNG, salt 255, as halite predict --masks writes it' });
  saveMask.onclick = () => saveAs(maskPng(mask, r.width, r.height), `${base}-mask.png`, 'image/png');
  // .npy: float32 as predicted, shape (height, width); np.load reads it in one line, where a PNG would round it to 8 or 16 bits.
  const saveProbs = el('button', { type: 'button', id: 'download-probs', text: 'Download the probabilities (.npy)', title: `float32 array of shape (${r.height}, ${r.width}): numpy.load("${base}-probabilities.npy")` });
  saveProbs.onclick = () => saveAs(npyFloat32(probs, r.height, r.width), `${base}-probabilities.npy`, 'application/octet-stream');
  slider.oninput = redraw;
  post.onchange = redraw;
  out.replaceChildren(
    el('div', { class: 'toolbar' }, el('label', {}, 'threshold ', slider, ' ', value), el('label', {}, post, ` ${postprocessText(r, r.salt !== null)}${postNote}`)),
    info, legend('prediction'), canvas,
    el('div', { class: 'toolbar' }, saveMask, saveProbs, el('span', { class: 'muted', text: 'The mask as shown (threshold and post-processing); the probabilities as predicted, float32, for numpy.load.' })));
  redraw();
}
