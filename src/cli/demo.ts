// `halite demo`: the whole write-up on halite's synthetic seismic — synthesize, explore, train a
// small resunet (BCE then Lovász), tune the threshold, predict the test tiles, evaluate.
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { RUN_FILES, resumeCommand, runHas, runPath } from '../run/layout.js';
import { listOf, wholeNumber } from './parse.js';

/** The demo's residual U-Net width: its first stage's filters (the seed's network has 16). */
const DEMO_FILTERS = 6;

export function register(program: Command): void {
  program
    .command('demo')
    .description('synthesize seismic data, train a small resunet on it, tune, predict and evaluate; prints where everything is')
    .option('--out <dir>', 'demo folder (replaced if it holds an earlier demo)', 'runs/demo')
    .option('--train <n>', 'synthetic training tiles', wholeNumber(10), 1000)
    .option('--test <n>', 'synthetic test tiles', wholeNumber(1), 200)
    .option('--epochs <list>', 'epochs of the BCE and Lovász phases', listOf(wholeNumber(1), 2), [6, 4])
    .option('--seed <n>', 'seed', wholeNumber(0), 0)
    .action(async (o: { out: string; train: number; test: number; epochs: number[]; seed: number }) => {
      const { writeSynth } = await import('../data/synth/generate.js');
      const { readTgs } = await import('../data/tgs.js');
      const { exploreFigures, writeExploreFiles } = await import('../report/explore-figures.js');
      const { predictTiles } = await import('../infer/predict.js');
      const { loadRun } = await import('../infer/run.js');
      const { writeSubmission } = await import('../infer/submission.js');
      const { scoreValidation } = await import('../infer/validate.js');
      const { formatEvaluation } = await import('../metrics/submission.js');
      const { resolveConfig } = await import('../run/config.js');
      const { train } = await import('../train/trainer.js');
      const { validationTiles } = await import('../data/split.js');
      const t0 = performance.now();
      // Each step is stamped with the time since the start, so a user sees where the minutes go.
      const say = (msg: string) => {
        const sec = Math.round((performance.now() - t0) / 1000);
        console.log(`[${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}] ${msg}`);
      };
      const out = resolve(o.out);
      const dataDir = join(out, 'data'), runDir = join(out, 'run');
      const seed = o.seed;
      say(`1/5 synthesizing ${o.train} + ${o.test} tiles into ${dataDir}`);
      writeSynth({ out: dataDir, train: o.train, test: o.test, seed, force: true });
      const data = await readTgs(dataDir);
      say(`2/5 exploring: figures in ${join(out, 'figures')}`);
      writeExploreFiles(join(out, 'figures'), await exploreFigures(data, seed));
      if (runHas(runDir, 'config')) rmSync(runDir, { recursive: true });
      const [bceEpochs, lovaszEpochs] = o.epochs;
      const config = resolveConfig([{
        // Small and quick: 6 start filters (on seed 0's data 4 filters scored 0.707 in 10 + 6 epochs against 0.695
        // with 8, at 12.5 s an epoch against 20 s, but seed 2's 4-filter network barely learned: 0.52, against 0.714
        // with 6), batch 16 (batch 8 scored 0.470 against 0.509 on 4 + 3 epochs), and PyTorch's BN momentum so
        // validation statistics settle within a few epochs. No dropout and cosine schedules, as in
        // examples/resunet-60min.json: at a constant rate the score swung by 0.15 from seed to seed.
        data: dataDir, runsDir: out, name: 'run', model: 'resunet', modelOptions: { startFilters: DEMO_FILTERS, bnMomentum: 0.1, dropout: 0 }, seed, batchSize: 16,
        optimizer: { name: 'adam', lr: 2e-3 },
        valFraction: 0.1,
        phases: [
          { loss: 'bce', epochs: bceEpochs!, schedule: { name: 'cosine', minLr: 2e-4 } },
          { loss: { name: 'lovasz', activation: 'elu' }, epochs: lovaszEpochs!, lr: 1e-3, schedule: { name: 'cosine', minLr: 1e-5 } },
        ],
        earlyStopping: null,
      }], 'demo');
      say(`3/5 training resunet (${DEMO_FILTERS} start filters): ${bceEpochs} BCE + ${lovaszEpochs} Lovász epochs, run directory ${runDir}`);
      const r = await train(config);
      if (r.stopped === 'interrupted') {
        // Ctrl-C or SIGTERM: the checkpoint is written; predicting from a half-trained run would mislead.
        console.log(`demo stopped during training; continue it with: ${resumeCommand(relative(process.cwd(), r.run) || '.')}`);
        process.exitCode = r.signal === 'SIGTERM' ? 143 : 130;
        return;
      }
      const run = loadRun(r.run);
      say(`4/5 predicting ${data.test!.ids.length} test tiles -> ${join(out, 'submission.csv')}`);
      const test = predictTiles(run.model, data.test!.images, { tta: true });
      writeSubmission(join(out, 'submission.csv'), data.submissionIds ?? data.test!.ids, test.probs, { ...run.post, salt: test.salt, masksDir: join(out, 'test-masks') });
      say('5/5 evaluating the validation tiles with the tuned post-processing and flip TTA');
      const e = scoreValidation(run, validationTiles(data, config)).evaluation;
      console.log(formatEvaluation(e));
      console.log(`\nvalidation mAP ${e.map.toFixed(4)} (threshold ${run.post.threshold.toFixed(3)}, minimum area ${run.post.minArea}, flip TTA) in ${((performance.now() - t0) / 60000).toFixed(1)} min`);
      console.log(`data        ${dataDir}\nfigures     ${join(out, 'figures')}\nrun         ${runDir} (${(['config', 'history', 'best', 'checkpoint', 'tuning'] as const).map((f) => RUN_FILES[f]).join(', ')})\nsubmission  ${join(out, 'submission.csv')}\ntest masks  ${join(out, 'test-masks')}`);
      // Where a user looks next: the run's report, and the web app over this demo's runs and data.
      const rel = (p: string) => { const r = relative(process.cwd(), p); return r === '' ? '.' : r.startsWith('..') ? p : r; };
      const next = [[`npx halite report ${rel(runDir)}`, `writes ${rel(runPath(runDir, 'report'))}: curves, scores, galleries`],
        [`npx halite serve --runs ${rel(out)} --data ${rel(dataDir)}`, 'the web app at http://127.0.0.1:8080']];
      const w = Math.max(...next.map(([c]) => c!.length));
      console.log(`\nnext:\n${next.map(([c, why]) => `  ${c!.padEnd(w)}   # ${why}`).join('\n')}`);
      console.log(JSON.stringify({ val_map: e.map, threshold: run.post.threshold, minutes: (performance.now() - t0) / 60000 }));
    });
}
