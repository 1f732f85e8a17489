// `halite explore`: the seed's look at a data set — counts, empty fraction, coverage classes and
// depths — with its figures written as SVG and PNG.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { writeFileAtomic } from '../io/atomic.js';
import { num, percent } from '../report/format.js';
import { legendSvg, overlayPixels } from '../report/overlay.js';
import { svgToPng, writeFigure, type TopLevelSpec } from '../report/plot.js';
import { coverage, coverageClass } from './coverage.js';
import { rng, shuffled } from './random.js';
import { PIXELS, TILE } from './rle.js';
import type { TgsData } from './tgs.js';

export interface Summary {
  train: number;
  test: number;
  emptyFraction: number;
  coverageClasses: Record<string, number>;
  depth: { train: [number, number]; test: [number, number] | null };
  intensity: { mean: number; std: number };
}

const range = (v: number[]): [number, number] => [Math.min(...v), Math.max(...v)];

export function summarize(d: TgsData): { summary: Summary; coverages: number[]; classes: number[] } {
  const n = d.train.ids.length;
  const coverages = d.train.ids.map((_, i) => coverage(d.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS)));
  const classes = coverages.map(coverageClass);
  const counts: Record<string, number> = {};
  for (let c = 0; c <= 10; c++) counts[c] = classes.filter((x) => x === c).length;
  let s = 0, ss = 0;
  for (const v of d.train.images) { s += v; ss += v * v; }
  const mean = s / d.train.images.length;
  return {
    coverages,
    classes,
    summary: {
      train: n,
      test: d.test?.ids.length ?? 0,
      emptyFraction: counts[0]! / n,
      coverageClasses: counts,
      depth: { train: range(d.train.depths), test: d.test && d.test.depths.length ? range(d.test.depths) : null },
      intensity: { mean, std: Math.sqrt(ss / d.train.images.length - mean * mean) },
    },
  };
}

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

export async function explore(d: TgsData, out: string, seed = 0): Promise<{ summary: Summary; files: string[] }> {
  mkdirSync(out, { recursive: true });
  const { summary, coverages, classes } = summarize(d);
  const files: string[] = [];
  const cov = coverages.map((c, i) => ({ coverage: c, class: classes[i] }));
  const fig = async (name: string, spec: TopLevelSpec) => files.push(...(await writeFigure(join(out, name), spec)));
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
  const grid = sampleGridSvg(d, picks.slice(0, 36), coverages);
  writeFileAtomic(join(out, 'samples.svg'), grid);
  writeFileAtomic(join(out, 'samples.png'), svgToPng(grid, 1));
  files.push(join(out, 'samples.svg'), join(out, 'samples.png'));
  writeFileAtomic(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  files.push(join(out, 'summary.json'));
  return { summary, files };
}
