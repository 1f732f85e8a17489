// `halite evaluate`: score a submission CSV against the masks of a TGS folder.
import type { Command } from 'commander';
import { readTgs } from '../data/tgs.js';
import { evaluate, formatEvaluation, readSubmission } from '../metrics/submission.js';

export function register(program: Command): void {
  program
    .command('evaluate')
    .description('score a submission CSV against the training masks of a TGS folder (mAP, per-coverage-class table, empty confusion)')
    .requiredOption('--data <dir>', 'TGS layout folder whose train masks are the truth')
    .requiredOption('--submission <file>', 'id,rle_mask CSV carrying exactly those ids')
    .option('--json', 'end with one JSON line')
    .action(async (o: { data: string; submission: string; json?: boolean }) => {
      const data = await readTgs(o.data, { test: false });
      const pred = readSubmission(o.submission, data.train.ids);
      const e = evaluate(data.train.ids, data.train.masks, pred);
      console.log(formatEvaluation(e));
      if (o.json) console.log(JSON.stringify(e));
    });
}
