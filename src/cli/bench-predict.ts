// `halite bench predict` (in the CLI layer: it times the predict command itself): `halite predict` end to end on a folder of real tiles with the seed's residual
// U-Net saved as a run, split into the network passes, the one-off cold start (loading and fusing the
// model, oneDNN's first pass at each batch shape) and the per-tile rest (listing, decoding, batching,
// thresholding, writing the submission), the split issue 24 bounds: the rest at most 15% over the passes.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { predict } from './predict-action.js';
import type { Engine } from './predict.js';
import { loadMembers, predictEnsemble, disposeMembers } from '../infer/ensemble.js';
import { OnnxRunner } from '../export/onnx-runner.js';
import { saveWeights } from '../io/weights.js';
import { ResUNet, RESUNET_DEFAULTS } from '../models/resunet.js';
import { decodeTiles, listImages } from './images.js';
import * as T from '../torch/index.js';
import type { Precision } from '../torch/dtype.js';

export interface PredictBenchOptions {
  /** Folder of 101x101 PNG tiles (e.g. ../shared/tgs/test/images). */
  images: string;
  /** How many of its tiles (in name order). */
  tiles: number;
  tta: boolean;
  batchSize: number;
  engine: Engine;
  /** predict --precision (libtorch only). */
  precision: Precision;
  rounds: number;
  log: (line: string) => void;
}

export interface PredictBenchResult {
  tiles: number;
  engine: Engine;
  precision: Precision;
  tta: boolean;
  /** `halite predict`'s action, wall seconds (best round), and its process CPU seconds in that round. */
  total_s: number;
  user_s: number;
  system_s: number;
  /** The network passes alone on the decoded tiles, in the same process (best round). */
  network_s: number;
  /** total_s - network_s: the cold start's share in predict (load_s) and the per-tile rest. */
  rest_s: number;
  /** rest_s / network_s. */
  rest_ratio: number;
  /** Loading the run's weights and fusing them for inference (loadMembers; onnxruntime: also exporting and building its session), best round (warm). */
  load_s: number;
  /** The first network pass at each batch shape over a second one (oneDNN makes its kernels then): once a process, round 1. */
  warmup_s: number;
  /** Round 1's load (cold) + warmup_s: what a fresh `halite predict` process pays once, whatever the number of tiles. */
  cold_s: number;
  /** total_s - network_s - load_s: listing, decoding, batching, post-processing, writing (predict runs warm from round 1 on). */
  per_tile_s: number;
  /** per_tile_s / network_s (issue 24's bar: at most 0.15). */
  per_tile_ratio: number;
}

/**
 * Saves the seed's residual U-Net (seed 0, its BatchNorm statistics made non-trivial) as a run in a
 * temp folder, copies the first `tiles` PNGs of `images` into another, and times `halite predict` on them
 * (the CLI action itself: writes a submission CSV) against the network passes alone, alternating, each
 * kept at its best of `rounds`. Each round first loads the run (timed: load_s), passes one batch and the
 * last, partial batch twice (the first time over the second: warmup_s; oneDNN keeps the kernels it made
 * for the process, so predict's own passes are warm), then the whole folder (network_s), then predict.
 * @throws Error when the folder holds fewer PNGs than asked for.
 */
export async function benchPredict(o: PredictBenchOptions): Promise<PredictBenchResult> {
  const src = resolve(o.images);
  const pngs = readdirSync(src).filter((f) => f.endsWith('.png')).sort();
  if (pngs.length < o.tiles) throw new Error(`${src} holds ${pngs.length} PNG tiles; --tiles ${o.tiles} asks for more`);
  const root = mkdtempSync(join(tmpdir(), 'halite-bench-predict-'));
  try {
    const run = join(root, 'run'), folder = join(root, 'images');
    mkdirSync(run);
    mkdirSync(folder);
    for (const f of pngs.slice(0, o.tiles)) copyFileSync(join(src, f), join(folder, f));
    T.manualSeed(0);
    const model = new ResUNet();
    T.noGrad(() => {
      for (const [name, t] of model.stateDict()) {
        if (name.endsWith('running_var')) t.uniform_(0.5, 2);
        else if (name.endsWith('running_mean')) t.uniform_(-0.2, 0.2);
      }
    });
    writeFileSync(join(run, 'config.json'), JSON.stringify({ model: 'resunet', modelOptions: {} }));
    saveWeights(join(run, 'best.safetensors'), model, { model: 'resunet', options: { ...RESUNET_DEFAULTS } as unknown as Record<string, unknown>, extra: { epoch: '1' } });
    model.dispose();
    const out = join(root, 'submission.csv');
    const popts = { tta: o.tta, batchSize: o.batchSize, precision: o.precision };
    let best = { total: Infinity, user: 0, system: 0 }, network = Infinity, load = Infinity, coldLoad = 0, warmup = 0;
    const fold = listImages(folder);
    const images = await decodeTiles(fold.dir, fold.ids);
    const px = 101 * 101, n = fold.ids.length, bs = Math.min(o.batchSize, n), tail = n % o.batchSize;
    // A full batch and the last, partial one: the batch shapes predict runs.
    const shapes = [images.subarray(0, bs * px), ...(tail && n > o.batchSize ? [images.subarray(0, tail * px)] : [])];
    for (let r = 0; r < o.rounds; r++) {
      // The network passes alone: the same members and tiles, decoded beforehand.
      const l0 = performance.now();
      const members = loadMembers([{ dir: run }], { fuse: o.engine !== 'onnxruntime' });
      let runner: OnnxRunner | null = null;
      try {
        runner = o.engine === 'onnxruntime' ? new OnnxRunner(members[0]!.run, T.getNumThreads()) : null;
        if (runner) await runner.predictTiles(images.subarray(0, px), popts); // the session, built once as predict builds it
        const l = (performance.now() - l0) / 1000;
        if (r === 0) coldLoad = l;
        load = Math.min(load, l);
        const pass = async (x: Float32Array): Promise<number> => {
          const t = performance.now();
          if (runner) await runner.predictTiles(x, popts); else predictEnsemble(members, x, popts);
          return (performance.now() - t) / 1000;
        };
        let first = 0, second = 0;
        for (const x of shapes) first += await pass(x);
        for (const x of shapes) second += await pass(x);
        warmup = Math.max(warmup, first - second);
        network = Math.min(network, await pass(images));
      } finally {
        await runner?.release();
        disposeMembers(members);
      }
      const c0 = process.cpuUsage(), t0 = performance.now();
      await predict({ run: [run], images: folder, out, force: true, tta: o.tta, batchSize: o.batchSize, engine: o.engine, precision: o.precision });
      const total = (performance.now() - t0) / 1000, c = process.cpuUsage(c0);
      if (total < best.total) best = { total, user: c.user / 1e6, system: c.system / 1e6 };
      o.log(`round ${r + 1}: halite predict ${total.toFixed(2)} s (user ${(c.user / 1e6).toFixed(1)} s, system ${(c.system / 1e6).toFixed(1)} s), network passes ${network.toFixed(2)} s, load ${load.toFixed(2)} s, first passes' warm-up ${warmup.toFixed(2)} s`);
    }
    return {
      tiles: o.tiles, engine: o.engine, precision: o.precision, tta: o.tta, total_s: best.total, user_s: best.user, system_s: best.system,
      network_s: network, rest_s: best.total - network, rest_ratio: (best.total - network) / network,
      load_s: load, warmup_s: warmup, cold_s: coldLoad + warmup,
      per_tile_s: best.total - network - load, per_tile_ratio: (best.total - network - load) / network,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
