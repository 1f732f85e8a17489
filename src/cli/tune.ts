// `halite tune`: tune a finished run's post-processing again (threshold, minimum area, salt gate),
// e.g. for runs trained before minimum-area tuning existed.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Tuned } from '../infer/tune.js';
import { runDirectory } from './parse.js';

export function register(program: Command): void {
  program
    .command('tune')
    .description("tune a run's threshold, minimum salt area and salt gate on its validation tiles with flip TTA; rewrites threshold.json (or, with --snapshots, the snapshot ensemble's tuning)")
    .requiredOption('--run <dir>', 'run directory from halite train', runDirectory())
    .option('--snapshots', 'tune the ensemble of the best weights and the snapshots (what predict --snapshots uses)')
    .action(async (o: { run: string; snapshots?: boolean }) => {
      const { readTgs } = await import('../data/tgs.js');
      const { loadRun } = await import('../infer/run.js');
      const { readRunConfig, runDataFolder } = await import('../run/config.js');
      const { tuneRun, tuneSnapshots } = await import('../train/tuning.js');
      const { validationTiles } = await import('../data/split.js');
      const { crossFitText } = await import('../infer/tune.js');
      const dir = resolve(o.run);
      const config = readRunConfig(dir);
      const dataDir = runDataFolder(config, `move it back, or set "data" in ${dir}/config.json to where it is now`);
      const val = validationTiles(await readTgs(dataDir, { test: false }), config);
      let t: Tuned, models = 1;
      if (o.snapshots) {
        // The ensemble loads its own members, the best weights among them.
        const s = tuneSnapshots(dir, val, config);
        if (!s) throw new Error(`${dir}: no snapshots besides the best weights (set a phase's "snapshots" or schedule.cycles)`);
        ({ tuned: t, models } = s);
      } else {
        const run = loadRun(dir);
        t = tuneRun(dir, run.model, val, config);
        run.model.dispose();
      }
      console.log(`${models} model${models > 1 ? 's' : ''}: threshold ${t.threshold.toFixed(3)}: ${t.thresholdScore.toFixed(4)}; with minimum area ${t.minArea}${t.gate !== null ? ` and salt gate ${t.gate}` : ''}: ${t.score.toFixed(4)} (flip TTA)` +
        (t.crossFitScore !== undefined ? `; ${crossFitText(t)}` : ''));
      console.log(JSON.stringify({ models, threshold: t.threshold, min_area: t.minArea, gate: t.gate, threshold_map: t.thresholdScore, map: t.score, cross_fit_map: t.crossFitScore ?? null, cross_fit_spread: t.crossFitSpread ?? null }));
    });
}
