// `halite doctor`: what engine this installation runs on.
import type { Command } from 'commander';
import { autoPrecision, nativeBf16 } from '../torch/cpu-features.js';

type Runtime = typeof import('../torch/runtime.js');

/** What `halite doctor --json` prints; `rt` is torch/runtime, loaded by the caller (it loads libtorch). */
export function doctorReport(rt: Runtime): Record<string, unknown> {
  const b = rt.buildInfo();
  const n = rt.cudaDeviceCount();
  const blas = rt.blasInUse();
  const auto = autoPrecision('cpu');
  return {
    libtorch: b.version,
    library: b.library,
    threads: rt.getNumThreads(),
    cpuCapability: b.cpuCapability,
    mkldnn: b.mkldnn,
    blas: blas.name,
    blasPath: blas.path ?? null,
    blasSlow: blas.slow,
    bf16: nativeBf16(),
    autoPrecision: auto.precision,
    autoPrecisionWhy: auto.why,
    cudaBuild: b.cudaCompiled,
    cudaAvailable: n > 0,
    cudaDevices: Array.from({ length: n }, (_, i) => `cuda:${i}`),
  };
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('print the libtorch version and path, threads, BLAS, CUDA devices and CPU features')
    .option('--json', 'print one JSON line')
    .option('--config', 'also print libtorch\'s full build configuration')
    .action(async (o: { json?: boolean; config?: boolean }) => {
      const rt = await import('../torch/runtime.js');
      const r = doctorReport(rt);
      if (o.json) { console.log(JSON.stringify(r)); return; }
      const b = rt.buildInfo();
      console.log(`libtorch        ${r.libtorch}`);
      console.log(`library         ${r.library}`);
      console.log(`threads         ${r.threads} (intra-op; halite uses one per core unless --threads or HALITE_THREADS says otherwise)`);
      console.log(`cpu features    ${r.cpuCapability}${r.mkldnn ? ', oneDNN (MKL-DNN)' : ''}`);
      console.log(`blas            ${r.blas}${r.blasPath ? ` (${r.blasPath})` : ''}${r.blasSlow ? `: ${rt.BLAS_ADVICE}` : ''}`);
      const bf16 = r.bf16 as string[];
      console.log(`bf16            ${bf16.length ? `native (${bf16.join(', ')})` : 'no native bfloat16'}; --precision auto (the cpu presets) trains in ${r.autoPrecision} here: ${r.autoPrecisionWhy}`);
      console.log(`cuda            ${r.cudaAvailable ? `available: ${(r.cudaDevices as string[]).join(', ')}` : `not available${r.cudaBuild ? ' (CUDA build, no device found)' : ' (CPU-only libtorch; build with LIBTORCH=/path/to/cuda/libtorch)'}`}`);
      if (b.cudaConfig) console.log(b.cudaConfig.trim());
      if (o.config) console.log(`\n${b.config.trim()}\n\n${b.parallel.trim()}`);
    });
}
