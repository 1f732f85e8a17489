// `halite synth`: write a synthetic TGS-layout data set.
import type { Command } from 'commander';
import { writeSynth } from '../data/synth/generate.js';

export function register(program: Command): void {
  program
    .command('synth')
    .description('write a synthetic seismic data set in the TGS layout (PNGs, train.csv, depths.csv, sample_submission.csv)')
    .requiredOption('--out <dir>', 'new folder to create')
    .option('--train <n>', 'labelled tiles', '1000')
    .option('--test <n>', 'unlabelled tiles', '200')
    .option('--seed <n>', 'random seed', '0')
    .option('--force', 'replace the folder if it exists (once the new one is complete)')
    .action((o: { out: string; train: string; test: string; seed: string; force?: boolean }) => {
      const t0 = performance.now();
      const r = writeSynth({ out: o.out, train: Number(o.train), test: Number(o.test), seed: Number(o.seed), force: o.force === true });
      console.log(`wrote ${o.out}: ${r.train} train tiles (${r.empty} without salt, ${(100 * r.empty / Math.max(1, r.train)).toFixed(1)}%), ${r.test} test tiles in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
}
