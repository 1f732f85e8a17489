// A run's validation tiles with truth and prediction compared under the one overlay convention.
// The threshold slider re-draws the masks and re-computes the competition metric here in the page,
// with halite's own metric and post-processing code, so at the tuned settings it shows the score
// the run was tuned to.
import { imageScore, iou, meanScore } from '../../src/metrics/competition.js';
import { postprocessMask } from '../../src/infer/tune.js';
import { score as fmtScore, threshold as fmtThreshold } from '../../src/report/format.js';
import { bytes, getJson, type Validation } from '../api.js';
import { drawOverlay, el, legend, loading, postprocessText, runPicker, runsWithWeights, threshold } from '../dom.js';

/** Tiles drawn at once: enough to scan, few enough to redraw on every slider step. */
const SHOWN = 60;

export async function predictionsPage(root: HTMLElement): Promise<void> {
  const { runs, chosen } = await runsWithWeights(root, 'Predictions');
  if (runs.length === 0) return;
  const pick = runPicker(runs, chosen);
  const body = el('div');
  root.append(el('div', { class: 'toolbar' }, el('label', {}, 'run ', pick)), body);
  const show = async () => {
    const run = runs.find((r) => r.name === pick.value)!;
    body.replaceChildren(el('p', { class: 'muted', id: 'run-data', text: `Trained on ${run.data.text}.` }), loading('Predicting the validation tiles with flip TTA…'));
    const v = await getJson<Validation>(`/api/runs/${encodeURIComponent(pick.value)}/validation`);
    renderValidation(body, v, run.data.text);
  };
  const showing = () => show().catch((e) => body.replaceChildren(el('p', { class: 'error', role: 'alert', text: (e as Error).message })));
  pick.onchange = () => void showing();
  if (chosen !== null) await showing();
}

function renderValidation(body: HTMLElement, v: Validation, data: string): void {
  const n = v.ids.length, px = v.size * v.size;
  const images = bytes(v.images), truthsAll = bytes(v.truths), probs = bytes(v.probs);
  const truths = v.ids.map((_, k) => truthsAll.subarray(k * px, (k + 1) * px));

  const slider = el('input', { type: 'range', id: 'threshold', min: 0, max: 1, step: 0.01, value: v.threshold.toFixed(2) });
  const tLabel = el('output', { id: 'threshold-value' });
  const postText = postprocessText(v, v.salt !== null);
  const post = el('input', { type: 'checkbox', id: 'postprocess', checked: true });
  const score = el('strong', { id: 'map-value' });
  const order = el('select', { id: 'order' }, el('option', { value: 'worst', text: 'worst first' }), el('option', { value: 'best', text: 'best first' }), el('option', { value: 'id', text: 'by id' }));
  const count = el('p', { id: 'tile-count' });
  const grid = el('div', { class: 'grid', id: 'prediction-grid' });
  body.replaceChildren(
    el('div', { class: 'toolbar' },
      el('label', {}, 'threshold ', slider, ' ', tLabel),
      el('label', {}, post, ` ${postText}`),
      el('span', {}, `validation mAP over ${n} tiles: `, score),
      el('label', {}, 'order ', order)),
    el('p', { class: 'muted', id: 'run-data', text: `Trained on ${data}. Tuned threshold ${fmtThreshold(v.threshold)}, ${postText}.` }),
    legend('compare'),
    count,
    grid);

  const redraw = () => {
    const t = Number(slider.value);
    const preds = v.ids.map((_, k) => {
      const m = threshold(probs, t, k * px, px);
      return post.checked ? postprocessMask(m, v.salt?.[k] ?? null, v) : m;
    });
    const scores = preds.map((p, k) => imageScore(truths[k]!, p));
    tLabel.textContent = t.toFixed(2);
    score.textContent = fmtScore(meanScore(truths, preds));
    const ks = v.ids.map((_, k) => k);
    if (order.value === 'worst') ks.sort((a, b) => scores[a]! - scores[b]! || a - b);
    if (order.value === 'best') ks.sort((a, b) => scores[b]! - scores[a]! || a - b);
    const shown = Math.min(SHOWN, n);
    count.textContent = shown < n
      ? `Showing ${shown} of the ${n} validation tiles it scores (${order.selectedOptions[0]!.text}); the mAP is over all ${n}.`
      : `Showing all ${n} validation tiles it scores (${order.selectedOptions[0]!.text}).`;
    grid.replaceChildren(...ks.slice(0, SHOWN).map((k) => {
      const c = el('canvas', { class: 'tile' });
      drawOverlay(c, v.size, v.size, images.subarray(k * px, (k + 1) * px), truths[k]!, preds[k]!);
      return el('figure', {}, c, el('figcaption', {}, el('b', { text: v.ids[k]! }), el('br'), `score ${fmtScore(scores[k])} · IoU ${fmtScore(iou(truths[k]!, preds[k]!))}`));
    }));
  };
  slider.oninput = redraw;
  order.onchange = redraw;
  post.onchange = redraw;
  redraw();
}
