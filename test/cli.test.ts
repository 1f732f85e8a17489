// The command line as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autoPrecision, nativeBf16 } from '../src/torch/cpu-features.js';
import { blasInUse } from '../src/torch/runtime.js';
import { firstColumn, halite } from './helpers/cli.js';

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
  assert.equal(d.autoPrecision, d.bf16.includes('amx_bf16') ? 'bf16' : 'fp32');
  assert.match(d.autoPrecisionWhy, /^this CPU has /);
  assert.equal(typeof d.blas, 'string');
  assert.equal(typeof d.blasSlow, 'boolean');
  const text = halite('doctor');
  assert.match(text.stdout, /libtorch\s+\d+\.\d+/);
  assert.match(text.stdout, /cuda\s+/);
  assert.match(text.stdout, new RegExp(`bf16 .*--precision auto \\(the cpu presets\\) trains in ${d.autoPrecision} here: this CPU has`));
});

test('doctor reads native bfloat16 support from the CPU flags', () => {
  const info = (flags: string) => `processor\t: 0\nflags\t\t: fpu sse2 ${flags}\nbogomips\t: 5192\n`;
  assert.deepEqual(nativeBf16(info('avx2 avx512f avx512_bf16 avx512_vnni')), ['avx512_bf16']);
  assert.deepEqual(nativeBf16(info('avx512_bf16 amx_tile amx_bf16')), ['avx512_bf16', 'amx_bf16']);
  assert.deepEqual(nativeBf16(info('avx2 avx512f avx512bw')), []);
  assert.deepEqual(nativeBf16(''), []);
  // precision auto: bf16 with AMX only; AVX512-BF16 alone, no bf16 and CUDA devices keep fp32.
  assert.equal(autoPrecision('cpu', info('avx512_bf16 amx_tile amx_bf16')).precision, 'bf16');
  assert.equal(autoPrecision('cpu', info('avx2 avx512f avx512_bf16')).precision, 'fp32');
  assert.equal(autoPrecision('cpu', info('avx2 fma')).precision, 'fp32');
  assert.equal(autoPrecision('cuda:0', info('avx512_bf16 amx_tile amx_bf16')).precision, 'fp32');
  assert.match(autoPrecision('cpu', info('avx512_bf16')).why, /AVX512-BF16 but no AMX/);
});

test('doctor names the BLAS from the memory maps and flags the reference one as slow', () => {
  const line = (path: string) => `7f3a2c000000-7f3a2c021000 r-xp 00000000 fe:01 1835 ${path}`;
  const torch = line('/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13');
  const anon = '7ffd1c1e2000-7ffd1c203000 rw-p 00000000 00:00 0                          [stack]';
  const netlib = blasInUse([torch, line('/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0'), anon].join('\n'));
  assert.deepEqual(netlib, { name: 'reference BLAS (Netlib)', path: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0', slow: true });
  // Debian's OpenBLAS also maps its own libblas.so.3; OpenBLAS must win whatever the order.
  const open = blasInUse([torch, line('/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3'),
    line('/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblasp-r0.3.21.so')].join('\n'));
  assert.deepEqual(open, { name: 'OpenBLAS (openmp)', path: '/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblasp-r0.3.21.so', slow: false });
  // Netlib's libblas selected beside OpenBLAS's LAPACK: the BLAS calls may go to Netlib, so it is flagged.
  assert.equal(blasInUse([line('/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblasp-r0.3.21.so'),
    line('/usr/lib/x86_64-linux-gnu/blas/libblas.so.3')].join('\n')).slow, true);
  assert.equal(blasInUse(line('/opt/intel/lib/libmkl_rt.so.2')).name, 'MKL');
  assert.deepEqual(blasInUse([torch, anon].join('\n')), { name: 'built into libtorch', slow: false });
  assert.deepEqual(blasInUse(''), { name: 'built into libtorch', slow: false });
});

test('unknown commands and bad thread counts fail with a message', () => {
  const bad = halite('--threads', '0', 'doctor');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /option '--threads <n>' argument '0' is invalid\. Expected a whole number >= 1/);
  const unknown = halite('frobnicate');
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /unknown command/);
});

test('the demo writes data, figures, a run, a submission and masks, points at report and serve, and ends on a JSON line', () => {
  const out = mkdtempSync(join(tmpdir(), 'halite-demo-'));
  try {
    const r = halite('--threads', '2', 'demo', '--out', out, '--train', '48', '--test', '6', '--epochs', '1,1');
    assert.equal(r.status, 0, r.stderr);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.match(r.stdout, /npx halite report \S*run\b/);
    assert.match(r.stdout, /npx halite serve --runs \S+ --data \S+/);
    assert.ok(last.val_map >= 0 && last.val_map <= 1, String(last.val_map));
    const tuned = JSON.parse(readFileSync(join(out, 'run', 'threshold.json'), 'utf8'));
    assert.ok(Math.abs(tuned.threshold - last.threshold) < 1e-9);
    const history = readFileSync(join(out, 'run', 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(history.map((h) => h.loss), ['bce', 'lovasz']);
    // The submission lists the sample submission's ids, in its order.
    const sample = firstColumn(join(out, 'data', 'sample_submission.csv')).slice(1);
    assert.equal(sample.length, 6);
    assert.deepEqual(firstColumn(join(out, 'submission.csv')).slice(1), sample);
    assert.deepEqual(readdirSync(join(out, 'test-masks')).sort(), sample.map((id) => `${id}.png`).sort());
    assert.ok(readdirSync(join(out, 'figures')).includes('coverage.png'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
