// halite predict --engine onnxruntime: a loaded run's model exported as ONNX in memory (src/export/,
// BatchNorm folded, flip TTA baked in) and run by onnxruntime-node's CPU runtime, with the same
// contract as predictTiles and predictProbabilities (so the same probabilities, to float rounding).
import { availableParallelism } from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import { firstNonFinite } from '../data/arrays.js';
import { DataError } from '../data/png.js';
import { exportOnnx } from './onnx.js';
import { fuseForInference, unfuse } from '../infer/fuse.js';
import { isMultiHead } from '../models/heads.js';
import type { LoadedRun } from '../infer/run.js';

const TILE = 101, PIXELS = TILE * TILE;

export interface OnnxEngineOptions {
  batchSize?: number;
  /** Flip TTA baked into the graph (on by default, as predictTiles). */
  tta?: boolean;
  /** onnxruntime's intra-op threads (default: the machine's cores). */
  threads?: number;
}

/**
 * One run's model in onnxruntime: a session per (TTA, gate) exported on first use and kept. The graph
 * is traced from the run's model as trained: a model loaded fused (run.fused) is unfused for the trace,
 * since its sub-pixel transposed convolutions have no ONNX translation, and fused again after.
 */
export class OnnxRunner {
  private readonly sessions = new Map<string, Promise<InferenceSession>>();
  constructor(readonly run: LoadedRun, private readonly threads = availableParallelism()) {}

  /**
   * `gate`: the salt threshold a threshold-gated model empties its mask below, baked into the graph
   * (0 never empties: the mask as predictTiles returns it, gated later with the tuned post-processing).
   */
  private session(tta: boolean, gate: number | null): Promise<InferenceSession> {
    const key = `${tta}:${gate}`;
    let s = this.sessions.get(key);
    if (!s) {
      const m = this.run.model;
      const saved = isMultiHead(m) ? m.gateThreshold : 0;
      let bytes: Uint8Array;
      const fused = this.run.fused;
      if (fused) unfuse(m);
      try {
        if (gate !== null && isMultiHead(m)) m.gateThreshold = gate;
        bytes = exportOnnx(m, { tta }).bytes;
      } finally {
        if (isMultiHead(m)) m.gateThreshold = saved;
        if (fused) fuseForInference(m, { channelsLast: fused.channelsLast });
      }
      s = import('onnxruntime-node').then((ort) =>
        ort.InferenceSession.create(bytes, { intraOpNumThreads: this.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' }));
      this.sessions.set(key, s);
    }
    return s;
  }

  /** Runs the graph on N tiles (N x 101 x 101 in [0, 1]) in batches: the `probability` and `salt` outputs. */
  private async runTiles(images: Float32Array, o: OnnxEngineOptions, gate: number | null): Promise<{ probs: Float32Array; salt: Float32Array | null }> {
    const n = images.length / PIXELS;
    if (!Number.isInteger(n)) throw new RangeError(`${images.length} values are not a whole number of ${TILE}x${TILE} tiles`);
    const bad = firstNonFinite(images);
    if (bad >= 0) throw new DataError(`tile ${Math.floor(bad / PIXELS)} of the ${n} to predict holds ${images[bad]} at pixel ${bad % PIXELS}; a tile must hold finite values`);
    const session = await this.session(o.tta !== false, gate);
    const ort = await import('onnxruntime-node');
    const bs = o.batchSize ?? 64;
    const probs = new Float32Array(n * PIXELS);
    const salt = session.outputNames.includes('salt') ? new Float32Array(n) : null;
    for (let s = 0; s < n; s += bs) {
      const m = Math.min(bs, n - s);
      // A copy: onnxruntime takes no view into a larger buffer.
      const x = new ort.Tensor('float32', images.slice(s * PIXELS, (s + m) * PIXELS), [m, 1, TILE, TILE]);
      const r = await session.run({ image: x });
      probs.set(r.probability!.data as Float32Array, s * PIXELS);
      if (salt) salt.set(r.salt!.data as Float32Array, s);
    }
    return { probs, salt };
  }

  /**
   * As predictTiles: mask probabilities and, for a model with a thresholding salt gate, the classifier's
   * probabilities with the mask left ungated (the gate is applied with the tuned post-processing).
   */
  async predictTiles(images: Float32Array, o: OnnxEngineOptions = {}): Promise<{ probs: Float32Array; salt: Float32Array | null }> {
    const m = this.run.model;
    const thresholdGate = isMultiHead(m) && m.gateMode === 'threshold';
    const r = await this.runTiles(images, o, thresholdGate ? 0 : null);
    return { probs: r.probs, salt: thresholdGate ? r.salt : null };
  }

  /** As predictProbabilities: the model's own (gated) probabilities. */
  async predictProbabilities(images: Float32Array, o: OnnxEngineOptions = {}): Promise<Float32Array> {
    return (await this.runTiles(images, o, null)).probs;
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}
