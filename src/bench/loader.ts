// `halite bench loader`: the host side of a training step, from the training tiles in memory to
// one shuffled batch's image and mask tensors, beside torch.utils.data.DataLoader over the same
// tiles (one worker, kept across epochs, as halite keeps its worker thread), in the same run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BatchLoader } from '../data/loader.js';
import { readTgs } from '../data/tgs.js';
import { tidy } from '../torch/index.js';
import { batchTensors } from '../train/batch.js';
import { peerEnv } from './peer-env.js';

export interface LoaderBenchOptions {
  data: string;
  python: string;
  batch: number;
  epochs: number;
  rounds: number;
  threads: number;
  log: (line: string) => void;
}

export interface LoaderBenchResult {
  tiles: number;
  batch: number;
  epochs: number;
  /** Images (tiles × epochs) a second over `epochs` shuffled epochs, the best round; the same for the peer. */
  img_s: number;
  peer_img_s: number;
  ratio: number;
  /** Mean ms the consumer waited for a batch after an epoch's first, in halite's best round. */
  wait_ms: number;
}

/**
 * Images/s through halite's BatchLoader and `batchTensors` (float32 [batch, 1, 101, 101] images and
 * masks) and through PyTorch's DataLoader over a TensorDataset of the same tiles, alternating which
 * goes first each round; each side keeps its best round.
 * @throws Error when the TGS folder cannot be read, or the peer fails or counts other tiles.
 */
export async function benchLoader(o: LoaderBenchOptions): Promise<LoaderBenchResult> {
  const d = await readTgs(o.data, { test: false });
  const tiles = d.train.ids.length;
  const source = { images: d.train.images, masks: d.train.masks, height: 101, width: 101 };
  const all = Array.from({ length: tiles }, (_, i) => i);
  const loader = new BatchLoader(source, all, { batchSize: o.batch, seed: 0 });
  const script = fileURLToPath(new URL('../../bench/peer/loader.py', import.meta.url));

  const halite = async (epochs = o.epochs): Promise<{ img_s: number; wait_ms: number }> => {
    let waits = 0, counted = 0;
    const t0 = performance.now();
    for (let e = 0; e < epochs; e++) {
      for await (const b of loader.epoch(e)) tidy(() => { batchTensors(b); });
      waits += loader.waits.slice(1).reduce((a, w) => a + w, 0);
      counted += loader.waits.length - 1;
    }
    return { img_s: (tiles * epochs) / ((performance.now() - t0) / 1000), wait_ms: waits / Math.max(counted, 1) };
  };
  const peer = (): number => {
    const r = spawnSync(o.python, [script, o.data, String(o.batch), String(o.epochs), String(o.threads)], { encoding: 'utf8', env: peerEnv() });
    if (r.error || r.status !== 0) throw new Error(`the PyTorch DataLoader peer failed: ${r.error?.message ?? r.stderr}`);
    const p = JSON.parse(r.stdout.trim().split('\n').pop()!) as { tiles: number; img_s: number };
    if (p.tiles !== tiles) throw new Error(`halite and the peer disagree: ${tiles} vs ${p.tiles} tiles`);
    return p.img_s;
  };

  let best = { img_s: 0, wait_ms: 0 }, bestPeer = 0;
  try {
    await halite(1); // the worker's start, untimed, as the peer's one epoch
    for (let r = 0; r < o.rounds; r++) {
      const sides = r % 2 === 0 ? ['halite', 'pytorch'] : ['pytorch', 'halite'];
      for (const side of sides) {
        if (side === 'halite') {
          const h = await halite();
          if (h.img_s > best.img_s) best = h;
          o.log(`round ${r + 1}  halite  ${h.img_s.toFixed(0)} img/s (waited ${h.wait_ms.toFixed(2)} ms a batch)`);
        } else {
          const p = peer();
          bestPeer = Math.max(bestPeer, p);
          o.log(`round ${r + 1}  pytorch ${p.toFixed(0)} img/s`);
        }
      }
    }
  } finally {
    await loader.close();
  }
  return { tiles, batch: o.batch, epochs: o.epochs, img_s: best.img_s, peer_img_s: bestPeer, ratio: best.img_s / bestPeer, wait_ms: best.wait_ms };
}
