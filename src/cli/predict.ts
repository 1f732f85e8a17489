// `halite predict`: one run, or an ensemble of runs, folds and snapshots, over a folder of tiles,
// written as a Kaggle submission. `halite pseudo-label` keeps the confident test predictions.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readCsv, indexById } from '../data/csv.js';
import { decodeImages } from '../data/decode-pool.js';
import { writePseudoLabels } from '../data/pseudo.js';
import { readTgs } from '../data/tgs.js';
import { disposeMembers, ensemblePostprocess, loadMembers, predictEnsemble, type MemberSpec } from '../infer/ensemble.js';
import { writeSubmission } from '../infer/submission.js';
import type { Postprocess } from '../infer/tune.js';
import { validationTiles } from '../train/trainer.js';

/** The ids to predict: a sample submission's, in its order (each must have an image), or every PNG. */
export function submissionIds(images: string, sample?: string): string[] {
  if (!existsSync(images)) throw new Error(`${images}: folder not found`);
  const pngs = new Set(readdirSync(images).filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4)));
  if (!sample) return [...pngs].sort();
  const rows = readCsv(sample, ['id', 'rle_mask']);
  indexById(sample, rows);
  for (const r of rows) if (!pngs.has(r.fields.id!)) throw new Error(`${sample}:${r.line}: id ${r.fields.id} has no image in ${images}`);
  return rows.map((r) => r.fields.id!);
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export interface EnsembleFlags { run: string[]; weights?: string; snapshots?: boolean }

/** --run (repeatable) with --weights and --snapshots as member specs. */
export function memberSpecs(o: EnsembleFlags): MemberSpec[] {
  const weights = o.weights ? o.weights.split(',').map(Number) : o.run.map(() => 1);
  if (weights.length !== o.run.length) throw new Error(`--weights lists ${weights.length} values for ${o.run.length} --run`);
  return o.run.map((dir, i) => ({ dir, weight: weights[i], snapshots: o.snapshots }));
}

function ensembleOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--run <dir>', 'run directory from halite train, or a halite cv folder (all folds); repeat for an ensemble', collect)
    .option('--weights <list>', 'ensemble weight per --run, e.g. 0.7,0.3 (default: equal)')
    .option('--snapshots', "add each run's snapshots (cosine-cycle ends, a phase's last epochs) to the ensemble")
    .option('--no-tta', 'no horizontal-flip test-time augmentation')
    .option('--batch-size <n>', 'tiles per forward pass', '64');
}

export function register(program: Command): void {
  ensembleOptions(program
    .command('predict')
    .description("predict salt masks for a folder of tiles with one run or an ensemble and the tuned post-processing; writes a Kaggle submission"))
    .option('--images <dir>', 'folder of 101x101 PNG tiles')
    .requiredOption('--out <file>', 'submission CSV to write')
    .option('--sample <csv>', 'sample_submission.csv whose ids (and order) the submission must carry')
    .option('--val', "predict the (first) run's validation tiles instead of --images")
    .option('--masks <dir>', 'also write the predicted masks as PNGs')
    .option('--threshold <p>', 'probability threshold (default: the tuned one)')
    .option('--min-area <pixels>', 'masks with fewer salt pixels become empty (default: the tuned value)')
    .option('--gate <p>', "empty masks whose salt-classifier probability is below this (default: the tuned value)")
    .option('--segy <file>', 'predict a post-stack SEG-Y survey instead of tiles; --out is then the salt probability SEG-Y')
    .option('--sections <list>', 'with --segy: inline, crossline, or inline,crossline (their mean)', 'inline,crossline')
    .option('--mask-out <file>', 'with --segy: also write the thresholded salt mask volume (1 salt, 0 not)')
    .option('--png <dir>', 'with --segy: PNG previews of sections with the salt overlaid')
    .option('--png-sections <list>', 'with --png: sections to preview, e.g. il:120,xl:880 (default: the middle inline and crossline)')
    .option('--normalise <json>', "with --segy: clip amplitudes at tiles.json's clip: [lo, hi] (default: the survey's 0.5/99.5 percentiles)")
    .option('--iline-byte <n>', 'with --segy: trace-header byte of the inline number (4-byte integer)', '189')
    .option('--xline-byte <n>', 'with --segy: trace-header byte of the crossline number (4-byte integer)', '193')
    .action(async (o: EnsembleFlags & { segy?: string; images?: string; val?: boolean; out: string; sample?: string; masks?: string; threshold?: string; minArea?: string; gate?: string; tta: boolean; batchSize: string }) => {
      if (o.segy) return (await import('./predict-segy.js')).predictSegy(o);
      const t0 = performance.now();
      const specs = memberSpecs(o);
      const members = loadMembers(specs);
      let ids: string[], images: Float32Array;
      if (o.val) {
        const first = members[0]!.run.config;
        // The reader has decoded the validation tiles already; no second pass over the PNGs.
        ({ ids, images } = validationTiles(await readTgs(first.data, { test: false }), first));
      } else {
        if (!o.images) throw new Error('give --images DIR (or --val for the run\'s validation tiles)');
        const dir = o.images;
        ids = submissionIds(dir, o.sample);
        images = await decodeImages(ids.map((id) => join(dir, `${id}.png`)));
      }
      const { probs, salt } = predictEnsemble(members, images, { tta: o.tta, batchSize: Number(o.batchSize) });
      const tuned = ensemblePostprocess(members, specs);
      const post: Postprocess = {
        threshold: o.threshold !== undefined ? Number(o.threshold) : tuned.threshold,
        minArea: o.minArea !== undefined ? Number(o.minArea) : tuned.minArea,
        gate: o.gate !== undefined ? Number(o.gate) : tuned.gate,
      };
      const { empty } = writeSubmission(o.out, ids, probs, { ...post, salt, masksDir: o.masks });
      disposeMembers(members);
      const who = members.length > 1 ? `${members.length} models` : '1 model';
      console.log(`wrote ${o.out}: ${ids.length} tiles, ${empty} without salt, ${who}, threshold ${post.threshold.toFixed(3)}, minimum area ${post.minArea}` +
        `${post.gate !== null && salt ? `, salt gate ${post.gate}` : ''}${o.tta ? ', flip TTA' : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if (o.masks) console.log(`masks in ${o.masks}`);
    });

  ensembleOptions(program
    .command('pseudo-label')
    .description('predict unlabelled tiles with a run or an ensemble and keep the confident ones (every pixel below --low or above --high) as training data'))
    .requiredOption('--images <dir>', 'folder of unlabelled 101x101 PNG tiles (e.g. test/images)')
    .requiredOption('--out <dir>', 'folder to write images/, masks/ and pseudo.json')
    .option('--low <p>', 'a pixel is confidently empty below this probability', '0.2')
    .option('--high <p>', 'a pixel is confidently salt above this probability', '0.8')
    .action(async (o: EnsembleFlags & { images: string; out: string; low: string; high: string; tta: boolean; batchSize: string }) => {
      const specs = memberSpecs(o);
      const members = loadMembers(specs);
      const ids = submissionIds(o.images);
      const images = await decodeImages(ids.map((id) => join(o.images, `${id}.png`)));
      const { probs } = predictEnsemble(members, images, { tta: o.tta, batchSize: Number(o.batchSize) });
      const info = writePseudoLabels(o.out, ids, o.images, probs,
        { threshold: ensemblePostprocess(members, specs).threshold, low: Number(o.low), high: Number(o.high), sources: members.map((m) => m.label) });
      disposeMembers(members);
      console.log(`wrote ${o.out}: ${info.kept} of ${info.total} tiles confident (every pixel < ${info.low} or > ${info.high}); train with --pseudo-labels ${o.out}`);
    });
}
