// `halite evaluate`: score a submission CSV against the masks of a TGS folder, or against a run's
// validation tiles only.
import type { Command } from 'commander';
import { existingFolder, runDirectory } from './parse.js';
import { withoutTorch } from './threads.js';

export function register(program: Command): void {
  withoutTorch(program
    .command('evaluate')
    .description('score a submission CSV against the training masks of a TGS folder (mAP, per-coverage-class table, empty confusion)')
    .requiredOption('--data <dir>', 'TGS layout folder whose train masks are the truth', existingFolder)
    .requiredOption('--submission <file>', 'id,rle_mask CSV carrying exactly those ids')
    .option('--run <dir>', "score only that run's validation tiles (the submission carries exactly their ids)", runDirectory())
    .option('--json', 'end with one JSON line')
    .action(async (o: { data: string; submission: string; run?: string; json?: boolean }) => {
      const { readTgs } = await import('../data/tgs.js');
      const { evaluate, formatEvaluation, readSubmission, SubmissionIdsError } = await import('../metrics/submission.js');
      const data = await readTgs(o.data, { test: false });
      let ids = data.train.ids, masks = data.train.masks;
      if (o.run) {
        const { readRunConfig } = await import('../run/config.js');
        const { validationTiles } = await import('../train/trainer.js');
        ({ ids, masks } = validationTiles(data, readRunConfig(o.run)));
      }
      let pred: Map<string, Uint8Array>;
      try {
        pred = readSubmission(o.submission, ids);
      } catch (e) {
        // Under half the training ids and no others: most likely a run's validation predictions.
        if (!o.run && e instanceof SubmissionIdsError && e.unknown.length === 0 && e.missing.length > ids.length / 2 && e.missing.length < ids.length) {
          throw new Error(`${e.message}\nIt covers ${ids.length - e.missing.length} of the ${ids.length} training tiles: if it holds a run's validation tiles (halite predict --val), add --run RUN_DIR to score those alone.`);
        }
        throw e;
      }
      const e = evaluate(ids, masks, pred);
      console.log(formatEvaluation(e));
      if (o.json) console.log(JSON.stringify(e));
    }));
}
