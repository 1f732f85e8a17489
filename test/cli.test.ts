// The command line as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { nativeBf16 } from '../src/cli/doctor.js';

const halite = (...args: string[]) => spawnSync(process.execPath, ['bin/halite.js', ...args], { encoding: 'utf8' });

test('doctor reports the libtorch in use', () => {
  const r = halite('--threads', '2', 'doctor', '--json');
  assert.equal(r.status, 0, r.stderr);
  const d = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.match(d.libtorch, /^\d+\.\d+\.\d+/);
  assert.match(d.library, /libtorch_cpu\.so/);
  assert.equal(d.threads, 2);
  assert.equal(typeof d.cudaAvailable, 'boolean');
  assert.ok(Array.isArray(d.cudaDevices));
  assert.match(d.cpuCapability, /^(DEFAULT|AVX2|AVX512|ZVECTOR|NEON|\w+)$/);
  assert.ok(Array.isArray(d.bf16));
  const text = halite('doctor');
  assert.match(text.stdout, /libtorch\s+\d+\.\d+/);
  assert.match(text.stdout, /cuda\s+/);
});

test('doctor reads native bfloat16 support from the CPU flags', () => {
  const info = (flags: string) => `processor\t: 0\nflags\t\t: fpu sse2 ${flags}\nbogomips\t: 5192\n`;
  assert.deepEqual(nativeBf16(info('avx2 avx512f avx512_bf16 avx512_vnni')), ['avx512_bf16']);
  assert.deepEqual(nativeBf16(info('avx512_bf16 amx_tile amx_bf16')), ['avx512_bf16', 'amx_bf16']);
  assert.deepEqual(nativeBf16(info('avx2 avx512f avx512bw')), []);
  assert.deepEqual(nativeBf16(''), []);
});

test('unknown commands and bad thread counts fail with a message', () => {
  const bad = halite('--threads', '0', 'doctor');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /thread count must be a positive integer, got 0/);
  const unknown = halite('frobnicate');
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /unknown command/);
});
