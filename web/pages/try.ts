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
  const form = el('form', { class: 'toolbar' }, el('label', {}, 'run ', pick), file, go);
  const out = el('div', { id: 'try-result' });
  root.append(el('p', { text: 'Upload a seismic PNG: one 101×101 tile, or a larger section, which is cut into overlapping tiles, predicted with flip TTA and stitched.' }), form, out);

  form.onsubmit = async (e) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!pick.value) { out.replaceChildren(el('p', { class: 'error', role: 'alert', text: 'Choose a run first.' })); return; }
    if (!f) { out.replaceChildren(el('p', { class: 'error', role: 'alert', text: 'Choose a PNG first.' })); return; }
    const fd = new FormData();
    fd.append('image', f, f.name);
    go.disabled = true;
    out.replaceChildren(loading(`Predicting ${f.name}…`));
    try {
      show(out, await getJson<TryResult>(`/api/runs/${encodeURIComponent(pick.value)}/try`, { method: 'POST', body: fd }), f.name);
    } catch (err) {
      out.replaceChildren(el('p', { class: 'error', role: 'alert', text: (err as Error).message }));
    } finally {
      go.disabled = false;
    }
  };
}

function show(out: HTMLElement, r: TryResult, name: string): void {
  const image = bytes(r.image), raw = bytes(r.probs);
  const probs = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
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
    info.textContent = `${name}: ${r.width}×${r.height}, ${r.tiles} tile${r.tiles === 1 ? '' : 's'}, ${num(r.seconds, 2, true)} s · threshold ${t.toFixed(2)} · salt ${percent(salt / mask.length)} of the image`;
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
