// The data set: its summary and figures, and a grid of tiles with their masks, by coverage class.
import { getJson } from '../api.js';
import { el, fmt } from '../dom.js';

interface DataInfo {
  dir: string; figures: string[];
  summary: { train: number; test: number; emptyFraction: number; coverageClasses: Record<string, number>; depth: { train: [number, number] }; intensity: { mean: number; std: number } };
}
interface Tile { id: string; coverage: number; class: number; depth: number }

const PAGE = 48;

export async function explorePage(root: HTMLElement): Promise<void> {
  const info = await getJson<DataInfo>('/api/data');
  const s = info.summary;
  root.append(
    el('h1', { text: 'Explore' }),
    el('p', { class: 'muted', text: info.dir }),
    el('dl', { class: 'stats', id: 'data-summary' },
      el('dt', { text: 'training tiles' }), el('dd', { text: `${s.train} (${(100 * s.emptyFraction).toFixed(1)}% without salt)` }),
      el('dt', { text: 'test tiles' }), el('dd', { text: s.test }),
      el('dt', { text: 'depth' }), el('dd', { text: `${s.depth.train[0]}–${s.depth.train[1]} ft` }),
      el('dt', { text: 'intensity' }), el('dd', { text: `mean ${fmt(s.intensity.mean, 3)}, std ${fmt(s.intensity.std, 3)}` })),
    el('h2', { text: 'Figures' }),
    el('div', { class: 'figures' }, ...info.figures.map((f) => el('img', { src: `/api/data/figures/${f}.svg`, alt: f, class: 'figure' }))),
  );

  const select = el('select', { id: 'class-filter' }, el('option', { value: '', text: 'all coverage classes' }),
    ...Object.entries(s.coverageClasses).filter(([, n]) => n > 0).map(([c, n]) => el('option', { value: c, text: `class ${c} (${n} tiles)` })));
  const grid = el('div', { class: 'grid', id: 'tile-grid' });
  const prev = el('button', { type: 'button', text: '← previous' }), next = el('button', { type: 'button', text: 'next →' });
  const where = el('span', { class: 'muted' });
  let offset = 0;
  const load = async () => {
    const r = await getJson<{ total: number; tiles: Tile[] }>(`/api/data/tiles?class=${select.value}&offset=${offset}&limit=${PAGE}`);
    grid.replaceChildren(...r.tiles.map((t) => el('figure', {},
      el('img', { src: `/api/data/tiles/${encodeURIComponent(t.id)}.png`, alt: t.id, width: 101, height: 101 }),
      el('figcaption', { text: `${t.id} · class ${t.class} · cov ${t.coverage.toFixed(3)} · z ${t.depth}` }))));
    where.textContent = `${r.total === 0 ? 0 : offset + 1}–${Math.min(offset + PAGE, r.total)} of ${r.total}`;
    prev.disabled = offset === 0;
    next.disabled = offset + PAGE >= r.total;
  };
  select.onchange = () => { offset = 0; void load(); };
  prev.onclick = () => { offset = Math.max(0, offset - PAGE); void load(); };
  next.onclick = () => { offset += PAGE; void load(); };
  root.append(el('h2', { text: 'Tiles (salt in green)' }), el('div', { class: 'toolbar' }, select, prev, next, where), grid);
  await load();
}
