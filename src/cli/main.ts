// The `halite` command line: one file per command, each a thin shell over the library.
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { register as bench } from './bench.js';
import { register as cv } from './cv.js';
import { register as demo } from './demo.js';
import { register as doctor } from './doctor.js';
import { register as evaluate } from './evaluate.js';
import { register as explore } from './explore.js';
import { register as predict } from './predict.js';
import { register as presets } from './presets.js';
import { register as report } from './report.js';
import { register as serveCmd } from './serve.js';
import { register as synth } from './synth.js';
import { register as trainCmd } from './train.js';
import { register as tune } from './tune.js';
import { setNumThreads } from '../torch/runtime.js';

const program = new Command();
program
  .name('halite')
  .description('Find salt bodies in seismic images (TGS Salt Identification) with libtorch from TypeScript')
  .option('--threads <n>', 'libtorch intra-op threads (default: HALITE_THREADS, else one per core)')
  .hook('preAction', (cmd) => {
    // libtorch's own default can be 1 on small VMs (it counts physical cores); use every core.
    const t = (cmd.opts() as { threads?: string }).threads ?? process.env.HALITE_THREADS ?? String(availableParallelism());
    setNumThreads(Number(t));
  });
demo(program);
doctor(program);
bench(program);
evaluate(program);
explore(program);
synth(program);
trainCmd(program);
cv(program);
tune(program);
presets(program);
predict(program);
report(program);
(await import('./segy.js')).register(program);
(await import('./tiles.js')).register(program);
serveCmd(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  console.error(`halite: ${(e as Error).message}`);
  process.exitCode = 1;
}
