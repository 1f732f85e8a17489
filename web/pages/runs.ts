// Every run directory: status, best score, duration, and what it was trained on.
import { score, threshold } from '../../src/report/format.js';
import { getJson, type Info, type RunSummary } from '../api.js';
import { duration, el, noRunsHelp } from '../dom.js';

export async function runsPage(root: HTMLElement): Promise<void> {
  const [runs, info] = await Promise.all([getJson<RunSummary[]>('/api/runs'), getJson<Info>('/api/info')]);
  root.append(el('h1', { text: 'Runs' }));
  if (runs.length === 0) {
    root.append(noRunsHelp(info));
    return;
  }
  root.append(el('p', { class: 'muted', text: `${runs.length} run${runs.length === 1 ? '' : 's'} in ${info.runsDir}, newest first.` }));
  const head = ['run', 'status', 'model', 'trained on', 'epochs', 'best val mAP', 'tuned threshold', 'tuned mAP (TTA)', 'duration', 'started'];
  const rows = runs.map((r) => el('tr', { 'data-run': r.name },
    el('td', {}, el('a', { href: `/runs/${encodeURIComponent(r.name)}`, text: r.name })),
    el('td', {}, el('span', { class: `badge ${r.status}`, title: r.detail, text: r.status })),
    el('td', { text: r.model }),
    el('td', { class: 'data', title: r.data.text, text: r.data.kind === 'synthetic' ? 'synthetic (halite synth)' : r.data.kind === 'missing' ? `${r.data.path} (gone)` : r.data.path }),
    el('td', { text: `${r.epochs} / ${r.plannedEpochs}` }),
    el('td', { class: 'num best-map', text: r.bestValMap === null ? '—' : `${score(r.bestValMap)} (epoch ${r.bestEpoch})` }),
    el('td', { class: 'num', text: threshold(r.threshold) }),
    el('td', { class: 'num', text: score(r.thresholdScore) }),
    el('td', { class: 'num', text: duration(r.seconds) }),
    el('td', { text: new Date(r.started).toLocaleString() })));
  root.append(el('table', { id: 'runs-table' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))), el('tbody', {}, ...rows)));
}
