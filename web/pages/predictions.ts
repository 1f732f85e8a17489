// A run's validation tiles with truth and prediction overlaid. The threshold slider re-draws the
// masks and re-computes the competition metric here in the page, with halite's own metric and
// post-processing code, so at the tuned settings it shows the score the run was tuned to.
import { imageScore, meanScore } from '../../src/metrics/competition.js';
import { postprocessMask } from '../../src/infer/tune.js';
import { bytes, getJson, type Validation } from '../api.js';
import { drawOverlay, runsWithWeights, el, fmt, postprocessText, threshold } from '../dom.js';

const SHOWN = 60;

export async function predictionsPage(root: HTMLElement): Promise<void> {
  const runs = await runsWithWeights(root, 'Predictions');
  if (runs.length === 0) return;
  const wanted = new URLSearchParams(location.search).get('run');
  const pick = el('select', { id: 'run-select' }, ...runs.map((r) => el('option', { value: r.name, text: r.name, selected: r.name === wanted })));
  const body = el('div');
  root.append(el('div', { class: 'toolbar' }, el('label', {}, 'run ', pick)), body);
  const show = async () => {
    body.replaceChildren(el('p', { class: 'muted', text: 'Predicting the validation tiles with flip TTA…' }));
    const v = await getJson<Validation>(`/api/runs/${encodeURIComponent(pick.value)}/validation`);
    renderValidation(body, v);
  };
  pick.onchange = () => void show().catch((e) => body.replaceChildren(el('p', { class: 'error', text: (e as Error).message })));
  await show();
}

function renderValidation(body: HTMLElement, v: Validation): void {
  const n = v.ids.length, px = v.size * v.size;
  const images = bytes(v.images), truthsAll = bytes(v.truths), probs = bytes(v.probs);
  const truths = v.ids.map((_, k) => truthsAll.subarray(k * px, (k + 1) * px));

  const slider = el('input', { type: 'range', id: 'threshold', min: 0, max: 1, step: 0.01, value: v.threshold.toFixed(2) });
  const tLabel = el('output', { id: 'threshold-value' });
  const postText = postprocessText(v, v.salt !== null);
  const post = el('input', { type: 'checkbox', id: 'postprocess', checked: true });
  const score = el('strong', { id: 'map-value' });
  const order = el('select', { id: 'order' }, el('option', { value: 'worst', text: 'worst first' }), el('option', { value: 'best', text: 'best first' }), el('option', { value: 'id', text: 'by id' }));
  const grid = el('div', { class: 'grid', id: 'prediction-grid' });
  body.replaceChildren(
    el('div', { class: 'toolbar' },
      el('label', {}, 'threshold ', slider, ' ', tLabel),
      el('label', {}, post, ` ${postText}`),
      el('span', {}, `validation mAP over ${n} tiles: `, score),
      el('label', {}, 'order ', order)),
    el('p', { class: 'muted', text: `Run's tuned threshold ${v.threshold.toFixed(3)}, ${postText}. Truth in white, prediction in orange.` }),
    grid);

  const redraw = () => {
    const t = Number(slider.value);
    const preds = v.ids.map((_, k) => {
      const m = threshold(probs, t, k * px, px);
      return post.checked ? postprocessMask(m, v.salt?.[k] ?? null, v) : m;
    });
    const scores = preds.map((p, k) => imageScore(truths[k]!, p));
    tLabel.textContent = t.toFixed(2);
    score.textContent = fmt(meanScore(truths, preds));
    const ks = v.ids.map((_, k) => k);
    if (order.value === 'worst') ks.sort((a, b) => scores[a]! - scores[b]! || a - b);
    if (order.value === 'best') ks.sort((a, b) => scores[b]! - scores[a]! || a - b);
    grid.replaceChildren(...ks.slice(0, SHOWN).map((k) => {
      const c = el('canvas', { class: 'tile' });
      drawOverlay(c, v.size, v.size, images.subarray(k * px, (k + 1) * px), truths[k]!, preds[k]!);
      return el('figure', {}, c, el('figcaption', { text: `${v.ids[k]} · ${scores[k]!.toFixed(2)}` }));
    }));
  };
  slider.oninput = redraw;
  order.onchange = redraw;
  post.onchange = redraw;
  redraw();
}
