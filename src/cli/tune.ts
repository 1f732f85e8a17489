// `halite tune`: tune a finished run's post-processing again (threshold, minimum area, salt gate),
// e.g. for runs trained before minimum-area tuning existed.
import type { Command } from 'commander';
import { readTgs } from '../data/tgs.js';
import { loadRun } from '../infer/run.js';
import { tuneRun, validationTiles } from '../train/trainer.js';

export function register(program: Command): void {
  program
    .command('tune')
    .description("tune a run's threshold, minimum salt area and salt gate on its validation tiles with flip TTA; rewrites threshold.json")
    .requiredOption('--run <dir>', 'run directory from halite train')
    .action(async (o: { run: string }) => {
      const run = loadRun(o.run);
      const t = tuneRun(run.dir, run.model, validationTiles(await readTgs(run.config.data, { test: false }), run.config), run.config);
      run.model.dispose();
      console.log(`threshold ${t.threshold.toFixed(3)}: ${t.thresholdScore.toFixed(4)}; with minimum area ${t.minArea}${t.gate !== null ? ` and salt gate ${t.gate}` : ''}: ${t.score.toFixed(4)} (flip TTA)`);
      console.log(JSON.stringify({ threshold: t.threshold, min_area: t.minArea, gate: t.gate, threshold_map: t.thresholdScore, map: t.score }));
    });
}
