// `halite explore`: summary and figures of a TGS-layout data set.
import type { Command } from 'commander';
import { readTgs } from '../data/tgs.js';
import { explore, formatSummary } from '../data/explore.js';

export function register(program: Command): void {
  program
    .command('explore <dir>')
    .description('print a data set summary and write its figures (coverage, classes, depths, intensity, sample tiles)')
    .requiredOption('--out <dir>', 'folder for the figures (SVG and PNG) and summary.json')
    .option('--json', 'end with the summary as one JSON line')
    .action(async (dir: string, o: { out: string; json?: boolean }) => {
      const data = await readTgs(dir, { test: false });
      const { summary, files } = await explore(data, o.out);
      console.log(formatSummary(summary, dir));
      console.log(`figures       ${files.length} files in ${o.out}`);
      if (o.json) console.log(JSON.stringify(summary));
    });
}
