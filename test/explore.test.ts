// halite explore on synthetic data: the summary's numbers and every figure, drawn in memory and written as files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { writeSynth } from '../src/data/synth/generate.js';
import { readTgs } from '../src/data/tgs.js';
import { exploreFigures, formatSummary, writeExploreFiles } from '../src/report/explore-figures.js';

test('explore writes the seed figures and a summary that matches the data', async () => {
  const root = mkdtempSync(join(tmpdir(), 'halite-explore-'));
  const data = join(root, 'data');
  const made = writeSynth({ out: data, train: 120, test: 20, seed: 4 });
  const d = await readTgs(data, { test: false });
  const exploration = await exploreFigures(d);
  const { summary } = exploration;
  const files = writeExploreFiles(join(root, 'fig'), exploration);
  assert.equal(summary.train, 120);
  assert.equal(summary.test, 20);
  assert.equal(summary.emptyFraction, made.empty / 120);
  assert.equal(Object.values(summary.coverageClasses).reduce((a, b) => a + b, 0), 120);
  assert.equal(summary.coverageClasses[0], made.empty);
  assert.deepEqual(summary.depth.train, [Math.min(...d.train.depths), Math.max(...d.train.depths)]);
  for (const name of ['coverage', 'coverage_classes', 'coverage_vs_class', 'depths', 'intensity', 'samples']) {
    const svg = readFileSync(join(root, 'fig', `${name}.svg`), 'utf8');
    assert.match(svg, /^<svg/, name);
    const png = decode(readFileSync(join(root, 'fig', `${name}.png`)));
    assert.ok(png.width > 200 && png.height > 150, `${name}.png is ${png.width}x${png.height}`);
  }
  assert.match(readFileSync(join(root, 'fig', 'coverage_classes.svg'), 'utf8'), /coverage class/);
  const samples = readFileSync(join(root, 'fig', 'samples.svg'), 'utf8');
  assert.match(samples, /class 0 · cov 0\.000 · z \d+ ft/);
  assert.ok(samples.includes('salt (label)'), 'the sample grid has its legend');
  for (const id of d.train.ids.slice(0, 3)) assert.equal(samples.includes(`>${id}</text>`), samples.includes(id), `${id}: a caption line of its own`);
  assert.ok(files.every((f) => existsSync(f)));
  // Drawing is in memory; the files are exactly what was drawn, in drawing order.
  assert.deepEqual(exploration.figures.map((f) => f.name), ['coverage', 'coverage_classes', 'coverage_vs_class', 'depths', 'intensity', 'samples']);
  assert.deepEqual(files.map((f) => f.slice(join(root, 'fig').length + 1)), [...exploration.figures.flatMap((f) => [`${f.name}.svg`, `${f.name}.png`]), 'summary.json']);
  for (const f of exploration.figures) assert.equal(readFileSync(join(root, 'fig', `${f.name}.svg`), 'utf8'), f.svg, f.name);
  assert.deepEqual(JSON.parse(readFileSync(join(root, 'fig', 'summary.json'), 'utf8')), summary);
  assert.match(formatSummary(summary, data), new RegExp(`train tiles   120 \\(${(100 * made.empty / 120).toFixed(1)}% without salt\\)`));
});
