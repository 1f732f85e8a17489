// The data set: its summary and figures, and a grid of tiles with their labels, by coverage class.
import { num, percent } from '../../src/report/format.js';
import { getJson, type Info } from '../api.js';
import { cmd, el, legend, loading } from '../dom.js';

interface DataInfo {
  dir: string; figures: string[];
  summary: { train: number; test: number; emptyFraction: number; coverageClasses: Record<string, number>; depth: { train: [number, number] }; intensity: { mean: number; std: number } };
}
interface Tile { id: string; coverage: number; class: number; depth: number }

const PAGE = 48;

export async function explorePage(root: HTMLElement): Promise<void> {
  const info = await getJson<Info>('/api/info');
  root.append(el('h1', { text: 'Explore' }));
  if (!info.data || info.data.kind === 'missing') {
    root.append(el('div', { class: 'empty', id: 'empty-state' },
      el('p', {}, info.data ? `The data folder ${info.data.path} does not exist.` : 'No data set to explore: no run names one, and the server was started without --data.'),
      el('p', {}, 'Make a synthetic one, or point the server at a TGS-layout folder (train/images, train/masks, train.csv, depths.csv):'),
      el('pre', {}, cmd('npx halite synth --out data/synth\nnpx halite serve --data data/synth'))));
    return;
  }
  root.append(el('p', { class: 'muted', id: 'data-source', text: info.data.text }), loading());
  const d = await getJson<DataInfo>('/api/data');
  root.querySelector('.loading')?.remove();
  const s = d.summary;
  root.append(
    el('dl', { class: 'stats', id: 'data-summary' },
      el('dt', { text: 'training tiles' }), el('dd', { text: `${s.train} (${percent(s.emptyFraction)} without salt)` }),
      el('dt', { text: 'test tiles' }), el('dd', { text: s.test }),
      el('dt', { text: 'depth' }), el('dd', { text: `${s.depth.train[0]}–${s.depth.train[1]} ft` }),
      el('dt', { text: 'intensity' }), el('dd', { text: `mean ${num(s.intensity.mean, 3, true)}, std ${num(s.intensity.std, 3, true)}` })),
    el('h2', { text: 'Figures' }),
    el('div', { class: 'figures' }, ...d.figures.map((f) => el('img', { src: `/api/data/figures/${f}.svg`, alt: f, class: 'figure' }))),
  );

  const select = el('select', { id: 'class-filter' }, el('option', { value: '', text: 'all coverage classes' }),
    ...Object.entries(s.coverageClasses).filter(([, n]) => n > 0).map(([c, n]) => el('option', { value: c, text: `class ${c} (${n} tiles)` })));
  const grid = el('div', { class: 'grid', id: 'tile-grid' });
  const prev = el('button', { type: 'button', text: '← previous' }), next = el('button', { type: 'button', text: 'next →' });
  const where = el('span', { class: 'muted', id: 'tile-count' });
  let offset = 0;
  const load = async () => {
    const r = await getJson<{ total: number; tiles: Tile[] }>(`/api/data/tiles?class=${select.value}&offset=${offset}&limit=${PAGE}`);
    grid.replaceChildren(...r.tiles.map((t) => el('figure', {},
      el('img', { src: `/api/data/tiles/${encodeURIComponent(t.id)}.png`, alt: t.id, width: 101, height: 101 }),
      el('figcaption', {}, el('b', { text: t.id }), el('br'), // No-break spaces inside each field: a caption wraps only between fields.
      [`class ${t.class}`, `cov ${num(t.coverage, 3, true)}`, `z ${t.depth} ft`].map((f) => f.replace(/ /g, '\u00a0')).join(' · ')))));
    where.textContent = `tiles ${r.total === 0 ? 0 : offset + 1}–${Math.min(offset + PAGE, r.total)} of ${r.total}`;
    prev.disabled = offset === 0;
    next.disabled = offset + PAGE >= r.total;
  };
  select.onchange = () => { offset = 0; void load(); };
  prev.onclick = () => { offset = Math.max(0, offset - PAGE); void load(); };
  next.onclick = () => { offset += PAGE; void load(); };
  root.append(el('h2', { text: 'Tiles and their salt labels' }), legend('truth'), el('div', { class: 'toolbar' }, select, prev, next, where), grid);
  await load();
}
