// `halite synth`: write a synthetic TGS-layout data set.
import type { Command } from 'commander';
import { wholeNumber } from './parse.js';
import { withoutTorch } from './threads.js';

export function register(program: Command): void {
  withoutTorch(program
    .command('synth')
    .description('write a synthetic seismic data set in the TGS layout (PNGs, train.csv, depths.csv, sample_submission.csv)')
    .requiredOption('--out <dir>', 'new folder to create')
    .option('--train <n>', 'labelled tiles', wholeNumber(1), 1000)
    .option('--test <n>', 'unlabelled tiles', wholeNumber(0), 200)
    .option('--seed <n>', 'random seed', wholeNumber(0), 0)
    .option('--force', 'replace the folder if it exists (once the new one is complete)')
    .action(async (o: { out: string; train: number; test: number; seed: number; force?: boolean }) => {
      const { writeSynth } = await import('../data/synth/generate.js');
      const t0 = performance.now();
      const r = writeSynth({ out: o.out, train: o.train, test: o.test, seed: o.seed, force: o.force === true });
      console.log(`wrote ${o.out}: ${r.train} train tiles (${r.empty} without salt, ${(100 * r.empty / Math.max(1, r.train)).toFixed(1)}%), ${r.test} test tiles in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }));
}
