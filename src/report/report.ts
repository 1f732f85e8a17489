// `halite report`: one self-contained HTML page per run (figures inlined as SVG, tiles as PNG data
// URIs), readable offline: config and summary, training curves with phase changes, the threshold
// sweep, the per-coverage-class table, the empty/non-empty confusion, a validation gallery, and the
// data set's exploration figures.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { explore } from '../data/explore.js';
import { PIXELS, TILE } from '../data/rle.js';
import { readTgs } from '../data/tgs.js';
import { loadRun } from '../infer/run.js';
import { scoreValidation } from '../infer/validate.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Evaluation } from '../metrics/submission.js';
import { rng, shuffled } from '../data/random.js';
import { validationTiles, type EpochRecord } from '../train/trainer.js';
import { bestEpoch, readHistory, readThreshold } from '../train/history.js';
import { toSvg, type TopLevelSpec } from './plot.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The tile in grey with truth in white and prediction in grey overlaid, as in the second write-up. */
export function galleryPng(image: Float32Array, truth: Uint8Array, pred: Uint8Array): Uint8Array {
  // Three panels side by side: tile, truth (white), prediction (grey) over the tile.
  const w = TILE * 3 + 4;
  const rgb = new Uint8Array(w * TILE * 3).fill(255);
  for (let y = 0; y < TILE; y++) {
    for (let x = 0; x < TILE; x++) {
      const i = y * TILE + x;
      const v = Math.round(image[i]! * 255);
      const put = (px: number, r: number, g: number, b: number) => { const k = (y * w + px) * 3; rgb[k] = r; rgb[k + 1] = g; rgb[k + 2] = b; };
      put(x, v, v, v);
      put(TILE + 2 + x, truth[i] ? 255 : v * 0.5, truth[i] ? 255 : v * 0.5, truth[i] ? 255 : v * 0.5);
      const p = pred[i] ? 150 : v * 0.5;
      put(2 * TILE + 4 + x, p, pred[i] ? 150 : v * 0.5, pred[i] ? 230 : v * 0.5);
    }
  }
  return encode({ width: w, height: TILE, data: rgb, channels: 3, depth: 8 });
}

function curves(history: EpochRecord[]): TopLevelSpec[] {
  const long = (keys: [keyof EpochRecord, string][]) =>
    history.flatMap((h) => keys.map(([k, label]) => ({ epoch: h.epoch, value: h[k] as number, series: label, phase: `${h.phase}: ${h.loss}` })));
  const changes = history.filter((h, i) => i > 0 && h.phase !== history[i - 1]!.phase).map((h) => ({ epoch: h.epoch - 0.5, label: `→ ${h.loss}` }));
  const rule = { data: { values: changes }, layer: [
    { mark: { type: 'rule' as const, strokeDash: [4, 3], color: '#888' }, encoding: { x: { field: 'epoch', type: 'quantitative' as const } } },
    { mark: { type: 'text' as const, align: 'left' as const, dx: 3, y: 8, color: '#555' }, encoding: { x: { field: 'epoch', type: 'quantitative' as const }, text: { field: 'label' } } },
  ] };
  const chart = (title: string, values: object[], y: string, scale?: object): TopLevelSpec => ({
    title, width: 420, height: 220,
    layer: [
      { data: { values }, mark: { type: 'line', point: true }, encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: y, ...(scale ? { scale } : {}) },
        color: { field: 'series', type: 'nominal', title: null } } },
      rule,
    ],
  } as TopLevelSpec);
  return [
    chart('Loss', long([['train_loss', 'train'], ['val_loss', 'validation']]), 'loss'),
    chart('Validation mAP (threshold 0.5, no TTA)', long([['val_map', 'validation mAP']]), 'mAP', { domain: [0, 1] }),
    chart('Learning rate', long([['lr', 'lr']]), 'learning rate', { type: 'log' }),
  ];
}

function table(e: Evaluation): string {
  const rows = e.byCoverageClass.map((r) => `<tr><td>${r.coverageClass}</td><td>${r.images}</td><td>${r.score.toFixed(4)}</td></tr>`).join('');
  const c = e.confusion;
  return `<div class="two"><table><thead><tr><th>coverage class</th><th>images</th><th>score</th></tr></thead><tbody>${rows}</tbody></table>
<table><thead><tr><th></th><th>predicted empty</th><th>predicted salt</th></tr></thead><tbody>
<tr><th>truth empty</th><td>${c.bothEmpty}</td><td>${c.falseSalt}</td></tr><tr><th>truth salt</th><td>${c.missedSalt}</td><td>${c.bothSalt}</td></tr></tbody></table></div>`;
}

export interface ReportResult { path: string; map: number; threshold: number; sections: string[] }

export async function writeReport(runDir: string, dataDir?: string, seed = 0): Promise<ReportResult> {
  const run = loadRun(runDir);
  const history = readHistory(run.dir);
  const sweep = readThreshold(run.dir);
  const data = await readTgs(dataDir ?? run.config.data);
  const { ids, images, masks: truth } = validationTiles(data, run.config);
  const { preds, scores, evaluation: e } = scoreValidation(run, { ids, images, masks: truth });

  const order = ids.map((_, k) => k).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const pick = { best: order.slice(0, 8), worst: order.slice(-8).reverse(), random: shuffled(order, rng(seed)).slice(0, 8) };
  const tile = (k: number) => {
    const png = Buffer.from(galleryPng(images.subarray(k * PIXELS, (k + 1) * PIXELS), truth.subarray(k * PIXELS, (k + 1) * PIXELS), preds[k]!)).toString('base64');
    return `<figure><img alt="${esc(ids[k]!)}" src="data:image/png;base64,${png}"><figcaption>${esc(ids[k]!)} · score ${scores[k]!.toFixed(2)}</figcaption></figure>`;
  };
  const gallery = Object.entries(pick).map(([name, ks]) => `<h3>${name}</h3><div class="gallery">${ks.map(tile).join('')}</div>`).join('');

  const curveSvgs = await Promise.all(curves(history).map(toSvg));
  const sweepSvg = sweep ? await toSvg({
    title: 'Threshold vs validation mAP (flip TTA)', width: 420, height: 220,
    layer: [
      { data: { values: sweep.points }, mark: { type: 'line', point: true }, encoding: { x: { field: 'threshold', type: 'quantitative' }, y: { field: 'score', type: 'quantitative', title: 'mAP' } } },
      { data: { values: [{ threshold: sweep.threshold, score: sweep.score }] }, mark: { type: 'point', size: 120, color: '#d62728', filled: true }, encoding: { x: { field: 'threshold', type: 'quantitative' }, y: { field: 'score', type: 'quantitative' } } },
    ],
  } as TopLevelSpec) : '<p>No threshold sweep: the run did not finish.</p>';

  const { files } = await explore(data, join(run.dir, 'explore'), seed);
  const exploreSvgs = files.filter((f) => f.endsWith('.svg')).map((f) => `<div class="fig">${readFileSync(f, 'utf8')}</div>`).join('');

  const best = bestEpoch(history);
  const minutes = history.reduce((a, h) => a + h.seconds, 0) / 60;
  const status = existsSync(join(run.dir, 'status')) ? readFileSync(join(run.dir, 'status'), 'utf8').trim() : 'unknown';
  const sections = ['Summary', 'Configuration', 'Training curves', 'Threshold', 'Scores by coverage class', 'Validation gallery', 'Data'];
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>halite report · ${esc(run.dir)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#222}h1{margin-bottom:0}
.sub{color:#666;margin-top:.2rem}section{margin:2.2rem 0}table{border-collapse:collapse;margin:.5rem 1.5rem .5rem 0}td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:right}
.two{display:flex;flex-wrap:wrap;align-items:flex-start}.figs{display:flex;flex-wrap:wrap;gap:1rem}.gallery{display:flex;flex-wrap:wrap;gap:.6rem}
figure{margin:0}figure img{image-rendering:pixelated;width:309px}figcaption{font-size:12px;color:#555}pre{background:#f6f6f6;padding:.8rem;overflow:auto;font-size:12px}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{color:#666}</style></head><body>
<h1>halite run report</h1><p class="sub">${esc(run.dir)}</p>
<section id="summary"><h2>Summary</h2><dl>
<dt>model</dt><dd>${esc(run.config.model)} ${esc(JSON.stringify(run.config.modelOptions))}</dd>
<dt>status</dt><dd>${esc(status)}</dd><dt>epochs</dt><dd>${history.length} (${minutes.toFixed(1)} min)</dd>
<dt>best epoch</dt><dd>${best ? `${best.epoch}: validation mAP ${best.val_map.toFixed(4)} at threshold 0.5` : '—'}</dd>
<dt>tuned threshold</dt><dd>${run.post.threshold.toFixed(3)}</dd><dt>validation mAP</dt><dd><strong>${e.map.toFixed(4)}</strong> over ${e.images} tiles (tuned threshold, flip TTA)</dd></dl></section>
<section id="config"><h2>Configuration</h2><pre>${esc(JSON.stringify(run.config, null, 2))}</pre></section>
<section id="curves"><h2>Training curves</h2><p>Dashed lines mark phase changes.</p><div class="figs">${curveSvgs.map((s) => `<div class="fig">${s}</div>`).join('')}</div></section>
<section id="threshold"><h2>Threshold</h2><div class="fig">${sweepSvg}</div></section>
<section id="classes"><h2>Scores by coverage class</h2>${table(e)}</section>
<section id="gallery"><h2>Validation gallery</h2><p>Each tile: the seismic image, the true salt (white), the prediction (grey-blue), and its score.</p>${gallery}</section>
<section id="data"><h2>Data</h2><div class="figs">${exploreSvgs}</div></section>
</body></html>`;
  const path = join(run.dir, 'report.html');
  writeFileAtomic(path, html);
  run.model.dispose();
  return { path, map: e.map, threshold: run.post.threshold, sections };
}
