// `halite synth`: write a synthetic TGS-layout data set, or with --volume a 3D survey as SEG-Y.
import type { Command } from 'commander';
import { wholeNumber } from './parse.js';
import { withoutTorch } from './threads.js';

interface VolumeFlags { out: string; seed: number; force?: boolean; inlines: number; crosslines: number; samples: number; sampleInterval: number; saltBodies?: number }

/** --volume: seismic.sgy and salt.sgy written inline by inline, with a progress bar on a terminal. */
async function synthVolume(o: VolumeFlags): Promise<void> {
  const { writeSynthVolume } = await import('../data/synth/volume.js');
  const cliProgress = (await import('cli-progress')).default;
  const t0 = performance.now();
  const bar = process.stderr.isTTY === true ? new cliProgress.SingleBar({ format: 'inlines |{bar}| {value}/{total} | ETA {eta_formatted}', stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
  try {
    const r = writeSynthVolume({
      out: o.out, seed: o.seed, force: o.force === true, inlines: o.inlines, crosslines: o.crosslines, samples: o.samples,
      sampleInterval: o.sampleInterval, saltBodies: o.saltBodies,
      onSection: (done, total) => { if (done === 1) bar?.start(total, 0); bar?.update(done); },
    });
    bar?.stop();
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    console.log(`wrote ${r.seismic} and ${r.salt} (${mb(r.bytes)} each): ${o.inlines} inlines × ${o.crosslines} crosslines × ${r.samples} samples of ${o.sampleInterval / 1000} ms, ${r.traces} traces`);
    console.log(`salt: ${r.saltSamples} of ${r.traces * r.samples} samples (${(100 * r.saltFraction).toFixed(2)}%) in ${r.bodies.length} bod${r.bodies.length === 1 ? 'y' : 'ies'} (${r.bodies.map((b) => `${b.kind} from sample ${b.top}`).join(', ')}); Ricker ${r.peakFrequencyHz.toFixed(1)} Hz; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    bar?.stop();
  }
}

export function register(program: Command): void {
  withoutTorch(program
    .command('synth')
    .description('write a synthetic seismic data set in the TGS layout (PNGs, train.csv, depths.csv, sample_submission.csv), or with --volume a 3D survey (seismic.sgy, salt.sgy)')
    .requiredOption('--out <dir>', 'new folder to create')
    .option('--train <n>', 'labelled tiles', wholeNumber(1), 1000)
    .option('--test <n>', 'unlabelled tiles', wholeNumber(0), 200)
    .option('--seed <n>', 'random seed', wholeNumber(0), 0)
    .option('--force', 'replace the folder if it exists (once the new one is complete)')
    .option('--volume', 'write a 3D survey as SEG-Y instead: seismic.sgy and salt.sgy (1 in salt, 0 outside)')
    .option('--inlines <n>', 'with --volume: inlines (numbered from 100)', wholeNumber(1), 200)
    .option('--crosslines <n>', 'with --volume: crosslines (numbered from 500)', wholeNumber(1), 200)
    .option('--samples <n>', 'with --volume: samples per trace', wholeNumber(8), 400)
    .option('--sample-interval <us>', 'with --volume: sample interval in µs', wholeNumber(1, 65535), 4000)
    .option('--salt-bodies <n>', 'with --volume: salt bodies (default 1 to 3, drawn)', wholeNumber(1))
    .action(async (o: VolumeFlags & { train: number; test: number; volume?: boolean }) => {
      if (o.volume) return synthVolume(o);
      const { writeSynth } = await import('../data/synth/generate.js');
      const t0 = performance.now();
      const r = writeSynth({ out: o.out, train: o.train, test: o.test, seed: o.seed, force: o.force === true });
      console.log(`wrote ${o.out}: ${r.train} train tiles (${r.empty} without salt, ${(100 * r.empty / Math.max(1, r.train)).toFixed(1)}%), ${r.test} test tile${r.test === 1 ? '' : 's'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }));
}
