// `halite evaluate`: score a submission CSV against the masks of a TGS folder, or against a run's
// validation tiles only.
import type { Command } from 'commander';
import { readTgs } from '../data/tgs.js';
import { evaluate, formatEvaluation, readSubmission } from '../metrics/submission.js';
import { readRunConfig } from '../train/config.js';
import { validationTiles } from '../train/trainer.js';

export function register(program: Command): void {
  program
    .command('evaluate')
    .description('score a submission CSV against the training masks of a TGS folder (mAP, per-coverage-class table, empty confusion)')
    .requiredOption('--data <dir>', 'TGS layout folder whose train masks are the truth')
    .requiredOption('--submission <file>', 'id,rle_mask CSV carrying exactly those ids')
    .option('--run <dir>', "score only that run's validation tiles (the submission carries exactly their ids)")
    .option('--json', 'end with one JSON line')
    .action(async (o: { data: string; submission: string; run?: string; json?: boolean }) => {
      const data = await readTgs(o.data, { test: false });
      const { ids, masks } = o.run ? validationTiles(data, readRunConfig(o.run)) : data.train;
      const pred = readSubmission(o.submission, ids);
      const e = evaluate(ids, masks, pred);
      console.log(formatEvaluation(e));
      if (o.json) console.log(JSON.stringify(e));
    });
}
