// `halite evaluate`: score a submission CSV against the masks of a TGS folder, or against a run's
// validation tiles only.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PIXELS } from '../data/rle.js';
import { readTgs } from '../data/tgs.js';
import { evaluate, formatEvaluation, readSubmission } from '../metrics/submission.js';
import { resolveConfig, type TrainConfig } from '../train/config.js';
import { splitIndices } from '../train/trainer.js';

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
      let ids = data.train.ids;
      let masks = data.train.masks;
      if (o.run) {
        const cfgPath = join(resolve(o.run), 'config.json');
        const config = resolveConfig([JSON.parse(readFileSync(cfgPath, 'utf8')) as Partial<TrainConfig>], cfgPath);
        const { val } = splitIndices(data, config);
        ids = val.map((i) => data.train.ids[i]!);
        masks = new Uint8Array(val.length * PIXELS);
        val.forEach((i, k) => masks.set(data.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS));
      }
      const pred = readSubmission(o.submission, ids);
      const e = evaluate(ids, masks, pred);
      console.log(formatEvaluation(e));
      if (o.json) console.log(JSON.stringify(e));
    });
}
