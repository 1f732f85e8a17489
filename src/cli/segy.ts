// `halite segy info`: what a SEG-Y file holds: headers, geometry, amplitude percentiles.
import type { Command } from 'commander';
import type { SegyInfo } from '../segy/info.js';
import { wholeNumber } from './parse.js';
import { withoutTorch } from './threads.js';

/** A 1-based trace-header byte position where a 4-byte integer can start (SEG-Y rev 2, table 3: 240 bytes). */
export const headerByte = wholeNumber(1, 237);

const num = (v: number | null) => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toPrecision(6));

export function formatInfo(r: SegyInfo): string {
  const out: string[] = [];
  const row = (k: string, v: string) => out.push(`${k.padEnd(16)}${v}`);
  row('file', `${r.file} (${r.bytes} bytes)`);
  row('textual header', `${r.textEncoding.toUpperCase()}${r.extendedTextHeaders.length ? `, ${r.extendedTextHeaders.length} extended textual header(s)` : ''}`);
  for (const l of r.textHeader) out.push(`  ${l}`);
  r.extendedTextHeaders.forEach((h, k) => {
    const lines = h.filter((l) => l.trim());
    out.push(`  [extended ${k + 1}] ${lines[0] ?? ''}${lines.length > 1 ? ` (+${lines.length - 1} lines; --json has them all)` : ''}`);
  });
  row('revision', r.revision);
  row('byte order', `${r.byteOrder}-endian`);
  row('format', `${r.format.code} (${r.format.name})`);
  const endMs = r.firstSampleMs + (r.samples - 1) * r.sampleIntervalMs;
  const delay = r.firstSampleMs ? `, after a recording delay of ${+r.firstSampleMs.toFixed(3)} ms` : '';
  row('samples', r.sampleIntervalUs > 0
    ? `${r.samples} × ${r.sampleIntervalMs} ms (${r.sampleIntervalUs} µs; ${+r.firstSampleMs.toFixed(3)}–${+endMs.toFixed(3)} ms${delay})`
    : `${r.samples}, interval unknown (neither the binary header nor trace 0 gives a positive one)`);
  row('traces', String(r.traces));
  const g = r.geometry;
  if ('error' in g) row('geometry', g.error);
  else {
    const ax = (a: typeof g.inlines) => (a.count ? `${a.first}–${a.last} step ${a.step} (${a.count})` : 'none');
    row('inlines', `${ax(g.inlines)}  [trace-header byte ${g.ilineByte}]`);
    row('crosslines', `${ax(g.crosslines)}  [trace-header byte ${g.xlineByte}]`);
    row('sorting', `${g.sorting}${g.inlines.count === 1 && g.crosslines.count > 1 ? ' (a 2D line: one inline)' : ''}`);
    row('padded traces', `${g.padded} of ${g.inlines.count * g.crosslines.count} positions have no trace (filled when read)`);
  }
  const a = r.amplitudes;
  row('amplitudes', a.percentiles.map(({ percent, value }) => `${percent}%: ${num(value)}`).join('  '));
  row('', `percentiles of ${a.samples} samples from ${a.traces === a.of ? `all ${a.of} trace${a.of === 1 ? '' : 's'}` : `${a.traces} of ${a.of} traces spread evenly through the file`}${a.nonFinite ? `; ${a.nonFinite} NaN or infinite sample${a.nonFinite === 1 ? '' : 's'} left out` : ''}`);
  row('binary header', Object.entries(r.binary).map(([k, v]) => `${k}=${v}`).join(' '));
  return out.join('\n');
}

export function register(program: Command): void {
  const segy = program.command('segy').description('SEG-Y seismic volumes');
  withoutTorch(segy
    .command('info <file>')
    .description('textual and binary headers, geometry (inline/crossline ranges and steps, padded traces), samples and amplitude percentiles')
    .option('--json', 'print one JSON object')
    .option('--iline-byte <n>', 'trace-header byte of the inline number (4-byte integer)', headerByte, 189)
    .option('--xline-byte <n>', 'trace-header byte of the crossline number (4-byte integer)', headerByte, 193)
    .option('--max-traces <n>', 'traces sampled for the amplitude percentiles', wholeNumber(1), 1000)
    .action(async (file: string, o: { json?: boolean; ilineByte: number; xlineByte: number; maxTraces: number }) => {
      const { segyInfo } = await import('../segy/info.js');
      const r = segyInfo(file, { ilineByte: o.ilineByte, xlineByte: o.xlineByte, maxTraces: o.maxTraces });
      console.log(o.json ? JSON.stringify(r) : formatInfo(r));
    }));
}
