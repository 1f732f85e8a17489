// `halite tune`: tune a finished run's post-processing again (threshold, minimum area, salt gate),
// e.g. for runs trained before minimum-area tuning existed.
import type { Command } from 'commander';
import { readTgs } from '../data/tgs.js';
import { loadRun } from '../infer/run.js';
import type { Tuned } from '../infer/tune.js';
import { tuneRun, tuneSnapshots, validationTiles } from '../train/trainer.js';

export function register(program: Command): void {
  program
    .command('tune')
    .description("tune a run's threshold, minimum salt area and salt gate on its validation tiles with flip TTA; rewrites threshold.json (or, with --snapshots, the snapshot ensemble's tuning)")
    .requiredOption('--run <dir>', 'run directory from halite train')
    .option('--snapshots', 'tune the ensemble of the best weights and the snapshots (what predict --snapshots uses)')
    .action(async (o: { run: string; snapshots?: boolean }) => {
      const run = loadRun(o.run);
      const val = validationTiles(await readTgs(run.config.data, { test: false }), run.config);
      let t: Tuned, models = 1;
      if (o.snapshots) {
        run.model.dispose();
        const s = tuneSnapshots(run.dir, val, run.config);
        if (!s) throw new Error(`${run.dir}: no snapshots besides the best weights (set a phase's "snapshots" or schedule.cycles)`);
        ({ tuned: t, models } = s);
      } else {
        t = tuneRun(run.dir, run.model, val, run.config);
        run.model.dispose();
      }
      console.log(`${models} model${models > 1 ? 's' : ''}: threshold ${t.threshold.toFixed(3)}: ${t.thresholdScore.toFixed(4)}; with minimum area ${t.minArea}${t.gate !== null ? ` and salt gate ${t.gate}` : ''}: ${t.score.toFixed(4)} (flip TTA)`);
      console.log(JSON.stringify({ models, threshold: t.threshold, min_area: t.minArea, gate: t.gate, threshold_map: t.thresholdScore, map: t.score }));
    });
}
