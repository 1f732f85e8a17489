// Line charts (Chart.js) for training curves: one loss panel per loss (BCE and Lovász live on
// different scales, so a phase change must not read as divergence), validation mAP and learning
// rate over all epochs, each with the epochs where a new phase starts marked and labelled above
// the plot area, where no line is drawn over the label.
import { Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js';
import { lossLabel, lr as fmtLr, threshold as fmtThreshold } from '../src/report/format.js';
import type { EpochRecord } from './api.js';
import { el } from './dom.js';

Chart.register(...registerables);

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
/** Room between the title and the plot area for the phase labels. */
const LABEL_ROOM = 16;

type Options = { phaseMarks?: { history: EpochRecord[] } };

/** Dashed vertical lines before the first epoch of each new phase, labelled (phase, loss) above the plot area. */
const phaseMarks: Plugin<'line'> = {
  id: 'phaseMarks',
  afterDatasetsDraw(chart) {
    const history = (chart.options.plugins as Options).phaseMarks?.history ?? [];
    const { ctx, chartArea, scales } = chart;
    ctx.save();
    ctx.strokeStyle = '#888';
    ctx.fillStyle = '#444';
    ctx.setLineDash([4, 4]);
    ctx.font = '11px sans-serif';
    ctx.textAlign = 'center';
    history.forEach((r, i) => {
      if (i === 0 || r.phase === history[i - 1]!.phase) return;
      const x = scales.x!.getPixelForValue(r.epoch - 0.5);
      if (x < chartArea.left || x > chartArea.right) return;
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.fillText(`phase ${r.phase}: ${lossLabel(r.loss)}`, x, chartArea.top - 5);
    });
    ctx.restore();
  },
};

/** A per-epoch series; null leaves the epoch out (validation skipped by the run's validation schedule). */
export interface Series { label: string; value: (r: EpochRecord) => number | null }

/** Log-scale ticks labelled only at 1, 2 and 5 × 10^k (as 5e-4), so labels never crowd. */
const logTick = (v: number | string): string => {
  const x = Number(v);
  if (!(x > 0)) return '';
  const m = x / 10 ** Math.floor(Math.log10(x) + 1e-9);
  return [1, 2, 5].some((k) => Math.abs(m - k) < 1e-6) ? fmtLr(x) : '';
};

/** A chart of per-epoch series that `update` redraws as epochs arrive; `rows` picks the epochs it shows. */
export class CurveChart {
  private chart: Chart<'line'>;
  constructor(canvas: HTMLCanvasElement, title: string, private readonly series: Series[],
    private readonly o: { logY?: boolean; yTitle?: string; rows?: (r: EpochRecord) => boolean; yRange?: [number, number] } = {}) {
    const config: ChartConfiguration<'line'> = {
      type: 'line',
      data: { datasets: series.map((s, i) => ({ label: s.label, data: [], borderColor: COLOURS[i], backgroundColor: COLOURS[i], tension: 0.1, spanGaps: false })) },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          // Whole epochs only: precision 0 rounds the tick step up to 1 or more.
          x: { type: 'linear', title: { display: true, text: 'epoch' }, ticks: { precision: 0, includeBounds: false } },
          y: o.logY
            ? { type: 'logarithmic', title: { display: !!o.yTitle, text: o.yTitle ?? '' }, ticks: { callback: logTick, autoSkip: false },
              // Grid lines at labelled ticks only: a log axis otherwise draws nine lines a decade.
              grid: { color: (c) => (c.tick && logTick(c.tick.value) === '' ? 'transparent' : 'rgba(0,0,0,0.1)') } }
            : { type: 'linear', title: { display: !!o.yTitle, text: o.yTitle ?? '' }, ...(o.yRange ? { min: o.yRange[0], max: o.yRange[1] } : {}) },
        },
        plugins: {
          title: { display: true, text: title, padding: { top: 4, bottom: 4 + LABEL_ROOM } },
          legend: { display: series.length > 1, position: 'bottom' },
          phaseMarks: { history: [] },
        } as never,
      },
      plugins: [phaseMarks],
    };
    this.chart = new Chart(canvas, config);
  }

  update(history: EpochRecord[]): void {
    const rows = this.o.rows ? history.filter(this.o.rows) : history;
    this.series.forEach((s, i) => {
      // In a loss panel, a gap (null) between two phases of that loss, so the line does not join them.
      const pts: { x: number; y: number | null }[] = [];
      rows.forEach((r, k) => {
        if (this.o.rows && k > 0 && r.phase !== rows[k - 1]!.phase) pts.push({ x: r.epoch - 0.5, y: null });
        pts.push({ x: r.epoch, y: s.value(r) });
      });
      this.chart.data.datasets[i]!.data = pts as never;
    });
    const x = this.chart.options.scales!.x!;
    // Half an epoch of room each side, so a lone first epoch sits mid-panel and no point is on the edge.
    x.min = (rows.length ? rows[0]!.epoch : 1) - 0.5;
    x.max = (rows.length ? rows[rows.length - 1]!.epoch : 1) + 0.5;
    (this.chart.options.plugins as Options).phaseMarks!.history = rows;
    this.chart.update();
  }
}

/**
 * The loss panels: one chart per loss, made when its first epoch arrives, with train and
 * validation losses of the epochs trained with that loss only.
 */
export class LossCharts {
  private charts = new Map<string, CurveChart>();
  constructor(private readonly container: HTMLElement) {}

  update(history: EpochRecord[]): void {
    for (const loss of new Set(history.map((r) => r.loss))) {
      let c = this.charts.get(loss);
      if (!c) {
        const phases = [...new Set(history.filter((r) => r.loss === loss).map((r) => r.phase))];
        const canvas = el('canvas', { id: `chart-loss-${loss}`, class: 'chart-loss' });
        this.container.append(el('div', { class: 'chart' }, canvas));
        c = new CurveChart(canvas, `${lossLabel(loss)} loss (phase ${phases.join(', ')})`, [
          { label: 'train', value: (r) => r.train_loss }, { label: 'validation', value: (r) => r.val_loss }],
        { yTitle: `${lossLabel(loss)} loss`, rows: (r) => r.loss === loss });
        this.charts.set(loss, c);
      }
      c.update(history);
    }
  }
}

/** Threshold vs validation mAP, with the chosen threshold as a large point. */
export function sweepChart(canvas: HTMLCanvasElement, points: { threshold: number; score: number }[], chosen: { threshold: number; score: number }): Chart {
  return new Chart(canvas, {
    type: 'scatter',
    data: {
      datasets: [
        { label: 'mAP (flip TTA)', data: points.map((p) => ({ x: p.threshold, y: p.score })), showLine: true, borderColor: COLOURS[0], backgroundColor: COLOURS[0] },
        { label: `chosen ${fmtThreshold(chosen.threshold)}`, data: [{ x: chosen.threshold, y: chosen.score }], pointRadius: 7, backgroundColor: COLOURS[3], borderColor: COLOURS[3] },
      ],
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { title: { display: true, text: 'threshold' } }, y: { title: { display: true, text: 'validation mAP' } } },
      plugins: { title: { display: true, text: 'Threshold vs validation mAP' } },
    },
  });
}
