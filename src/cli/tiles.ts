// `halite tiles`: cut a labelled SEG-Y volume into a TGS-layout folder that every other command reads.
import type { Command } from 'commander';
import { numberIn, sectionKinds, wholeNumber } from './parse.js';
import { headerByte } from './segy.js';
import { withoutTorch } from './threads.js';

interface TilesFlags {
  segy: string; labels?: string; out: string; stride: number; sections: string; valInlines?: string;
  ilineByte: number; xlineByte: number; clipPercent: number; maxTraces: number; force?: boolean;
}

/** "A-B" (inline numbers, inclusive), or an error naming the flag. */
export function inlineRange(v: string): [number, number] {
  const m = /^\s*(-?\d+)\s*-\s*(-?\d+)\s*$/.exec(v);
  if (!m || Number(m[1]) > Number(m[2])) throw new Error(`--val-inlines ${v}: expected A-B, two inline numbers with A <= B (e.g. 300-340)`);
  return [Number(m[1]), Number(m[2])];
}

export function register(program: Command): void {
  withoutTorch(program
    .command('tiles')
    .description('cut a SEG-Y volume and its labels (salt: non-zero samples, same geometry) into 101×101 TGS-layout tiles: PNGs, train.csv, depths.csv (ms), tiles.json, split.json')
    .requiredOption('--segy <file>', 'seismic volume (SEG-Y)')
    .option('--labels <file>', 'labels volume on the same geometry; without it the tiles are a test part (test/images, sample_submission.csv)')
    .requiredOption('--out <dir>', 'new folder to create')
    .option('--stride <n>', 'pixels between tiles along each axis of a section (101: no overlap)', wholeNumber(1), 101)
    .option('--sections <list>', 'inline, crossline or inline,crossline', 'inline')
    .option('--val-inlines <A-B>', 'hold out inlines A..B for validation (split.json; halite train validates on them)')
    .option('--iline-byte <n>', 'trace-header byte of the inline number (4-byte integer)', headerByte, 189)
    .option('--xline-byte <n>', 'trace-header byte of the crossline number (4-byte integer)', headerByte, 193)
    .option('--clip-percent <p>', 'clip amplitudes at the p and 100-p percentiles, then map to 0..255', numberIn(0, 50, { hi: true }), 0.5)
    .option('--max-traces <n>', 'traces sampled for the percentiles', wholeNumber(1), 2000)
    .option('--force', 'replace the folder if it exists (once the new one is complete)')
    .action(async (o: TilesFlags) => {
      const { writeSegyTiles } = await import('../data/segy-tiles.js');
      const cliProgress = (await import('cli-progress')).default;
      const sections = sectionKinds(o.sections);
      const bar = process.stderr.isTTY === true ? new cliProgress.SingleBar({ format: 'sections |{bar}| {value}/{total} | ETA {eta_formatted}', stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
      const t0 = performance.now();
      try {
        const r = writeSegyTiles({
          segy: o.segy, labels: o.labels, out: o.out, stride: o.stride, sections,
          valInlines: o.valInlines === undefined ? undefined : inlineRange(o.valInlines),
          ilineByte: o.ilineByte, xlineByte: o.xlineByte,
          clipPercent: o.clipPercent, maxTraces: o.maxTraces, force: o.force === true,
          onSection: (done, total) => { if (done === 1) bar?.start(total, 0); bar?.update(done); },
        });
        bar?.stop();
        const c = r.counts;
        console.log(`wrote ${r.dir}: ${c.train + c.val + c.test} tiles from ${r.sections.join(' and ')} sections (stride ${r.stride}): ${c.train} train${c.val ? `, ${c.val} held out (split.json)` : ''}${c.test ? `, ${c.test} test` : ''}${o.labels ? `, ${c.empty} without salt` : ''}${c.dropped ? `; ${c.dropped} crossline tiles spanning held-out and other inlines dropped` : ''}${c.padded ? `; ${c.padded} tiles over traces missing from the survey (${r.geometry.padded} padded positions) left out` : ''}`);
        if (c.val > 0 && c.valEmpty === c.val) {
          console.warn(`warning: none of the ${c.val} held-out tiles (--val-inlines ${o.valInlines}) holds salt, so validation mAP would only score whether a model predicts nothing (1.0 for one that never finds salt): hold out inlines that cross salt`);
        }
        console.log(`amplitudes clipped at the ${r.percentiles[0]}/${r.percentiles[1]} percentiles (${r.clip[0].toPrecision(6)} .. ${r.clip[1].toPrecision(6)}, from ${r.sampledTraces} traces) -> 0..255; depths.csv in ${r.depthUnit}; mapping in tiles.json; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      } finally {
        bar?.stop();
      }
    }));
}
