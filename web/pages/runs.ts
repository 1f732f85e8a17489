// Every run directory: status, best score, duration.
import { getJson, type RunSummary } from '../api.js';
import { duration, el, fmt } from '../dom.js';

export async function runsPage(root: HTMLElement): Promise<void> {
  root.append(el('h1', { text: 'Runs' }));
  const runs = await getJson<RunSummary[]>('/api/runs');
  if (runs.length === 0) {
    root.append(el('p', { text: 'No runs yet. Train one with: npx halite train --config CONFIG (or npx halite demo).' }));
    return;
  }
  const head = ['run', 'status', 'model', 'epochs', 'best val mAP', 'tuned threshold', 'tuned mAP (TTA)', 'duration', 'started'];
  const rows = runs.map((r) => el('tr', { 'data-run': r.name },
    el('td', {}, el('a', { href: `/runs/${encodeURIComponent(r.name)}`, text: r.name })),
    el('td', {}, el('span', { class: `badge ${r.status}`, title: r.detail, text: r.status })),
    el('td', { text: r.model }),
    el('td', { text: `${r.epochs} / ${r.plannedEpochs}` }),
    el('td', { class: 'num best-map', text: r.bestValMap === null ? '—' : `${fmt(r.bestValMap)} (epoch ${r.bestEpoch})` }),
    el('td', { class: 'num', text: fmt(r.threshold, 3) }),
    el('td', { class: 'num', text: fmt(r.thresholdScore) }),
    el('td', { class: 'num', text: duration(r.seconds) }),
    el('td', { text: new Date(r.started).toLocaleString() })));
  root.append(el('table', { id: 'runs-table' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))), el('tbody', {}, ...rows)));
}
