// Try a model on an image: a 101×101 tile, or a larger section that the server tiles, predicts
// and stitches. The threshold can be moved afterwards without predicting again. A tile gets the
// run's tuned minimum area and gate too, so it shows what halite predict would submit for it.
import { TILE } from '../../src/data/rle.js';
import { postprocessMask } from '../../src/infer/tune.js';
import { bytes, getJson, type TryResult } from '../api.js';
import { drawOverlay, runsWithWeights, el, postprocessText, threshold } from '../dom.js';

export async function tryPage(root: HTMLElement): Promise<void> {
  const runs = await runsWithWeights(root, 'Try it');
  if (runs.length === 0) return;
  const pick = el('select', { id: 'run-select', name: 'run' }, ...runs.map((r) => el('option', { value: r.name, text: r.name })));
  const file = el('input', { type: 'file', id: 'upload', name: 'image', accept: 'image/png' });
  const go = el('button', { type: 'submit', id: 'predict', text: 'Predict' });
  const form = el('form', { class: 'toolbar' }, el('label', {}, 'run ', pick), file, go);
  const out = el('div', { id: 'try-result' });
  root.append(el('p', { text: 'Upload a seismic PNG: one 101×101 tile, or a larger section, which is cut into overlapping tiles, predicted with flip TTA and stitched.' }), form, out);

  form.onsubmit = async (e) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!f) { out.replaceChildren(el('p', { class: 'error', text: 'Choose a PNG first.' })); return; }
    const fd = new FormData();
    fd.append('image', f, f.name);
    go.disabled = true;
    out.replaceChildren(el('p', { class: 'muted', text: `Predicting ${f.name}…` }));
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
  const image = bytes(r.image), probs = bytes(r.probs);
  // The same test the prediction worker makes before it returns ungated tile probabilities.
  const tile = r.width === TILE && r.height === TILE;
  const canvas = el('canvas', { id: 'try-canvas', class: 'large' });
  const slider = el('input', { type: 'range', min: 0, max: 1, step: 0.01, value: r.threshold.toFixed(2), id: 'try-threshold' });
  const post = el('input', { type: 'checkbox', id: 'try-postprocess', checked: tile, disabled: !tile });
  const postNote = tile ? '' : ' (tuned per 101×101 tile: not applied to a section)';
  const info = el('p', { id: 'try-info' });
  const redraw = () => {
    const m = threshold(probs, Number(slider.value));
    const mask = post.checked ? postprocessMask(m, r.salt, r) : m;
    const salt = mask.reduce((a, b) => a + b, 0);
    drawOverlay(canvas, r.width, r.height, image, null, mask);
    info.textContent = `${name}: ${r.width}×${r.height}, ${r.tiles} tile${r.tiles === 1 ? '' : 's'}, ${r.seconds.toFixed(2)} s · threshold ${Number(slider.value).toFixed(2)} · salt ${(100 * salt / mask.length).toFixed(1)}% of the image`;
  };
  slider.oninput = redraw;
  post.onchange = redraw;
  out.replaceChildren(el('div', { class: 'toolbar' }, el('label', {}, 'threshold ', slider), el('label', {}, post, ` ${postprocessText(r, r.salt !== null)}${postNote}`)), info, canvas);
  redraw();
}
