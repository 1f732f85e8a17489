// `halite bench engine`: throughput beside PyTorch, last line JSON.
import { availableParallelism, tmpdir } from 'node:os';
import type { Command } from 'commander';
import { benchEngine } from '../bench/engine.js';
import { benchData } from '../bench/data.js';
import { benchEncoders } from '../bench/encoders.js';
import { ENCODER_NAMES } from '../models/encoders/index.js';
import { isPrecision } from '../torch/index.js';

export function register(program: Command): void {
  const bench = program.command('bench').description('measure throughput against the PyTorch peer; the last line is JSON');
  bench
    .command('engine')
    .description("train and inference images/s of the seed's residual U-Net, halite vs PyTorch (python3-torch)")
    .option('--threads <n>', 'intra-op threads for both sides', String(availableParallelism()))
    .option('--batch <n>', 'train batch size', '32')
    .option('--infer-batch <n>', 'inference batch size', '64')
    .option('--warmup <n>', 'untimed steps first', '1')
    .option('--steps <n>', 'timed train steps', '4')
    .option('--infer-steps <n>', 'timed inference batches', '6')
    .option('--rounds <n>', 'alternating rounds; each side keeps its best', '2')
    .option('--precision <p>', 'train step precision on both sides: fp32, or bf16 (bfloat16 autocast)', 'fp32')
    .option('--python <path>', "Python with PyTorch (Debian's python3-torch)", '/usr/bin/python3')
    .action((o: Record<string, string>) => {
      if (!isPrecision(o.precision)) throw new Error(`--precision: expected fp32 or bf16, got ${o.precision}`);
      const r = benchEngine({
        threads: Number(o.threads), batch: Number(o.batch), inferBatch: Number(o.inferBatch), warmup: Number(o.warmup),
        steps: Number(o.steps), inferSteps: Number(o.inferSteps), python: o.python!, rounds: Number(o.rounds), precision: o.precision, log: (l) => console.log(l),
      });
      console.log(`train  halite ${r.train_img_s.toFixed(2)} img/s  pytorch ${r.train_peer_img_s.toFixed(2)} img/s  ratio ${r.train_ratio.toFixed(3)}`);
      console.log(`infer  halite ${r.infer_img_s.toFixed(2)} img/s  pytorch ${r.infer_peer_img_s.toFixed(2)} img/s  ratio ${r.infer_ratio.toFixed(3)}`);
      console.log(`params halite ${r.params}  pytorch ${r.peer_params}`);
      console.log(JSON.stringify(r));
    });
  bench
    .command('data')
    .description('load the training tiles and masks of a TGS folder, beside PIL + numpy')
    .option('--data <dir>', 'TGS layout folder', '../shared/tgs')
    .option('--python <path>', 'Python with PIL and numpy', '/usr/bin/python3')
    .action(async (o: { data: string; python: string }) => {
      const r = await benchData(o.data, o.python);
      console.log(`load   halite ${r.load_s.toFixed(2)} s (${r.tiles} tiles + masks, ${r.tiles_s.toFixed(0)} tiles/s)  pil+numpy ${r.peer_load_s.toFixed(2)} s  ratio ${r.ratio.toFixed(2)}`);
      console.log(JSON.stringify(r));
    });
  bench
    .command('segy')
    .description('write a synthetic SEG-Y survey and predict it whole: peak RSS, traces/s and sections/s beside the model\'s inference images/s')
    .option('--mb <n>', 'survey size in MiB', '200')
    .option('--gb <n>', 'survey size in GiB (the issue\'s bar: --gb 2 under 1.5 GB RSS); overrides --mb')
    .option('--samples <n>', 'samples per trace', '400')
    .option('--run <dir>', 'predict with this run (default: an untrained residual U-Net)')
    .option('--start-filters <n>', 'width of the untrained residual U-Net', '16')
    .option('--stub', 'predict with an identity stub instead of a network: the memory and speed of reading, tiling, stitching and writing alone')
    .option('--no-tta', 'no flip test-time augmentation')
    .option('--batch-size <n>', 'tiles per forward pass', '64')
    .option('--threads <n>', 'intra-op threads', String(availableParallelism()))
    .option('--dir <dir>', 'where the survey, its prediction and the scratch file go (removed after)', tmpdir())
    .action(async (o: Record<string, string> & { tta: boolean }) => {
      const { benchSegy } = await import('../bench/segy.js');
      const bytes = o.gb !== undefined ? Number(o.gb) * 2 ** 30 : Number(o.mb) * 2 ** 20;
      if (!(bytes >= 2 ** 20)) throw new Error(`--mb ${o.mb} / --gb ${o.gb}: expected a size of at least 1 MiB`);
      const r = await benchSegy({
        bytes, samples: Number(o.samples), dir: o.dir!, run: o.run, stub: Boolean(o.stub), startFilters: Number(o.startFilters), tta: o.tta, batchSize: Number(o.batchSize),
        threads: Number(o.threads), log: (l) => console.log(l),
      });
      console.log(`survey ${r.inlines} × ${r.crosslines} × ${r.samples} (${(r.survey_bytes / 2 ** 20).toFixed(0)} MiB): ${r.predict_s.toFixed(1)} s, ${r.traces_s.toFixed(0)} traces/s, ${r.sections_s.toFixed(2)} sections/s, ` +
        `${r.survey_images_s.toFixed(1)} model images/s in the survey${r.engine_infer_img_s !== null ? ` vs ${r.engine_infer_img_s.toFixed(1)} alone` : ''}, peak RSS ${r.peak_rss_mb.toFixed(0)} MiB`);
      console.log(JSON.stringify(r));
    });
  bench
    .command('encoders')
    .description('forward and backward ms per image of each encoder on grey tiles, halite vs PyTorch (python3-torch)')
    .option('--encoders <list>', 'comma-separated encoder names', ENCODER_NAMES.join(','))
    .option('--batch <n>', 'images per pass', '8')
    .option('--size <px>', 'tile size after padding or resizing', '128')
    .option('--steps <n>', 'timed passes after one warm-up', '3')
    .option('--threads <n>', 'intra-op threads for both sides', String(availableParallelism()))
    .option('--python <path>', "Python with PyTorch (Debian's python3-torch)", '/usr/bin/python3')
    .action((o: Record<string, string>) => {
      const rows = benchEncoders({
        encoders: o.encoders!.split(','), batch: Number(o.batch), size: Number(o.size), steps: Number(o.steps), threads: Number(o.threads), python: o.python!,
      }, (l) => console.log(l));
      console.log(JSON.stringify({ batch: Number(o.batch), size: Number(o.size), threads: Number(o.threads), encoders: rows }));
    });
}
