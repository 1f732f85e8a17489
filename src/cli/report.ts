// `halite report`: a self-contained HTML report for a run.
import type { Command } from 'commander';
import { writeReport } from '../report/report.js';

export function register(program: Command): void {
  program
    .command('report <run>')
    .description('write RUN/report.html: curves, threshold sweep, per-class scores, confusion, validation gallery, data figures (opens offline)')
    .option('--data <dir>', "TGS folder (default: the run's own)")
    .action(async (run: string, o: { data?: string }) => {
      const r = await writeReport(run, o.data);
      console.log(`wrote ${r.path}: validation mAP ${r.map.toFixed(4)} at threshold ${r.threshold.toFixed(3)}`);
    });
}
