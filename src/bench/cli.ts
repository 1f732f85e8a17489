// Start-up time of the command line as users meet it: `node bin/halite.js ARGS` spawned whole, so the
// times include Node's own start, module loading and (for doctor) loading libtorch.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The bars from issue 19 (ms, on a 2-core machine); --version shares --help's. */
export const CLI_BARS = { help: 300, version: 300, doctor: 1500 } as const;
const ARGS: Record<keyof typeof CLI_BARS, string[]> = { help: ['--help'], version: ['--version'], doctor: ['doctor'] };

export interface CliTiming { args: string; median_ms: number; min_ms: number; bar_ms: number; ok: boolean }
export interface CliBench {
  runs: number;
  /** What bin/halite.js ran: the compiled dist/, or src/ through tsx (dist/ missing or stale). */
  source: 'dist' | 'tsx';
  commands: Record<keyof typeof CLI_BARS, CliTiming>;
  ok: boolean;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Spawns `node bin/halite.js` with --help, --version and doctor `runs` times each, alternating so that
 * a change in machine load touches all three alike, after one untimed round. Throws when a spawn fails.
 */
export function benchCli(runs: number): CliBench {
  const bin = fileURLToPath(new URL('../../bin/halite.js', import.meta.url));
  // What a user gets: bin/halite.js decides between dist/ and tsx, not the test suite's override.
  const env = { ...process.env };
  delete env.HALITE_FROM_SOURCE;
  const spawn = (args: string[]) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`halite ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.trim()}`);
    return { ms, stderr: r.stderr };
  };
  const names = Object.keys(ARGS) as (keyof typeof CLI_BARS)[];
  const source = /running the sources through tsx/.test(spawn(['--version']).stderr) ? 'tsx' : 'dist';
  for (const n of names) spawn(ARGS[n]);
  const times = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<keyof typeof CLI_BARS, number[]>;
  for (let i = 0; i < runs; i++) for (const n of names) times[n].push(spawn(ARGS[n]).ms);
  const commands = Object.fromEntries(names.map((n) => {
    const med = median(times[n]);
    return [n, { args: ARGS[n].join(' '), median_ms: Math.round(med), min_ms: Math.round(Math.min(...times[n])), bar_ms: CLI_BARS[n], ok: med < CLI_BARS[n] }];
  })) as Record<keyof typeof CLI_BARS, CliTiming>;
  return { runs, source, commands, ok: names.every((n) => commands[n].ok) };
}

/** One aligned line per command, and a note when the sources ran through tsx. */
export function formatBenchCli(r: CliBench): string {
  const lines = Object.values(r.commands).map((c) =>
    `halite ${c.args.padEnd(10)} median ${String(c.median_ms).padStart(5)} ms  min ${String(c.min_ms).padStart(5)} ms  bar ${String(c.bar_ms).padStart(5)} ms  ${c.ok ? 'ok' : 'OVER'}`);
  if (r.source === 'tsx') lines.push('(bin/halite.js ran src/ through tsx because dist/ is missing or stale: run `npx tsc` to measure what users get)');
  return [`${r.runs} runs each, alternating`, ...lines].join('\n');
}
