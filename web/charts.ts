// Line charts (Chart.js) for training curves, with the epochs where a new loss phase starts marked.
import { Chart, registerables, type Plugin } from 'chart.js';
import type { EpochRecord } from './api.js';

Chart.register(...registerables);

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

/** Dashed vertical lines before the first epoch of each new phase, labelled with its loss. */
const phaseMarks: Plugin<'line'> = {
  id: 'phaseMarks',
  afterDatasetsDraw(chart) {
    const history = (chart.options.plugins as { phaseMarks?: { history: EpochRecord[] } }).phaseMarks?.history ?? [];
    const { ctx, chartArea, scales } = chart;
    ctx.save();
    ctx.strokeStyle = '#888';
    ctx.fillStyle = '#555';
    ctx.setLineDash([4, 4]);
    ctx.font = '11px sans-serif';
    history.forEach((r, i) => {
      if (i === 0 || r.phase === history[i - 1]!.phase) return;
      const x = (scales.x!.getPixelForValue(i - 1) + scales.x!.getPixelForValue(i)) / 2;
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.fillText(`→ ${r.loss}`, x + 3, chartArea.top + 10);
    });
    ctx.restore();
  },
};

export interface Series { label: string; value: (r: EpochRecord) => number }

/** A chart of per-epoch series that `update` redraws as epochs arrive. */
export class CurveChart {
  private chart: Chart<'line'>;
  constructor(canvas: HTMLCanvasElement, title: string, private readonly series: Series[], o: { logY?: boolean } = {}) {
    this.chart = new Chart(canvas, {
      type: 'line',
      data: { labels: [], datasets: series.map((s, i) => ({ label: s.label, data: [], borderColor: COLOURS[i], backgroundColor: COLOURS[i], tension: 0.1 })) },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: 'epoch' } }, y: { type: o.logY ? 'logarithmic' : 'linear' } },
        plugins: { title: { display: true, text: title }, phaseMarks: { history: [] } } as never,
      },
      plugins: [phaseMarks],
    });
  }

  update(history: EpochRecord[]): void {
    this.chart.data.labels = history.map((r) => r.epoch);
    this.series.forEach((s, i) => { this.chart.data.datasets[i]!.data = history.map(s.value); });
    (this.chart.options.plugins as { phaseMarks: { history: EpochRecord[] } }).phaseMarks.history = history;
    this.chart.update();
  }
}

/** Threshold vs validation mAP, with the chosen threshold as a large red point. */
export function sweepChart(canvas: HTMLCanvasElement, points: { threshold: number; score: number }[], chosen: { threshold: number; score: number }): Chart {
  return new Chart(canvas, {
    type: 'scatter',
    data: {
      datasets: [
        { label: 'mAP (flip TTA)', data: points.map((p) => ({ x: p.threshold, y: p.score })), showLine: true, borderColor: COLOURS[0], backgroundColor: COLOURS[0] },
        { label: `chosen ${chosen.threshold.toFixed(3)}`, data: [{ x: chosen.threshold, y: chosen.score }], pointRadius: 7, backgroundColor: COLOURS[3], borderColor: COLOURS[3] },
      ],
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { title: { display: true, text: 'threshold' } }, y: { title: { display: true, text: 'validation mAP' } } },
      plugins: { title: { display: true, text: 'Threshold vs validation mAP' } },
    },
  });
}
