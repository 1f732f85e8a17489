// `halite report`: a self-contained HTML report for a run.
import type { Command } from 'commander';
import { existingFolder, runDirectory } from './parse.js';

export function register(program: Command): void {
  program
    .command('report')
    .argument('<run>', 'run directory from halite train', runDirectory())
    .description('write RUN/report.html: curves, threshold sweep, per-class scores, confusion, validation gallery, data figures (opens offline)')
    .option('--data <dir>', "TGS folder (default: the run's own)", existingFolder)
    .action(async (run: string, o: { data?: string }) => {
      const { writeReport } = await import('../report/report.js');
      const r = await writeReport(run, o.data);
      const map = Number.isNaN(r.map) ? '—' : r.map.toFixed(4);
      console.log(`wrote ${r.path}: validation mAP ${map}${r.note ? ' (recorded at the end of training)' : ''} at threshold ${r.threshold.toFixed(3)}`);
      if (r.note) console.log(`note: ${r.note}`);
    });
}
