// `halite predict`: a run's model over a folder of tiles, written as a Kaggle submission.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readCsv, indexById } from '../data/csv.js';
import { decodeImages } from '../data/decode-pool.js';
import { predictProbabilities } from '../infer/predict.js';
import { loadRun } from '../infer/run.js';
import { writeSubmission } from '../infer/submission.js';
import { readTgs } from '../data/tgs.js';
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

export function register(program: Command): void {
  program
    .command('predict')
    .description("predict salt masks for a folder of tiles with a run's best weights and tuned threshold; writes a Kaggle submission")
    .requiredOption('--run <dir>', 'run directory from halite train')
    .option('--images <dir>', 'folder of 101x101 PNG tiles')
    .requiredOption('--out <file>', 'submission CSV to write')
    .option('--sample <csv>', 'sample_submission.csv whose ids (and order) the submission must carry')
    .option('--val', "predict the run's own validation tiles (from its data folder) instead of --images")
    .option('--masks <dir>', 'also write the predicted masks as PNGs')
    .option('--threshold <p>', "probability threshold (default: the run's tuned one)")
    .option('--min-area <pixels>', 'masks with fewer salt pixels become empty', '0')
    .option('--no-tta', 'no horizontal-flip test-time augmentation')
    .option('--batch-size <n>', 'tiles per forward pass', '64')
    .action(async (o: { run: string; images?: string; val?: boolean; out: string; sample?: string; masks?: string; threshold?: string; minArea: string; tta: boolean; batchSize: string }) => {
      const t0 = performance.now();
      const run = loadRun(o.run);
      let ids: string[], images: Float32Array;
      if (o.val) {
        // The reader has decoded the validation tiles already; no second pass over the PNGs.
        ({ ids, images } = validationTiles(await readTgs(run.config.data, { test: false }), run.config));
      } else {
        if (!o.images) throw new Error('give --images DIR (or --val for the run\'s validation tiles)');
        const dir = o.images;
        ids = submissionIds(dir, o.sample);
        images = await decodeImages(ids.map((id) => join(dir, `${id}.png`)));
      }
      const probs = predictProbabilities(run.model, images, { tta: o.tta, batchSize: Number(o.batchSize), device: run.config.device });
      const threshold = o.threshold !== undefined ? Number(o.threshold) : run.threshold;
      const { empty } = writeSubmission(o.out, ids, probs, { threshold, minArea: Number(o.minArea), masksDir: o.masks });
      console.log(`wrote ${o.out}: ${ids.length} tiles, ${empty} without salt, threshold ${threshold.toFixed(3)}${o.tta ? ', flip TTA' : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if (o.masks) console.log(`masks in ${o.masks}`);
    });
}
