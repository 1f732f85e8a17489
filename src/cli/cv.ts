// `halite cv`: stratified k-fold cross-validation, one run per fold, with out-of-fold scores.
import type { Command } from 'commander';
import { configFromFlags, configOptions, type ConfigFlags } from './config-flags.js';
import { wholeNumber } from './parse.js';

export function register(program: Command): void {
  configOptions(program
    .command('cv')
    .description('train every fold of a stratified k-fold split (fold-0 ... in --out), then score the out-of-fold predictions and tune post-processing on them (cv.json)'))
    .option('--folds <k>', 'number of folds', wholeNumber(2), 5)
    .requiredOption('--out <dir>', 'folder for the fold runs and cv.json (run again to resume unfinished folds)')
    .action(async (o: ConfigFlags & { folds: number; out: string }) => {
      const { crossValidate } = await import('../train/cv.js');
      const s = await crossValidate(await configFromFlags({ ...o, fold: 0 }), o.folds, o.out);
      for (const f of s.folds) console.log(`fold ${f.fold}: ${f.tiles} tiles, mAP ${f.map.toFixed(4)} (best epoch ${f.bestEpoch})`);
      const g = s.oof.gate !== null ? `, salt gate ${s.oof.gate}` : '';
      console.log(`out-of-fold: ${s.oof.tiles} tiles, mAP ${s.oof.map.toFixed(4)} (threshold ${s.oof.threshold.toFixed(3)}, minimum area ${s.oof.minArea}${g}; ${s.oof.thresholdMap.toFixed(4)} at the threshold alone)`);
      console.log(JSON.stringify({ folds: s.folds.map((f) => f.map), oof_map: s.oof.map }));
    });
}
