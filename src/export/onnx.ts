// ONNX export: a model's inference, exactly as predictProbabilities (and predictTiles' salt) compute it,
// as one ONNX graph: flip TTA and the salt gate baked in, BatchNorm folded, a dynamic batch size, and
// the run's tuned post-processing in the metadata. The graph is traced: one eval-mode pass of halite's
// own code records its libtorch calls (src/torch/trace.ts), so every model, block and head that
// predicts here is exported without a second description of it.
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { isMultiHead } from '../models/heads.js';
import { listModels } from '../models/registry.js';
import type { Module } from '../nn/module.js';
import { fromArray, noGrad, tidy, type Tensor } from '../torch/index.js';
import { traceCalls } from '../torch/trace.js';
import { loadRun } from '../infer/run.js';
import { maskProbabilities, saltProbabilities } from '../infer/predict.js';
import type { ValueInfo } from './onnx-graph.js';
import { checkOpset, DEFAULT_OPSET } from './opsets.js';
import { OnnxTranslator, type FoldReport } from './trace-onnx.js';

/** The tile side halite predicts on (TGS tiles are 101 x 101). */
const TILE = 101;
/** The batch size the trace runs at; any size runs the exported graph. Not 1, so that a batch dim is told apart from a singleton. */
const TRACE_BATCH = 2;

export interface OnnxExportOptions {
  /** ONNX opset of the default domain (SUPPORTED_OPSETS; default 17). */
  opset?: number;
  /** Bake in flip TTA: average with the prediction on the mirrored tile, mirrored back (default false). */
  tta?: boolean;
  /** metadata_props to add after the graph's own (inputs, outputs, opset, tta, halite version). */
  metadata?: Record<string, string>;
  /** The graph's name. */
  name?: string;
}

export interface OnnxModel {
  /** The ModelProto's bytes. */
  bytes: Uint8Array;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  batchNorms: FoldReport;
  nodes: number;
  metadata: Record<string, string>;
}

/** halite's version, from its package.json. */
export function haliteVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * Exports `model`'s inference as an ONNX graph. Input `image`: N x 1 x 101 x 101 float32, grey levels
 * in [0, 1] as halite feeds them (PNG value / 255). Outputs `probability`: N x 1 x 101 x 101, what
 * predictProbabilities returns (sigmoid, the salt gate applied as the model's forward() applies it); and,
 * for a model with a salt classifier, `salt`: N x 1, the probability that the tile holds salt, as
 * predictTiles returns it. N is dynamic. The model is run once in eval mode on a batch of TRACE_BATCH
 * tiles (its mode is restored after).
 * @throws Error for an unsupported opset, or naming the op when the model calls one with no ONNX translation.
 */
export function exportOnnx(model: Module, o: OnnxExportOptions = {}): OnnxModel {
  const opset = checkOpset(o.opset ?? DEFAULT_OPSET);
  const tta = o.tta ?? false;
  const names = new Map([...model.stateDict()].map(([k, t]) => [t.handle, k] as const));
  const withSalt = isMultiHead(model) && model.hasClassifier;
  const translator = new OnnxTranslator(names, TRACE_BATCH);
  const wasTraining = model.training;
  model.eval();
  let batchNorms: FoldReport;
  try {
    batchNorms = tidy(() => noGrad(() => {
      const x = fromArray(new Float32Array(TRACE_BATCH * TILE * TILE).fill(0.5), [TRACE_BATCH, 1, TILE, TILE]);
      translator.input(x.handle, 'image');
      const results = traceCalls(() => {
        const out: [Tensor, string][] = [[maskProbabilities(model, x, tta), 'probability']];
        if (withSalt) out.push([saltProbabilities(model, x, tta), 'salt']);
        return out;
      }, (c) => translator.record(c));
      return translator.finish(results.map(([t, n]) => [t.handle, n]));
    }));
  } finally {
    translator.dispose();
    model.train(wasTraining);
  }
  const inputs: ValueInfo[] = [{ name: 'image', dims: [null, 1, TILE, TILE] }];
  const outputs: ValueInfo[] = [{ name: 'probability', dims: [null, 1, TILE, TILE] }];
  if (withSalt) outputs.push({ name: 'salt', dims: [null, 1] });
  const metadata: Record<string, string> = {
    inputs: JSON.stringify([{ name: 'image', dtype: 'float32', shape: ['N', 1, TILE, TILE], description: 'grey tiles, PNG grey level / 255, in [0, 1]' }]),
    outputs: JSON.stringify([
      { name: 'probability', dtype: 'float32', shape: ['N', 1, TILE, TILE], description: 'salt probability per pixel (sigmoid; the salt gate applied as in halite predict)' },
      ...(withSalt ? [{ name: 'salt', dtype: 'float32', shape: ['N', 1], description: "the classifier's probability that the tile holds salt (1 - the empty-tile probability)" }] : []),
    ]),
    tta: String(tta),
    opset: String(opset),
    batchnorm: `${batchNorms.folded} folded into convolutions, ${batchNorms.kept} kept`,
    halite_version: haliteVersion(),
    ...o.metadata,
  };
  const bytes = translator.graph.encode({
    name: o.name ?? 'halite', inputs, outputs, opset, producerVersion: haliteVersion(), metadata,
    docString: 'halite salt segmentation: probability = P(salt) per pixel of 101x101 tiles' + (tta ? ', flip TTA averaged' : ''),
  });
  return { bytes, inputs, outputs, batchNorms, nodes: translator.graph.nodes.length, metadata };
}

export interface RunExport extends OnnxModel {
  file: string;
}

/**
 * Exports a finished run (its config, best weights and tuning, as halite predict loads them) to `file`,
 * written whole or not at all. The metadata adds the model's name and options, the tuned threshold,
 * minimum area and salt gate (null when the run has none), and the run's name and epoch. `ungated`:
 * a threshold-gated model's probability comes without the gate (gate_threshold 0), which the
 * post-processing then applies with `salt`, as halite predict does for tiles.
 * @throws Error naming the run's missing file, or as exportOnnx.
 */
export function exportRunOnnx(runDir: string, file: string, o: Omit<OnnxExportOptions, 'metadata' | 'name'> & { ungated?: boolean } = {}): RunExport {
  checkOpset(o.opset ?? DEFAULT_OPSET);
  const run = loadRun(runDir, undefined, { fuse: false });
  try {
    const defaults = listModels().find((m) => m.name === run.config.model)?.defaults ?? {};
    const gateMode = isMultiHead(run.model) ? run.model.gateMode : 'none';
    // A threshold gate at 0 empties nothing: the mask as halite predict's tiles get it, gated in the post-processing.
    if (o.ungated && isMultiHead(run.model) && gateMode === 'threshold') run.model.gateThreshold = 0;
    const model = exportOnnx(run.model, {
      ...o,
      name: basename(run.dir),
      metadata: {
        model: run.config.model,
        model_options: JSON.stringify({ ...defaults, ...run.config.modelOptions }),
        threshold: String(run.post.threshold),
        min_area: String(run.post.minArea),
        gate: JSON.stringify(run.post.gate),
        gate_mode: gateMode,
        ...(gateMode !== 'none' && isMultiHead(run.model) ? { gate_threshold: String(run.model.gateThreshold) } : {}),
        postprocess: 'mask = probability > threshold; a mask with fewer than min_area pixels, or (with a gate) a tile whose salt < gate, is empty',
        run: basename(run.dir),
        epoch: String(run.epoch),
      },
    });
    const out = resolve(file);
    writeFileAtomic(out, model.bytes);
    return { ...model, file: out };
  } finally {
    run.model.dispose();
  }
}
