// `halite export`: a finished run's model as an ONNX file, for onnxruntime and other ONNX runtimes.
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_OPSET, SUPPORTED_OPSETS } from '../export/opsets.js';
import { prepareOutputFile } from '../io/folders.js';
import { runDirectory, wholeNumber } from './parse.js';

/** --opset: a whole number among SUPPORTED_OPSETS. */
function opset(v: string): number {
  const n = wholeNumber(1)(v);
  if (!SUPPORTED_OPSETS.includes(n)) throw new InvalidArgumentError(`opset ${n} is not supported; choose one of ${SUPPORTED_OPSETS.join(', ')}.`);
  return n;
}

export function register(program: Command): void {
  program
    .command('export')
    .description("write a run's model (best weights) as an ONNX graph: input image N x 1 x 101 x 101 in [0, 1], output probability N x 1 x 101 x 101 (and salt N x 1 with a classifier); BatchNorm folded, the tuned threshold, minimum area and gate in its metadata")
    .requiredOption('--run <dir>', 'run directory from halite train', runDirectory())
    .requiredOption('--onnx <file>', 'the .onnx file to write (its folder is created if missing; an existing file needs --force)')
    .option('--opset <n>', `ONNX opset (${SUPPORTED_OPSETS[0]}-${SUPPORTED_OPSETS.at(-1)})`, opset, DEFAULT_OPSET)
    .option('--tta', 'bake in flip TTA: average with the mirrored tile, as halite predict does by default')
    .option('--force', 'replace --onnx if the file exists')
    .action(async (o: { run: string; onnx: string; opset: number; tta?: boolean; force?: boolean }) => {
      prepareOutputFile(o.onnx, '--onnx', 'model.onnx', { force: o.force });
      const { exportRunOnnx } = await import('../export/onnx.js');
      const t0 = performance.now();
      const r = exportRunOnnx(o.run, o.onnx, { opset: o.opset, tta: o.tta ?? false });
      const outs = r.outputs.map((v) => `${v.name} [N, ${v.dims.slice(1).join(', ')}]`).join(', ');
      console.log(`${r.file}: ${(r.bytes.length / 2 ** 20).toFixed(1)} MiB, opset ${o.opset}, ${r.nodes} nodes, ` +
        `BatchNorm ${r.batchNorms.folded} folded / ${r.batchNorms.kept} kept${o.tta ? ', flip TTA' : ''} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      console.log(`input image [N, 1, 101, 101] float32 in [0, 1]; output ${outs}; threshold ${r.metadata.threshold}, min area ${r.metadata.min_area}, gate ${r.metadata.gate}`);
    });
}
