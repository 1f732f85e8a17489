// The `halite` command line. Each command's module registers its name, description and flags
// (with their parsers) and loads its implementation, and libtorch, only when it runs: `halite --help`
// loads commander and these small modules alone. A new command is one import and one entry in COMMANDS.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { register as bench } from './bench.js';
import { register as cv } from './cv.js';
import { register as demo } from './demo.js';
import { register as doctor } from './doctor.js';
import { register as evaluate } from './evaluate.js';
import { register as explore } from './explore.js';
import { register as exportModel } from './export.js';
import { register as predict } from './predict.js';
import { register as presets } from './presets.js';
import { register as report } from './report.js';
import { register as segy } from './segy.js';
import { register as serve } from './serve.js';
import { register as synth } from './synth.js';
import { register as tiles } from './tiles.js';
import { register as train } from './train.js';
import { register as tune } from './tune.js';
import { wholeNumber } from './parse.js';
import { applyThreads } from './threads.js';

/** In the order `halite --help` lists them. */
const COMMANDS: ((program: Command) => void)[] = [demo, doctor, bench, evaluate, explore, synth, segy, tiles, train, cv, tune, presets, predict, exportModel, report, serve];

// The same path from src/cli (tsx) and dist/cli (compiled).
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command();
program
  .name('halite')
  .description('Find salt bodies in seismic images (TGS Salt Identification) with libtorch from TypeScript')
  .version(pkg.version, '-V, --version', 'print the halite version')
  .option('--threads <n>', 'libtorch intra-op threads (default: HALITE_THREADS, else one per core)', wholeNumber(1))
  .hook('preAction', (cmd, action) => applyThreads((cmd.opts() as { threads?: number }).threads, action))
  // One prefix for every error: commander's own (a bad flag) says "error:" where halite's say "halite:".
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'halite: ')) });
for (const register of COMMANDS) register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  console.error(`halite: ${(e as Error).message}`);
  process.exitCode = 1;
}
