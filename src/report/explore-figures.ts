// The seed's look at a data set, drawn: coverage, coverage classes, coverage vs class, depths,
// intensity and a captioned grid of sample tiles, as SVG text in memory, and the summary in words.
// Drawing never writes: `halite explore`, the demo and the report write the files through
// writeExploreFiles; the server answers from memory.
import { join } from 'node:path';
import { encode } from 'fast-png';
import { coverageClass } from '../data/coverage.js';
import { summarize, type Summary } from '../data/explore.js';
import { rng, shuffled } from '../data/random.js';
import { PIXELS, TILE } from '../data/rle.js';
import type { TgsData } from '../data/tgs.js';
import { writeFileAtomic } from '../io/atomic.js';
import { num, percent } from './format.js';
import { legendSvg, overlayPixels } from './overlay.js';
import { svgToPng, toSvg, type TopLevelSpec } from './plot.js';
import { makeFolders } from '../io/folders.js';

/** One figure: its file stem (`coverage` → coverage.svg, coverage.png), its SVG text and the zoom of its PNG. */
export interface Figure { name: string; svg: string; pngScale: number }

/** A data set's summary, its per-tile coverage (fraction) and coverage class (0..10), and its figures in drawing order. */
export interface Exploration { summary: Summary; coverages: number[]; classes: number[]; figures: Figure[] }

export function formatSummary(s: Summary, dir: string): string {
  return [
    `data          ${dir}`,
    `train tiles   ${s.train} (${percent(s.emptyFraction)} without salt)`,
    `test tiles    ${s.test}`,
    `classes       ${Object.entries(s.coverageClasses).map(([c, n]) => `${c}:${n}`).join('  ')}`,
    `depth train   ${s.depth.train[0]}–${s.depth.train[1]} ft`,
    `depth test    ${s.depth.test ? `${s.depth.test[0]}–${s.depth.test[1]} ft` : '—'}`,
    `intensity     mean ${num(s.intensity.mean, 3, true)}, std ${num(s.intensity.std, 3, true)}`,
  ].join('\n');
}

/** A tile (values in [0, 1]) with its salt label overlaid in the salt colour of the one overlay convention, as PNG bytes. */
export function overlayPng(image: Float32Array, mask: Uint8Array | null): Uint8Array {
  const rgb = overlayPixels(image, mask, null, { unit: true, channels: 3 });
  return encode({ width: TILE, height: TILE, data: rgb, channels: 3, depth: 8 });
}

/**
 * An SVG grid of tiles with their labels overlaid and a legend, each captioned on two lines (so no
 * caption is cut mid-word): its id, then coverage class, coverage and depth.
 */
export function sampleGridSvg(d: TgsData, picks: number[], coverages: number[], cols = 6): string {
  const cell = TILE * 2, pad = 8, label = 30, top = 24;
  const rows = Math.ceil(picks.length / cols);
  const w = cols * (cell + pad) + pad, h = top + rows * (cell + label + pad) + pad;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="DejaVu Sans, sans-serif" font-size="11"><rect width="100%" height="100%" fill="white"/>`];
  parts.push(legendSvg('truth', pad, 6).svg);
  picks.forEach((i, k) => {
    const x = pad + (k % cols) * (cell + pad), y = top + Math.floor(k / cols) * (cell + label + pad);
    const png = overlayPng(d.train.images.subarray(i * PIXELS, (i + 1) * PIXELS), d.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS));
    const c = coverages[i]!;
    parts.push(`<image x="${x}" y="${y + label}" width="${cell}" height="${cell}" style="image-rendering:pixelated" href="data:image/png;base64,${Buffer.from(png).toString('base64')}"/>`);
    parts.push(`<text x="${x}" y="${y + 12}">${d.train.ids[i]!.replace(/[&<>]/g, (ch) => `&#${ch.charCodeAt(0)};`)}</text>`);
    parts.push(`<text x="${x}" y="${y + 25}" fill="#555">class ${coverageClass(c)} · cov ${num(c, 3, true)} · z ${d.train.depths[i]} ft</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * The exploration figures of `d`, drawn in memory. `seed` picks the intensity sample (20,000 pixels)
 * and the sample tiles, so the same data and seed give the same SVG bytes.
 */
export async function exploreFigures(d: TgsData, seed = 0): Promise<Exploration> {
  const { summary, coverages, classes } = summarize(d);
  const figures: Figure[] = [];
  const cov = coverages.map((c, i) => ({ coverage: c, class: classes[i] }));
  // Charts are drawn at 2× in PNG; the tile grid already shows each pixel 2×2.
  const fig = async (name: string, spec: TopLevelSpec) => figures.push({ name, svg: await toSvg(spec), pngScale: 2 });
  await fig('coverage', {
    title: 'Salt coverage of training tiles', width: 420, height: 220, data: { values: cov },
    mark: 'bar', encoding: { x: { field: 'coverage', bin: { maxbins: 40 }, title: 'coverage (salt pixels / 10201)' }, y: { aggregate: 'count', title: 'tiles' } },
  });
  await fig('coverage_classes', {
    title: 'Tiles per coverage class', width: 420, height: 220,
    data: { values: Object.entries(summary.coverageClasses).map(([c, n]) => ({ class: Number(c), tiles: n })) },
    mark: 'bar', encoding: { x: { field: 'class', type: 'ordinal', title: 'coverage class (0 = no salt)' }, y: { field: 'tiles', type: 'quantitative' } },
  });
  await fig('coverage_vs_class', {
    title: 'Coverage vs coverage class', width: 420, height: 260, data: { values: cov },
    mark: { type: 'point', opacity: 0.4, filled: true }, encoding: { x: { field: 'coverage', type: 'quantitative' }, y: { field: 'class', type: 'quantitative', title: 'coverage class' } },
  });
  const depths = [...d.train.depths.map((z) => ({ z, set: 'train' })), ...(d.test?.depths ?? []).map((z) => ({ z, set: 'test' }))];
  await fig('depths', {
    title: 'Depth distribution, train vs test', width: 420, height: 220, data: { values: depths },
    transform: [{ density: 'z', groupby: ['set'] }],
    mark: 'line', encoding: { x: { field: 'value', type: 'quantitative', title: 'depth z (ft)' }, y: { field: 'density', type: 'quantitative' }, color: { field: 'set', type: 'nominal' } },
  });
  // Intensity histogram from a fixed sample of pixels: enough for the shape, cheap to draw.
  const random = rng(seed);
  const sample = Array.from({ length: 20000 }, () => ({ intensity: d.train.images[Math.floor(random() * d.train.images.length)]! }));
  await fig('intensity', {
    title: 'Pixel intensity of training tiles', width: 420, height: 220, data: { values: sample },
    mark: 'bar', encoding: { x: { field: 'intensity', bin: { maxbins: 50 }, title: 'intensity [0, 1]' }, y: { aggregate: 'count', title: 'pixels (20,000 sampled)' } },
  });
  // The sample grid: a few tiles of every coverage class present, in class order.
  const picks: number[] = [];
  for (let c = 0; c <= 10 && picks.length < 36; c++) {
    const members = shuffled(classes.flatMap((x, i) => (x === c ? [i] : [])), random).slice(0, c === 0 ? 6 : 3);
    picks.push(...members);
  }
  figures.push({ name: 'samples', svg: sampleGridSvg(d, picks.slice(0, 36), coverages), pngScale: 1 });
  return { summary, coverages, classes, figures };
}

/**
 * Writes an exploration into `out` (created if missing): each figure as NAME.svg and NAME.png, then
 * summary.json, each through a temp file and a rename. Returns the paths in that order.
 */
export function writeExploreFiles(out: string, x: Pick<Exploration, 'summary' | 'figures'>): string[] {
  makeFolders(out);
  const files: string[] = [];
  for (const f of x.figures) {
    const base = join(out, f.name);
    writeFileAtomic(`${base}.svg`, f.svg);
    writeFileAtomic(`${base}.png`, svgToPng(f.svg, f.pngScale));
    files.push(`${base}.svg`, `${base}.png`);
  }
  writeFileAtomic(join(out, 'summary.json'), JSON.stringify(x.summary, null, 2) + '\n');
  files.push(join(out, 'summary.json'));
  return files;
}
