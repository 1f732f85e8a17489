// `halite evaluate`: score a submission CSV against the masks of a TGS folder, or against a run's
// validation tiles only; or, with --segy/--truth, a predicted salt volume against a labelled one.
import type { Command } from 'commander';
import { existingFolder, probability, runDirectory, sectionKinds } from './parse.js';
import { withoutTorch } from './threads.js';

interface Flags {
  data?: string; submission?: string; run?: string;
  segy?: string; truth?: string; threshold?: number; sections?: string;
  json?: boolean;
}

const FORMS = 'Score tiles with --data DIR --submission FILE, or a survey with --segy PRED.sgy --truth TRUTH.sgy';

/** Which of the two forms the flags ask for; throws naming the flags that do not belong together. */
function form(o: Flags): 'tiles' | 'survey' {
  const tiles = (['data', 'submission', 'run'] as const).filter((k) => o[k] !== undefined);
  const survey = (['segy', 'truth', 'threshold', 'sections'] as const).filter((k) => o[k] !== undefined);
  const flags = (ks: readonly string[]) => ks.map((k) => `--${k}`).join(', ');
  if (tiles.length && survey.length) throw new Error(`${flags(tiles)} and ${flags(survey)} belong to different forms of evaluate. ${FORMS}.`);
  if (survey.length) {
    if (!o.segy || !o.truth) throw new Error(`${o.segy ? '--truth TRUTH.sgy' : '--segy PRED.sgy'} is missing: a survey is scored with --segy PRED.sgy (halite predict --segy's output) --truth TRUTH.sgy (a 0/1 salt volume on the same grid).`);
    return 'survey';
  }
  if (!o.data || !o.submission) throw new Error(`${tiles.length ? `${o.data ? '--submission FILE' : '--data DIR'} is missing` : 'nothing to score'}. ${FORMS}.`);
  return 'tiles';
}

export function register(program: Command): void {
  withoutTorch(program
    .command('evaluate')
    .description('score a submission CSV against the training masks of a TGS folder (mAP, per-coverage-class table, empty confusion), or with --segy/--truth a predicted salt volume against a labelled one (3D IoU, precision, recall, metric over sections)')
    .option('--data <dir>', 'TGS layout folder whose train masks are the truth', existingFolder)
    .option('--submission <file>', 'id,rle_mask CSV carrying exactly those ids')
    .option('--run <dir>', "score only that run's validation tiles (the submission carries exactly their ids)", runDirectory())
    .option('--segy <file>', 'instead of --data/--submission: a predicted salt volume (halite predict --segy: probabilities, or the 0/1 mask)')
    .option('--truth <file>', 'with --segy: the 0/1 salt volume on the same grid (e.g. salt.sgy of halite synth --volume)')
    .option('--threshold <p>', 'with --segy: a prediction sample above this is salt (default 0.5)', probability)
    .option('--sections <list>', 'with --segy: directions scored with the competition metric: inline, crossline or inline,crossline (default both)')
    .option('--json', 'end with one JSON line')
    .action(async (o: Flags) => {
      if (form(o) === 'survey') {
        const sections = o.sections === undefined ? undefined : sectionKinds(o.sections);
        const { evaluateSurvey, formatSurveyEvaluation } = await import('../metrics/volume.js');
        const e = evaluateSurvey(o.segy!, o.truth!, { threshold: o.threshold, sections });
        console.log(formatSurveyEvaluation(e));
        if (o.json) console.log(JSON.stringify(e));
        return;
      }
      const { readTgs, trainIds } = await import('../data/tgs.js');
      const { evaluate, formatEvaluation, readSubmission, SubmissionIdsError } = await import('../metrics/submission.js');
      const check = (ids: string[]): Map<string, Uint8Array> => {
        try {
          return readSubmission(o.submission!, ids);
        } catch (e) {
          // Under half the training ids and no others: most likely a run's validation predictions.
          if (!o.run && e instanceof SubmissionIdsError && e.unknown.length === 0 && e.missing.length > ids.length / 2 && e.missing.length < ids.length) {
            throw new Error(`${e.message}\nIt covers ${ids.length - e.missing.length} of the ${ids.length} training tiles: if it holds a run's validation tiles (halite predict --val), add --run RUN_DIR to score those alone.`);
          }
          throw e;
        }
      };
      // Against all training tiles the submission is checked before thousands of masks are decoded, so a bad one fails at once.
      const early = o.run ? null : check(trainIds(o.data!));
      const data = await readTgs(o.data!, { test: false, images: false });
      let ids = data.train.ids, masks = data.train.masks;
      if (o.run) {
        const { readRunConfig } = await import('../run/config.js');
        const { validationTiles } = await import('../data/split.js');
        ({ ids, masks } = validationTiles(data, readRunConfig(o.run)));
      }
      const e = evaluate(ids, masks, early ?? check(ids));
      console.log(formatEvaluation(e));
      if (o.json) console.log(JSON.stringify(e));
    }));
}
