// The command line as the tests run it, and the first column of a CSV, read by hand so that a
// submission is not checked with halite's own reader.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const halite = (...args: string[]) => spawnSync(process.execPath, ['bin/halite.js', ...args], { encoding: 'utf8' });

/** Every line's first field, the header's included. */
export const firstColumn = (file: string): string[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(',')[0]!);
