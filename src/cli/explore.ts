// `halite explore`: summary and figures of a TGS-layout data set.
import type { Command } from 'commander';
import { existingFolder } from './parse.js';
import { withoutTorch } from './threads.js';

export function register(program: Command): void {
  withoutTorch(program
    .command('explore')
    .argument('<dir>', 'TGS layout folder', existingFolder)
    .description('print a data set summary and write its figures (coverage, classes, depths, intensity, sample tiles)')
    .requiredOption('--out <dir>', 'folder for the figures (SVG and PNG) and summary.json (created if missing)')
    .option('--json', 'end with the summary as one JSON line')
    .action(async (dir: string, o: { out: string; json?: boolean }) => {
      const { readTgs } = await import('../data/tgs.js');
      const { exploreFigures, formatSummary, writeExploreFiles } = await import('../report/explore-figures.js');
      const data = await readTgs(dir, { test: false });
      const { summary, figures } = await exploreFigures(data);
      const files = writeExploreFiles(o.out, { summary, figures });
      console.log(formatSummary(summary, dir));
      console.log(`figures       ${files.length} files in ${o.out}`);
      if (o.json) console.log(JSON.stringify(summary));
    }));
}
