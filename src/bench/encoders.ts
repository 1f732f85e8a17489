// `halite bench encoders`: forward and backward milliseconds per image of each encoder on grey
// tiles at a U-Net's working size, halite beside the same network in PyTorch (bench/peer/encoders.py),
// each side timed in the same run with the same protocol: features, mean, backward.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createEncoder } from '../models/encoders/index.js';
import * as T from '../torch/index.js';
import { peerEnv } from './peer-env.js';

export interface EncoderTiming { forward_ms: number; backward_ms: number }
export interface EncoderBenchRow {
  encoder: string;
  params: number;
  halite: EncoderTiming;
  pytorch: EncoderTiming;
  /** PyTorch's forward+backward time over halite's: above 1, halite is faster. */
  ratio: number;
}

export interface EncoderBenchOptions { encoders: string[]; batch: number; size: number; steps: number; threads: number; python: string }

function measureHalite(name: string, o: EncoderBenchOptions): EncoderTiming & { params: number } {
  T.setNumThreads(o.threads);
  T.manualSeed(0);
  const enc = createEncoder(name, { inChannels: 1 });
  enc.train();
  const x = T.rand([o.batch, 1, o.size, o.size]);
  const pass = (): [number, number] => T.tidy(() => {
    enc.zeroGrad();
    const t0 = performance.now();
    const f = enc.features(x);
    const y = f[f.length - 1]!.mean();
    y.item(); // forces the forward to finish before the clock reads
    const t1 = performance.now();
    y.backward();
    return [t1 - t0, performance.now() - t1];
  });
  pass();
  let fwd = 0, bwd = 0;
  for (let i = 0; i < o.steps; i++) {
    const [a, b] = pass();
    fwd += a;
    bwd += b;
  }
  const params = enc.numParameters();
  x.dispose();
  enc.dispose();
  return { forward_ms: fwd / (o.steps * o.batch), backward_ms: bwd / (o.steps * o.batch), params };
}

function measurePeer(name: string, o: EncoderBenchOptions): EncoderTiming {
  const script = fileURLToPath(new URL('../../bench/peer/encoders.py', import.meta.url));
  const r = spawnSync(o.python, [script, 'bench', name, '--batch', String(o.batch), '--size', String(o.size), '--steps', String(o.steps), '--threads', String(o.threads)], { encoding: 'utf8', env: peerEnv() });
  if (r.error) throw new Error(`cannot run the PyTorch peer with ${o.python}: ${r.error.message} (install python3-torch)`);
  if (r.status !== 0) throw new Error(`the PyTorch peer failed on ${name} (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as EncoderTiming;
}

export function benchEncoders(o: EncoderBenchOptions, log: (l: string) => void): EncoderBenchRow[] {
  return o.encoders.map((encoder) => {
    const pytorch = measurePeer(encoder, o);
    const { params, ...halite } = measureHalite(encoder, o);
    const row = { encoder, params, halite, pytorch, ratio: (pytorch.forward_ms + pytorch.backward_ms) / (halite.forward_ms + halite.backward_ms) };
    log(`${encoder.padEnd(20)} ${String(params).padStart(9)} params  halite fwd ${halite.forward_ms.toFixed(1)} ms bwd ${halite.backward_ms.toFixed(1)} ms` +
      `  pytorch fwd ${pytorch.forward_ms.toFixed(1)} ms bwd ${pytorch.backward_ms.toFixed(1)} ms  ratio ${row.ratio.toFixed(3)}`);
    return row;
  });
}
