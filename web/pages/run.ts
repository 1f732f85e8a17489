// One run: summary, live curves and progress (server-sent events), the threshold sweep and the report.
import { getJson, type EpochRecord, type Progress, type RunDetail, type RunSummary } from '../api.js';
import { lr as fmtLr, num, score, threshold } from '../../src/report/format.js';
import { CurveChart, LossCharts, sweepChart } from '../charts.js';
import { duration, el } from '../dom.js';

export async function runPage(root: HTMLElement): Promise<void> {
  const name = root.dataset.run!;
  const api = `/api/runs/${encodeURIComponent(name)}`;
  const run = await getJson<RunDetail>(api);
  const history: EpochRecord[] = [];

  const badge = el('span', { class: `badge ${run.summary.status}`, id: 'run-status', text: run.summary.status, title: run.summary.detail });
  const stats = el('dl', { class: 'stats', id: 'run-stats' });
  const setStats = (s: RunSummary) => {
    const best = history.reduce<EpochRecord | null>((b, r) => (r.val_map !== null && (b === null || r.val_map > b.val_map!) ? r : b), null);
    stats.replaceChildren(...[
      ['model', s.model], ['trained on', s.data.text], ['epochs', `${history.length} / ${s.plannedEpochs}`],
      ['best val mAP', best ? `${score(best.val_map)} (epoch ${best.epoch})` : '—'],
      ['tuned threshold', s.threshold === null ? '—' : `${threshold(s.threshold)} → ${score(s.thresholdScore)} with flip TTA`],
      ['training time', duration(history.reduce((a, r) => a + r.seconds, 0))],
    ].flatMap(([k, v]) => [el('dt', { text: k! }), el('dd', { text: v! })]));
  };
  const bar = el('progress', { id: 'epoch-progress', max: 1, value: 0 });
  const barText = el('span', { id: 'progress-text', class: 'muted', text: 'no batch progress yet' });

  root.append(
    el('h1', {}, `Run ${name} `, badge),
    stats,
    el('section', { class: 'live' }, el('h2', { text: 'Progress' }), bar, ' ', barText),
    el('p', {}, el('a', { href: `/predictions?run=${encodeURIComponent(name)}`, text: 'Browse its validation predictions →' })),
  );
  const charts = el('section', { class: 'charts' });
  root.append(el('h2', { text: 'Training curves' }), charts);
  // One loss panel per loss (added as its first epoch arrives), then mAP and learning rate.
  const lossPanels = el('div', { class: 'loss-panels' });
  charts.append(lossPanels);
  const canvas = (id: string) => { const c = el('canvas', { id }); charts.append(el('div', { class: 'chart' }, c)); return c; };
  const loss = new LossCharts(lossPanels);
  const metric = new CurveChart(canvas('chart-map'), 'Validation mAP (threshold 0.5, no TTA)', [{ label: 'validation mAP', value: (r) => r.val_map }], { yTitle: 'mAP', yRange: [0, 1] });
  const lr = new CurveChart(canvas('chart-lr'), 'Learning rate (end of epoch)', [{ label: 'lr', value: (r) => r.lr }], { logY: true, yTitle: 'learning rate' });
  const redraw = () => { for (const c of [loss, metric, lr]) c.update(history); setStats(run.summary); };

  if (run.threshold) {
    const c = el('canvas', { id: 'chart-sweep' });
    root.append(el('h2', { text: 'Threshold' }), el('div', { class: 'chart' }, c));
    sweepChart(c, run.threshold.points, run.threshold);
  }

  const report = el('section', { id: 'report' });
  root.append(el('h2', { text: 'Report' }), report);
  const showReport = () => report.replaceChildren(
    el('p', {}, el('a', { href: `${api}/report.html`, target: '_blank', text: 'Open the report in its own tab' })),
    el('iframe', { src: `${api}/report.html`, title: 'run report', class: 'report' }));
  if (run.summary.hasReport) showReport();
  else if (run.summary.status === 'finished') {
    const button = el('button', { type: 'button', text: 'Write the report' });
    button.onclick = async () => {
      button.disabled = true;
      button.textContent = 'Writing the report (predicting the validation tiles)…';
      try {
        await getJson(`${api}/report`, { method: 'POST' });
        showReport();
      } catch (e) {
        button.textContent = `Failed: ${(e as Error).message}`;
      }
    };
    report.append(button);
  } else report.append(el('p', { class: 'muted', text: 'The report can be written once the run has finished.' }));

  // Live: the event stream replays every epoch so far, then sends new ones as they are written.
  const events = new EventSource(`${api}/events`);
  events.addEventListener('epoch', (e) => {
    const r = JSON.parse((e as MessageEvent).data) as EpochRecord;
    if (history.some((h) => h.epoch === r.epoch)) return;
    history.push(r);
    redraw();
  });
  events.addEventListener('progress', (e) => {
    const p = JSON.parse((e as MessageEvent).data) as Progress;
    bar.max = p.batches;
    bar.value = p.batch;
    const eta = p.imagesPerSecond > 0 ? ((p.batches - p.batch) * (run.config.batchSize as number)) / p.imagesPerSecond : 0;
    barText.textContent = `epoch ${p.epoch}/${p.epochs} · batch ${p.batch}/${p.batches} · loss ${num(p.loss, 4, true)} · ${p.imagesPerSecond.toFixed(1)} img/s · lr ${fmtLr(p.lr)} · ETA ${duration(eta)}`;
  });
  events.addEventListener('status', (e) => {
    const s = JSON.parse((e as MessageEvent).data) as { status: RunSummary['status']; detail: string };
    badge.className = `badge ${s.status}`;
    badge.textContent = s.status;
    badge.title = s.detail;
  });
  redraw();
}
