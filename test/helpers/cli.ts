// The command line as the tests run it, and the first column of a CSV, read by hand so that a
// submission is not checked with halite's own reader.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// src/ through tsx (HALITE_FROM_SOURCE), so the suite needs no build and never meets a stale dist/.
const env = { ...process.env, HALITE_FROM_SOURCE: '1' };

export const halite = (...args: string[]) => spawnSync(process.execPath, ['bin/halite.js', ...args], { encoding: 'utf8', env });

/** halite with more environment variables. */
export const haliteWith = (more: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, ['bin/halite.js', ...args], { encoding: 'utf8', env: { ...env, ...more } });

/** halite with every native addon (libtorch's included) made to fail on load: for paths that must not load one. */
export const haliteNoAddon = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', './test/helpers/no-addon.mjs', 'bin/halite.js', ...args], { encoding: 'utf8', env });

/** Every line's first field, the header's included. */
export const firstColumn = (file: string): string[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(',')[0]!);
