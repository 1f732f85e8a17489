// What this CPU offers the engine, read from /proc/cpuinfo without loading libtorch (the CLI asks before it loads it).
import { existsSync, readFileSync } from 'node:fs';
import type { Precision } from './dtype.js';

/**
 * CPU flags with native bfloat16 arithmetic, where `--precision bf16` pays off; elsewhere oneDNN emulates it
 * (AVX-512) or ATen falls back to its own kernels (AVX2), slower than fp32. Reads /proc/cpuinfo (Linux); none elsewhere.
 */
export function nativeBf16(cpuinfo = readCpuinfo()): string[] {
  const flags = new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.trim().split(/\s+/) ?? []);
  return ['avx512_bf16', 'amx_bf16'].filter((f) => flags.has(f));
}

function readCpuinfo(): string {
  return existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
}

/**
 * What `"precision": "auto"` trains in on `device`, and why: bf16 on a CPU with AMX tiles (amx_bf16), fp32
 * everywhere else. Measured on 2 cores (README, "Mixed precision"): with AMX, bf16 trained 1.57x the images/s
 * of fp32 and the 60-minute preset scored higher in bf16; with AVX512-BF16 alone it trained only 1.17x as
 * fast and the extra epochs did not pay; without native bf16 it is several times slower. CUDA devices keep fp32.
 */
export function autoPrecision(device: string, cpuinfo = readCpuinfo()): { precision: Precision; why: string } {
  if (device !== 'cpu') return { precision: 'fp32', why: `${device} trains in fp32 unless "precision" says bf16` };
  const bf16 = nativeBf16(cpuinfo);
  if (bf16.includes('amx_bf16')) return { precision: 'bf16', why: 'this CPU has AMX (amx_bf16), where bf16 trains about 1.6x as fast as fp32' };
  return { precision: 'fp32', why: bf16.length ? 'this CPU has AVX512-BF16 but no AMX, where bf16 gains too little to pay' : 'this CPU has no native bfloat16' };
}

/** Said when --precision bf16 is asked of a CPU without native bfloat16 (nativeBf16 empty). */
export const BF16_ADVICE = 'this CPU has no native bfloat16 (avx512_bf16 or amx_bf16; see halite doctor): --precision bf16 runs emulated or on slower fallback kernels, several times slower than fp32 (use --precision fp32)';
