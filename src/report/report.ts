// `halite report`: one self-contained HTML page per run (figures inlined as SVG, tiles as PNG data
// URIs), readable offline and within a 1280-px window: summary, training curves with phase changes,
// the threshold sweep, the per-coverage-class table, the empty/non-empty confusion, a validation
// gallery, the data set's exploration figures, and the config, folded, at the end.
import { join } from 'node:path';
import { encode } from 'fast-png';
import { PIXELS, TILE } from '../data/rle.js';
import { readTgs, type TgsData } from '../data/tgs.js';
import { loadRun, type LoadedRun } from '../infer/run.js';
import { scoreValidation } from '../infer/validate.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Evaluation } from '../metrics/submission.js';
import { rng, shuffled } from '../data/random.js';
import { validationTiles } from '../data/split.js';
import { bestEpoch, readHistory, type EpochRecord } from '../run/history.js';
import { runPath } from '../run/layout.js';
import { runStatus } from '../run/status.js';
import { readTuning, type TuningRecord } from '../run/tuning.js';
import { coverage, coverageClass } from '../data/coverage.js';
import { dataSource } from '../data/source.js';
import { iou } from '../metrics/competition.js';
import { runDataGone } from '../run/config.js';
import { exploreFigures, writeExploreFiles } from './explore-figures.js';
import { lossLabel, num, score, threshold as fmtThreshold } from './format.js';
import { legendHtml, overlayPixels } from './overlay.js';
import { toSvg, type TopLevelSpec } from './plot.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * Two panels side by side (2*101+4 by 101 px, RGB): the tile alone, so its reflectors can be read,
 * and the tile with truth and prediction compared under the one overlay convention (report/overlay.ts).
 * @param image tile values in [0, 1], 101*101; truth, pred 0/1 masks of the same length
 */
export function galleryPng(image: Float32Array, truth: Uint8Array, pred: Uint8Array): Uint8Array {
  const gap = 4, w = TILE * 2 + gap;
  const rgb = new Uint8Array(w * TILE * 3).fill(255);
  const plain = overlayPixels(image, null, null, { unit: true }), both = overlayPixels(image, truth, pred, { unit: true });
  for (let y = 0; y < TILE; y++) {
    rgb.set(plain.subarray(y * TILE * 3, (y + 1) * TILE * 3), y * w * 3);
    rgb.set(both.subarray(y * TILE * 3, (y + 1) * TILE * 3), (y * w + TILE + gap) * 3);
  }
  return encode({ width: w, height: TILE, data: rgb, channels: 3, depth: 8 });
}

type Spec = Record<string, unknown>;
const epochAxis = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } } as const;

/** Phase changes: dashed rules, labelled above the plot area so no line or point is drawn over the label. */
function phaseMarks(history: EpochRecord[]): Spec[] {
  const changes = history.filter((h, i) => i > 0 && h.phase !== history[i - 1]!.phase)
    .map((h) => ({ epoch: h.epoch - 0.5, label: `phase ${h.phase}: ${lossLabel(h.loss)}` }));
  if (changes.length === 0) return [];
  return [{ data: { values: changes }, layer: [
    { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { x: { field: 'epoch', type: 'quantitative' } } },
    { mark: { type: 'text', align: 'center', baseline: 'bottom', y: -3, color: '#444', fontSize: 10 }, encoding: { x: { field: 'epoch', type: 'quantitative' }, text: { field: 'label' } } },
  ] }];
}

/**
 * The training curves: one loss panel per loss (BCE and Lovász live on different scales, so a
 * phase change must not read as divergence), then validation mAP and learning rate over all epochs.
 */
export function curves(history: EpochRecord[]): TopLevelSpec[] {
  const losses = [...new Set(history.map((h) => h.loss))];
  const lossPanels = losses.map((loss): TopLevelSpec => {
    const rows = history.filter((h) => h.loss === loss);
    const phases = [...new Set(rows.map((h) => h.phase))];
    const values = rows.flatMap((h) => [
      { epoch: h.epoch, value: h.train_loss, series: 'train', phase: h.phase },
      { epoch: h.epoch, value: h.val_loss, series: 'validation', phase: h.phase }]);
    return {
      title: `${lossLabel(loss)} loss (phase${phases.length > 1 ? 's' : ''} ${phases.join(', ')})`, width: 300, height: 200, data: { values },
      mark: { type: 'line', point: true },
      encoding: { x: epochAxis, y: { field: 'value', type: 'quantitative', title: `${lossLabel(loss)} loss`, scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top' } }, detail: { field: 'phase' } },
    } as TopLevelSpec;
  });
  const line = (title: string, key: keyof EpochRecord, y: Spec): TopLevelSpec => ({
    title: { text: title, offset: 16 }, width: 300, height: 200,
    layer: [{ data: { values: history.map((h) => ({ epoch: h.epoch, value: h[key] })) }, mark: { type: 'line', point: true },
      encoding: { x: epochAxis, y: { field: 'value', type: 'quantitative', ...y } } }, ...phaseMarks(history)],
  } as unknown as TopLevelSpec);
  return [
    ...lossPanels,
    line('Validation mAP (threshold 0.5, no TTA)', 'val_map', { title: 'mAP', scale: { domain: [0, 1] } }),
    // Log scale with labels like 5e-4, thinned so they never overlap.
    line('Learning rate (end of epoch)', 'lr', { title: 'learning rate', scale: { type: 'log' }, axis: { format: '.0e', labelOverlap: 'greedy', tickCount: 4 } }),
  ];
}

function table(e: Evaluation): string {
  const rows = e.byCoverageClass.map((r) => `<tr><td>${r.coverageClass}</td><td>${r.images}</td><td>${score(r.score)}</td></tr>`).join('');
  const c = e.confusion;
  return `<div class="two"><table><thead><tr><th>coverage class</th><th>images</th><th>score</th></tr></thead><tbody>${rows}</tbody></table>
<table><thead><tr><th></th><th>predicted empty</th><th>predicted salt</th></tr></thead><tbody>
<tr><th>truth empty</th><td>${c.bothEmpty}</td><td>${c.falseSalt}</td></tr><tr><th>truth salt</th><td>${c.missedSalt}</td><td>${c.bothSalt}</td></tr></tbody></table></div>`;
}

/**
 * The "best" gallery: the best-scoring tile of each coverage class with salt (1..10), so it shows
 * what the model gets right on salt rather than empty tiles predicted empty; topped up with the
 * next best salt tiles, and with empty tiles only when the validation set has too few with salt.
 * @param classes coverage class per tile; scores competition score per tile
 */
export function bestByClass(scores: readonly number[], classes: readonly number[], n = 10): number[] {
  const order = scores.map((_, k) => k).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const picks: number[] = [];
  for (let c = 1; c <= 10; c++) {
    const k = order.find((i) => classes[i] === c);
    if (k !== undefined) picks.push(k);
  }
  for (const k of order) if (picks.length < n && classes[k]! > 0 && !picks.includes(k)) picks.push(k);
  for (const k of order) if (picks.length < n && !picks.includes(k)) picks.push(k);
  return picks.slice(0, n).sort((a, b) => classes[a]! - classes[b]! || scores[b]! - scores[a]!);
}

/**
 * `map`: validation mAP with the tuned post-processing and flip TTA, scored now; or, when the run's
 * data folder is gone, the one threshold.json recorded at the end of training (NaN before tuning),
 * with `note` saying what was left out and why.
 */
export interface ReportResult { path: string; map: number; threshold: number; sections: string[]; note?: string }

/**
 * Writes RUN/report.html. A finished run whose data folder has been renamed or deleted (and no
 * `dataDir` given) still gets a report: summary, curves, threshold sweep and config, without the
 * sections that need its validation tiles, and a sentence saying so.
 */
export async function writeReport(runDir: string, dataDir?: string, seed = 0): Promise<ReportResult> {
  const run = loadRun(runDir);
  const history = readHistory(run.dir);
  const sweep = readTuning(run.dir);
  const gone = dataDir === undefined ? runDataGone(run.config) : null;
  const note = gone ? `${gone}, so this report leaves out the validation scores by coverage class, the gallery and the data figures; ` +
    `halite report ${run.dir} --data DIR, with the folder where it is now, draws them` : undefined;
  const data = gone ? null : await readTgs(dataDir ?? run.config.data);
  return writeHtml(run, history, sweep, data, note, seed);
}

async function writeHtml(run: LoadedRun, history: EpochRecord[], sweep: TuningRecord | null, data: TgsData | null, note: string | undefined, seed: number): Promise<ReportResult> {
  const v = data ? await validationSections(run, data, seed) : null;

  const curveSvgs = await Promise.all(curves(history).map(toSvg));
  const sweepSvg = sweep ? await toSvg({
    title: 'Threshold vs validation mAP (flip TTA)', width: 420, height: 220,
    layer: [
      { data: { values: sweep.points }, mark: { type: 'line', point: true }, encoding: { x: { field: 'threshold', type: 'quantitative' }, y: { field: 'score', type: 'quantitative', title: 'mAP' } } },
      { data: { values: [{ threshold: sweep.threshold, score: sweep.score, label: `chosen ${fmtThreshold(sweep.threshold)}` }] }, layer: [
        { mark: { type: 'point', size: 120, color: '#D55E00', filled: true }, encoding: { x: { field: 'threshold', type: 'quantitative' }, y: { field: 'score', type: 'quantitative' } } },
        { mark: { type: 'text', dy: -12, color: '#333' }, encoding: { x: { field: 'threshold', type: 'quantitative' }, y: { field: 'score', type: 'quantitative' }, text: { field: 'label' } } }] },
    ],
  } as TopLevelSpec) : '<p>No threshold sweep: the run did not finish.</p>';

  const best = bestEpoch(history);
  const minutes = history.reduce((a, h) => a + h.seconds, 0) / 60;
  const st = runStatus(run.dir);
  const status = st.detail === st.status ? st.status : `${st.status} (${st.detail})`;
  const source = dataSource(run.config.data);
  const post = `threshold ${fmtThreshold(run.post.threshold)}, minimum area ${run.post.minArea} px${run.post.gate !== null ? `, salt gate ${fmtThreshold(run.post.gate)}` : ''}`;
  const sections = v ? ['Summary', 'Training curves', 'Threshold', 'Scores by coverage class', 'Validation gallery', 'Data', 'Configuration'] : ['Summary', 'Training curves', 'Threshold', 'Configuration'];
  const map = v ? v.e.map : sweep?.score ?? NaN;
  const mapText = v
    ? `<strong>${score(v.e.map)}</strong> over ${v.e.images} tiles (tuned post-processing, flip TTA)`
    : sweep ? `<strong>${score(sweep.score)}</strong> (tuned post-processing${sweep.tta ? ', flip TTA' : ''}, as recorded at the end of training)` : '—';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>halite report · ${esc(run.dir)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:1180px;margin:2rem auto;padding:0 1rem;color:#222}h1{margin-bottom:0}
.sub{color:#666;margin-top:.2rem;overflow-wrap:anywhere}.note{overflow-wrap:anywhere}section{margin:2.2rem 0}table{border-collapse:collapse;margin:.5rem 1.5rem .5rem 0}td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:right;font-variant-numeric:tabular-nums}
.two{display:flex;flex-wrap:wrap;align-items:flex-start}.figs{display:flex;flex-wrap:wrap;gap:1rem}.fig{max-width:100%;overflow-x:auto}.fig svg{max-width:100%;height:auto}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(306px,1fr));gap:.8rem}
figure{margin:0}figure img{image-rendering:pixelated;width:306px;display:block}figcaption{font-size:12px;color:#555}pre{background:#f6f6f6;padding:.8rem;overflow:auto;font-size:12px}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;font-size:13px}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.35em;vertical-align:-.1em;border:1px solid #0003}
details summary{cursor:pointer;font-weight:600}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{color:#666}dd{margin:0;overflow-wrap:anywhere}</style></head><body>
<h1>halite run report</h1><p class="sub">${esc(run.dir)}</p>
<section id="summary"><h2>Summary</h2><dl>
<dt>model</dt><dd>${esc(run.config.model)} ${esc(JSON.stringify(run.config.modelOptions))}</dd>
<dt>trained on</dt><dd>${esc(source.text)}</dd>
<dt>status</dt><dd>${esc(status)}</dd><dt>epochs</dt><dd>${history.length} (${num(minutes, 1, true)} min)</dd>
<dt>best epoch</dt><dd>${best ? `${best.epoch}: validation mAP ${score(best.val_map)} at threshold 0.5` : '—'}</dd>
<dt>tuned post-processing</dt><dd>${post}</dd><dt>validation mAP</dt><dd>${mapText}</dd></dl>${note ? `<p class="note">${esc(note[0]!.toUpperCase() + note.slice(1))}.</p>` : ''}</section>
<section id="curves"><h2>Training curves</h2><p>Each loss has its own panel and axis: BCE and Lovász losses are on different scales. Dashed lines mark phase changes.</p><div class="figs">${curveSvgs.map((s) => `<div class="fig">${s}</div>`).join('')}</div></section>
<section id="threshold"><h2>Threshold</h2><div class="fig">${sweepSvg}</div></section>
${v ? `<section id="classes"><h2>Scores by coverage class</h2>${table(v.e)}</section>
<section id="gallery"><h2>Validation gallery</h2><p>Each tile: the seismic image alone, then truth and prediction over it. Under each: the tile id, its coverage class, its competition score and IoU.</p>${legendHtml('compare')}${v.gallery}</section>
<section id="data"><h2>Data</h2><div class="figs">${v.exploreSvgs}</div></section>
` : ''}<section id="config"><h2>Configuration</h2><details><summary>config.json</summary><pre>${esc(JSON.stringify(run.config, null, 2))}</pre></details></section>
</body></html>`;
  const path = runPath(run.dir, 'report');
  writeFileAtomic(path, html);
  run.model.dispose();
  return { path, map, threshold: run.post.threshold, sections, ...(note ? { note } : {}) };
}

/** What needs the validation tiles: their scores by class, the gallery, and the data set's figures. */
async function validationSections(run: LoadedRun, data: TgsData, seed: number): Promise<{ e: Evaluation; gallery: string; exploreSvgs: string }> {
  const { ids, images, masks: truth } = validationTiles(data, run.config);
  const { preds, scores, evaluation: e } = scoreValidation(run, { ids, images, masks: truth });
  const order = ids.map((_, k) => k).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const classes = ids.map((_, k) => coverageClass(coverage(truth.subarray(k * PIXELS, (k + 1) * PIXELS))));
  const pick = {
    'best of each coverage class': bestByClass(scores, classes),
    worst: order.slice(-8).reverse(),
    random: shuffled(order, rng(seed)).slice(0, 8),
  };
  const tile = (k: number) => {
    const t = truth.subarray(k * PIXELS, (k + 1) * PIXELS);
    const png = Buffer.from(galleryPng(images.subarray(k * PIXELS, (k + 1) * PIXELS), t, preds[k]!)).toString('base64');
    return `<figure><img alt="${esc(ids[k]!)}" src="data:image/png;base64,${png}"><figcaption><b>${esc(ids[k]!)}</b> · class ${classes[k]}<br>score ${score(scores[k])} · IoU ${score(iou(t, preds[k]!))}</figcaption></figure>`;
  };
  const gallery = Object.entries(pick).map(([name, ks]) => `<h3>${name}</h3><div class="gallery">${ks.map(tile).join('')}</div>`).join('');

  // The figures go into the page from memory; run/explore/ keeps them as files beside it.
  const exploration = await exploreFigures(data, seed);
  writeExploreFiles(join(run.dir, 'explore'), exploration);
  const exploreSvgs = exploration.figures.map((f) => `<div class="fig">${f.svg}</div>`).join('');
  return { e, gallery, exploreSvgs };
}
