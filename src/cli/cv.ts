// `halite cv`: stratified k-fold cross-validation, one run per fold, with out-of-fold scores; with
// --nproc (or torchrun's variables) the folds are spread over ranks, fold k on rank k mod W.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { configFromFlags, configOptions, type ConfigFlags } from './config-flags.js';
import { asRank, joinJob, launchIfAsked, launchOptions, type LaunchFlags } from './launch-flags.js';
import { wholeNumber } from './parse.js';
import { cvContinueCommand } from '../run/layout.js';

/** How long a rank of `halite cv --nproc` waits in a collective for the other ranks' folds: 7 days. */
const CV_WAIT_MS = 7 * 24 * 3600 * 1000;

export function register(program: Command): void {
  launchOptions(configOptions(program
    .command('cv')
    .description('train every fold of a stratified k-fold split (fold-0 ... in --out), then score the out-of-fold predictions and tune post-processing on them (cv.json)'))
    .option('--folds <k>', 'number of folds', wholeNumber(2), 5)
    .requiredOption('--out <dir>', 'folder for the fold runs and cv.json (run again to resume unfinished folds)'),
  'fold k trains on rank k mod the number of processes, each with cores / --nproc threads')
    .action(async (o: ConfigFlags & LaunchFlags & { folds: number; out: string }) => {
      if (await launchIfAsked(o, `continue with ${cvContinueCommand(o.out)}`)) return;
      const { readLaunchEnv } = await import('../distributed/index.js');
      // A rank that has trained its folds waits in the gather for the others' (up to a fold's training):
      // collectives may wait a week; the rendezvous (--dist-timeout), and a peer whose connection closes, fail as usual.
      const group = await joinJob(o, { timeoutMs: CV_WAIT_MS });
      const { crossValidate } = await import('../train/cv.js');
      // The ranks of one machine share --out: its first rank locks the folder.
      const lock = !group || readLaunchEnv().localRank === 0;
      const s = await asRank(group, o, async () => crossValidate(await configFromFlags({ ...o, fold: 0 }), o.folds, o.out, {}, { group, lock }));
      group?.destroy();
      if (group && group.rank > 0) return;
      for (const f of s.folds) console.log(`fold ${f.fold}: ${f.tiles} tiles, mAP ${f.map.toFixed(4)} (best epoch ${f.bestEpoch})`);
      const g = s.oof.gate !== null ? `, salt gate ${s.oof.gate}` : '';
      console.log(`out-of-fold: ${s.oof.tiles} tiles, mAP ${s.oof.map.toFixed(4)} (threshold ${s.oof.threshold.toFixed(3)}, minimum area ${s.oof.minArea}${g}; ${s.oof.thresholdMap.toFixed(4)} at the threshold alone)`);
      const here = hostname();
      const away = (s.trainedOn ?? []).flatMap((h, k) => (h === here ? [] : [`fold-${k} on ${h}`]));
      if (away.length) console.log(`note: ${away.join(', ')}: those run directories stay in --out ${o.out} on those machines; copy them here beside cv.json to predict with this folder`);
      if (group) console.log(`folds trained over ${group.worldSize} processes (fold k on rank k mod ${group.worldSize})`);
      console.log(JSON.stringify({ folds: s.folds.map((f) => f.map), oof_map: s.oof.map }));
    });
}
