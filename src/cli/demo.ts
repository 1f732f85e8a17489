// `halite demo`: the whole write-up on halite's synthetic seismic — synthesize, explore, train a
// small resunet (BCE then Lovász), tune the threshold, predict the test tiles, evaluate.
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { listOf, wholeNumber } from './parse.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('synthesize seismic data, train a small resunet on it, tune, predict and evaluate; prints where everything is')
    .option('--out <dir>', 'demo folder (replaced if it holds an earlier demo)', 'runs/demo')
    .option('--train <n>', 'synthetic training tiles', wholeNumber(10), 1000)
    .option('--test <n>', 'synthetic test tiles', wholeNumber(1), 200)
    .option('--epochs <list>', 'epochs of the BCE and Lovász phases', listOf(wholeNumber(1), 2), [10, 6])
    .option('--seed <n>', 'seed', wholeNumber(0), 0)
    .action(async (o: { out: string; train: number; test: number; epochs: number[]; seed: number }) => {
      const { writeSynth } = await import('../data/synth/generate.js');
      const { readTgs } = await import('../data/tgs.js');
      const { explore } = await import('../data/explore.js');
      const { predictTiles } = await import('../infer/predict.js');
      const { loadRun } = await import('../infer/run.js');
      const { writeSubmission } = await import('../infer/submission.js');
      const { scoreValidation } = await import('../infer/validate.js');
      const { formatEvaluation } = await import('../metrics/submission.js');
      const { resolveConfig } = await import('../train/config.js');
      const { train, validationTiles } = await import('../train/trainer.js');
      const t0 = performance.now();
      const out = resolve(o.out);
      const dataDir = join(out, 'data'), runDir = join(out, 'run');
      const seed = o.seed;
      console.log(`1/5 synthesizing ${o.train} + ${o.test} tiles into ${dataDir}`);
      writeSynth({ out: dataDir, train: o.train, test: o.test, seed, force: true });
      const data = await readTgs(dataDir);
      console.log(`2/5 exploring: figures in ${join(out, 'figures')}`);
      await explore(data, join(out, 'figures'), seed);
      if (existsSync(join(runDir, 'config.json'))) rmSync(runDir, { recursive: true });
      const [bceEpochs, lovaszEpochs] = o.epochs;
      const config = resolveConfig([{
        // Small and quick: 8 start filters, batch 16 for more updates per minute, and PyTorch's BN
        // momentum so validation statistics settle within a few epochs. No dropout and cosine
        // schedules, as in examples/resunet-60min.json: at a constant rate the score swung by 0.15 from seed to seed.
        data: dataDir, runsDir: out, name: 'run', model: 'resunet', modelOptions: { startFilters: 8, bnMomentum: 0.1, dropout: 0 }, seed, batchSize: 16,
        optimizer: { name: 'adam', lr: 2e-3 },
        valFraction: 0.1,
        phases: [
          { loss: 'bce', epochs: bceEpochs!, schedule: { name: 'cosine', minLr: 2e-4 } },
          { loss: { name: 'lovasz', activation: 'elu' }, epochs: lovaszEpochs!, lr: 1e-3, schedule: { name: 'cosine', minLr: 1e-5 } },
        ],
        earlyStopping: null,
      }], 'demo');
      console.log(`3/5 training resunet (8 start filters): ${bceEpochs} BCE + ${lovaszEpochs} Lovász epochs, run directory ${runDir}`);
      const r = await train(config);
      const run = loadRun(r.run);
      console.log(`4/5 predicting ${data.test!.ids.length} test tiles -> ${join(out, 'submission.csv')}`);
      const test = predictTiles(run.model, data.test!.images, { tta: true });
      writeSubmission(join(out, 'submission.csv'), data.submissionIds ?? data.test!.ids, test.probs, { ...run.post, salt: test.salt, masksDir: join(out, 'test-masks') });
      console.log('5/5 evaluating the validation tiles with the tuned post-processing and flip TTA');
      const e = scoreValidation(run, validationTiles(data, config)).evaluation;
      console.log(formatEvaluation(e));
      console.log(`\nvalidation mAP ${e.map.toFixed(4)} (threshold ${run.post.threshold.toFixed(3)}, minimum area ${run.post.minArea}, flip TTA) in ${((performance.now() - t0) / 60000).toFixed(1)} min`);
      console.log(`data        ${dataDir}\nfigures     ${join(out, 'figures')}\nrun         ${runDir} (config.json, history.jsonl, best.safetensors, last.ckpt.safetensors, threshold.json)\nsubmission  ${join(out, 'submission.csv')}\ntest masks  ${join(out, 'test-masks')}`);
      console.log(JSON.stringify({ val_map: e.map, threshold: run.post.threshold, minutes: (performance.now() - t0) / 60000 }));
    });
}
