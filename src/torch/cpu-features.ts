// What this CPU offers the engine, read from /proc/cpuinfo without loading libtorch (the CLI asks before it loads it).
import { existsSync, readFileSync } from 'node:fs';

/**
 * CPU flags with native bfloat16 arithmetic, where `--precision bf16` pays off; elsewhere oneDNN emulates it
 * (AVX-512) or ATen falls back to its own kernels (AVX2), slower than fp32. Reads /proc/cpuinfo (Linux); none elsewhere.
 */
export function nativeBf16(cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : ''): string[] {
  const flags = new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.trim().split(/\s+/) ?? []);
  return ['avx512_bf16', 'amx_bf16'].filter((f) => flags.has(f));
}

/** Said when --precision bf16 is asked of a CPU without native bfloat16 (nativeBf16 empty). */
export const BF16_ADVICE = 'this CPU has no native bfloat16 (avx512_bf16 or amx_bf16; see halite doctor): --precision bf16 runs emulated or on slower fallback kernels, several times slower than fp32 (use --precision fp32)';
