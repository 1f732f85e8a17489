// `halite bench engine|data|loader|predict|segy|encoders|ddp|cli`: throughput beside PyTorch, and the command line's start-up; last line JSON.
import { tmpdir } from 'node:os';
import { Option, type Command } from 'commander';
import { PRECISIONS, type Precision } from '../torch/dtype.js';
import { existingFolder, listOf, positiveNumber, runDirectory, wholeNumber } from './parse.js';
import { withoutTorch } from './threads.js';
import type { DdpMode } from '../bench/ddp.js';

/**
 * The intra-op threads every torch command gets from halite's global --threads (else HALITE_THREADS,
 * else one per core) before its action; a bench gives its PyTorch peer the same number.
 */
const threadsSet = async (): Promise<number> => (await import('../torch/runtime.js')).getNumThreads();

export function register(program: Command): void {
  const bench = program.command('bench').description('measure throughput against the PyTorch peer, or the start-up time of halite itself; the last line is JSON');
  bench
    .command('engine')
    .description("train and inference images/s of the seed's residual U-Net, halite vs PyTorch (python3-torch), and inference of its ONNX export in onnxruntime-node")
    .option('--batch <n>', 'train batch size', wholeNumber(1), 32)
    .option('--infer-batch <n>', 'inference batch size', wholeNumber(1), 64)
    .option('--warmup <n>', 'untimed steps first', wholeNumber(0), 1)
    .option('--steps <n>', 'timed train steps', wholeNumber(1), 4)
    .option('--infer-steps <n>', 'timed inference batches', wholeNumber(1), 6)
    .option('--rounds <n>', 'alternating rounds; each side keeps its best', wholeNumber(1), 2)
    .addOption(new Option('--precision <p>', 'train step precision on both sides: fp32, or bf16 (bfloat16 autocast)').choices(PRECISIONS).default('fp32'))
    .option('--python <path>', "Python with PyTorch (Debian's python3-torch)", '/usr/bin/python3')
    .action(async (o: { batch: number; inferBatch: number; warmup: number; steps: number; inferSteps: number; rounds: number; precision: Precision; python: string }) => {
      const { benchEngine } = await import('../bench/engine.js');
      const { nativeBf16 } = await import('../torch/cpu-features.js');
      const r = await benchEngine({ ...o, inferBf16: nativeBf16().length > 0, threads: await threadsSet(), log: (l) => console.log(l) });
      console.log(`train  halite ${r.train_img_s.toFixed(2)} img/s  pytorch ${r.train_peer_img_s.toFixed(2)} img/s  ratio ${r.train_ratio.toFixed(3)}`);
      console.log(`infer  halite ${r.infer_img_s.toFixed(2)} img/s (BatchNorm folded; ${r.infer_unfused_img_s.toFixed(2)} unfolded)`);
      console.log(`infer  halite ${r.infer_img_s.toFixed(2)} img/s  pytorch ${r.infer_peer_img_s.toFixed(2)} img/s  ratio ${r.infer_ratio.toFixed(3)}`);
      console.log(`infer  halite ${r.infer_img_s.toFixed(2)} img/s  onnxruntime ${r.onnxruntime} ${r.infer_onnxruntime_img_s.toFixed(2)} img/s  ratio ${r.infer_onnxruntime_ratio.toFixed(3)}`);
      const n = (v: number | null, d: number) => (v === null ? 'n/a' : v.toFixed(d));
      console.log(r.infer_bf16_img_s === null ? 'infer  bf16: not timed (this CPU has no native bfloat16; see halite doctor)'
        : `infer  bf16: halite ${n(r.infer_bf16_img_s, 2)} img/s  pytorch ${n(r.infer_peer_bf16_img_s, 2)} img/s (ratio ${n(r.infer_bf16_peer_bf16_ratio, 3)})  over pytorch fp32 ${n(r.infer_bf16_ratio, 3)}  over onnxruntime fp32 ${n(r.infer_bf16_onnxruntime_ratio, 3)}`);
      console.log(`params halite ${r.params}  pytorch ${r.peer_params}`);
      console.log(JSON.stringify(r));
    });
  withoutTorch(bench
    .command('data')
    .description('load the training tiles and masks of a TGS folder, beside PIL + numpy')
    .option('--data <dir>', 'TGS layout folder', existingFolder, '../shared/tgs')
    .option('--python <path>', 'Python with PIL and numpy', '/usr/bin/python3')
    .action(async (o: { data: string; python: string }) => {
      const { benchData } = await import('../bench/data.js');
      const r = await benchData(o.data, o.python);
      console.log(`load   halite ${r.load_s.toFixed(2)} s (${r.tiles} tiles + masks, ${r.tiles_s.toFixed(0)} tiles/s)  pil+numpy ${r.peer_load_s.toFixed(2)} s  ratio ${r.ratio.toFixed(2)}`);
      console.log(JSON.stringify(r));
    }));
  bench
    .command('loader')
    .description("the host side of a training step: shuffled batches of a TGS training set to image and mask tensors, beside PyTorch's DataLoader")
    .option('--data <dir>', 'TGS layout folder', existingFolder, '../shared/tgs')
    .option('--batch <n>', 'tiles per batch', wholeNumber(1), 16)
    .option('--epochs <n>', 'timed epochs a round', wholeNumber(1), 3)
    .option('--rounds <n>', 'rounds of halite and PyTorch, alternating which goes first; each keeps its best', wholeNumber(1), 3)
    .option('--python <path>', "Python with PyTorch and PIL (Debian's python3-torch)", '/usr/bin/python3')
    .action(async (o: { data: string; batch: number; epochs: number; rounds: number; python: string }) => {
      const { benchLoader } = await import('../bench/loader.js');
      const r = await benchLoader({ ...o, threads: await threadsSet(), log: (l) => console.log(l) });
      console.log(`loader halite ${r.img_s.toFixed(0)} img/s  pytorch ${r.peer_img_s.toFixed(0)} img/s  ratio ${r.ratio.toFixed(2)}  (batch ${r.batch}, ${r.tiles} tiles, ${r.epochs} epoch${r.epochs === 1 ? '' : 's'} a round)`);
      console.log(JSON.stringify(r));
    });
  bench
    .command('predict')
    .description("halite predict end to end on a folder of real tiles with the seed's residual U-Net saved as a run: its time against the network passes alone (the rest: decoding, batching, writing)")
    .option('--images <dir>', 'folder of 101x101 PNG tiles', existingFolder, '../shared/tgs/test/images')
    .option('--tiles <n>', 'how many of its tiles, in name order', wholeNumber(1), 999)
    .option('--no-tta', 'no flip test-time augmentation')
    .option('--batch-size <n>', 'tiles per forward pass', wholeNumber(1), 64)
    .addOption(new Option('--engine <name>', 'libtorch or onnxruntime').choices(['libtorch', 'onnxruntime']).default('libtorch'))
    .addOption(new Option('--precision <p>', "predict's --precision: fp32, or bf16 (libtorch only)").choices(PRECISIONS).default('fp32'))
    .option('--rounds <n>', 'rounds; each time keeps its best', wholeNumber(1), 2)
    .action(async (o: { images: string; tiles: number; tta: boolean; batchSize: number; engine: 'libtorch' | 'onnxruntime'; precision: Precision; rounds: number }) => {
      if (o.precision === 'bf16' && o.engine === 'onnxruntime') throw new Error('--precision bf16 runs on --engine libtorch only: the ONNX graph onnxruntime runs is float32');
      const { benchPredict } = await import('./bench-predict.js');
      const r = await benchPredict({ ...o, log: (l) => console.log(l) });
      console.log(`predict ${r.tiles} tiles (${r.engine}${r.precision === 'bf16' ? ' bf16' : ''}${r.tta ? ', flip TTA' : ''}): ${r.total_s.toFixed(2)} s, network passes ${r.network_s.toFixed(2)} s, the rest ${r.rest_s.toFixed(2)} s = ${(100 * r.rest_ratio).toFixed(1)}% over the passes (system ${r.system_s.toFixed(1)} s)`);
      console.log(`  cold start (once a process): ${r.cold_s.toFixed(2)} s (load and fuse ${(r.cold_s - r.warmup_s).toFixed(2)} s, first passes' warm-up ${r.warmup_s.toFixed(2)} s); ` +
        `in a warm predict: load ${r.load_s.toFixed(2)} s, per tile (decode, batch, write): ${r.per_tile_s.toFixed(2)} s = ${(100 * r.per_tile_ratio).toFixed(1)}% over the passes (target: at most 15%${r.per_tile_ratio > 0.15 ? ', missed' : ', met'})`);
      console.log(JSON.stringify(r));
    });
  bench
    .command('segy')
    .description("write a synthetic SEG-Y survey and predict it whole: peak RSS, traces/s and sections/s beside the model's inference images/s")
    .option('--mb <n>', 'survey size in MiB', positiveNumber, 200)
    .option('--gb <n>', "survey size in GiB (the issue's bar: --gb 2 under 1.5 GB RSS); overrides --mb", positiveNumber)
    .option('--samples <n>', 'samples per trace', wholeNumber(8), 400)
    .option('--run <dir>', 'predict with this run (default: an untrained residual U-Net)', runDirectory())
    .option('--start-filters <n>', 'width of the untrained residual U-Net', wholeNumber(1), 16)
    .option('--stub', 'predict with an identity stub instead of a network: the memory and speed of reading, tiling, stitching and writing alone')
    .option('--no-tta', 'no flip test-time augmentation')
    .option('--batch-size <n>', 'tiles per forward pass', wholeNumber(1), 64)
    .option('--dir <dir>', 'where the survey, its prediction and the scratch file go (removed after)', existingFolder, tmpdir())
    .action(async (o: { mb: number; gb?: number; samples: number; run?: string; startFilters: number; stub?: boolean; tta: boolean; batchSize: number; dir: string }) => {
      const { benchSegy } = await import('../bench/segy.js');
      const { SurveyAborted } = await import('../infer/survey.js');
      const bytes = o.gb !== undefined ? o.gb * 2 ** 30 : o.mb * 2 ** 20;
      if (!(bytes >= 2 ** 20)) throw new Error(`--mb ${o.mb} / --gb ${o.gb}: expected a size of at least 1 MiB`);
      // Ctrl-C stops between sections, so the survey (gigabytes) and its prediction are removed.
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let r;
      try {
        r = await benchSegy({
          bytes, samples: o.samples, dir: o.dir, run: o.run, stub: o.stub === true, startFilters: o.startFilters, tta: o.tta, batchSize: o.batchSize,
          threads: await threadsSet(), log: (l) => console.log(l), signal: controller.signal,
        });
      } catch (e) {
        if (!(e instanceof SurveyAborted)) throw e;
        console.error(`interrupted: the synthetic survey and its prediction in ${o.dir} were removed`);
        process.exitCode = 130;
        return;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      console.log(`survey ${r.inlines} × ${r.crosslines} × ${r.samples} (${(r.survey_bytes / 2 ** 20).toFixed(0)} MiB): ${r.predict_s.toFixed(1)} s, ${r.traces_s.toFixed(0)} traces/s, ${r.sections_s.toFixed(2)} sections/s, ` +
        `${r.survey_images_s.toFixed(1)} ${o.stub ? 'tiles/s through the stub' : 'model images/s in the survey'}${r.engine_infer_img_s !== null ? ` vs ${r.engine_infer_img_s.toFixed(1)} alone` : ''}, peak RSS ${r.peak_rss_mb.toFixed(0)} MiB`);
      console.log(JSON.stringify(r));
    });
  bench
    .command('encoders')
    .description('forward and backward ms per image of each encoder on grey tiles, halite vs PyTorch (python3-torch)')
    .option('--encoders <list>', 'comma-separated encoder names (default: every encoder)', listOf((s) => s))
    .option('--batch <n>', 'images per pass', wholeNumber(1), 8)
    .option('--size <px>', 'tile size after padding or resizing', wholeNumber(1), 128)
    .option('--steps <n>', 'timed passes after one warm-up', wholeNumber(1), 3)
    .option('--python <path>', "Python with PyTorch (Debian's python3-torch)", '/usr/bin/python3')
    .action(async (o: { encoders?: string[]; batch: number; size: number; steps: number; python: string }) => {
      const threads = await threadsSet();
      const { benchEncoders } = await import('../bench/encoders.js');
      const { ENCODER_NAMES } = await import('../models/encoders/index.js');
      const rows = benchEncoders({ ...o, threads, encoders: o.encoders ?? ENCODER_NAMES }, (l) => console.log(l));
      console.log(JSON.stringify({ batch: o.batch, size: o.size, threads, encoders: rows }));
    });
  bench
    .command('ddp')
    .description('data-parallel training: images/s with 1 and 2 processes on this machine (--threads in all; each of 2 processes gets half), and the gradient allreduce per step (bytes, ms, share of the step), beside PyTorch DDP over Gloo')
    .option('--models <list>', 'resunet and/or encoder-unet-resnet34', listOf((s) => s), ['resunet', 'encoder-unet-resnet34'])
    .option('--batch <n>', 'tiles per process and step', wholeNumber(1), 8)
    .option('--warmup <n>', 'untimed steps first', wholeNumber(0), 1)
    .option('--steps <n>', 'timed steps', wholeNumber(1), 3)
    .option('--rounds <n>', 'rounds of halite and PyTorch, alternating which goes first; each figure is the best round', wholeNumber(1), 2)
    .option('--sync-batchnorm', "halite's 2 processes train with SyncBatchNorm (PyTorch 1.13's runs on CUDA only: its peer then times the allreduce alone)")
    .option('--python <path>', "Python with PyTorch (Debian's python3-torch)", '/usr/bin/python3')
    .addOption(new Option('--worker', 'one rank of the measurement (started by bench ddp itself)').hideHelp())
    .addOption(new Option('--mode <mode>', 'what a --worker rank times').choices(['train', 'allreduce']).default('train').hideHelp())
    .action(async (o: { models: string[]; batch: number; warmup: number; steps: number; rounds: number; syncBatchnorm?: boolean; python: string; mode: DdpMode; worker?: boolean }) => {
      const syncBatchNorm = o.syncBatchnorm === true;
      if (o.worker) {
        const { benchDdpWorker } = await import('../bench/ddp.js');
        console.log(JSON.stringify(await benchDdpWorker({ ...o, syncBatchNorm, model: o.models[0]! })));
        return;
      }
      const { benchDdp } = await import('../bench/ddp.js');
      const r = await benchDdp({ ...o, threads: await threadsSet(), syncBatchNorm, log: (l) => console.log(l) });
      console.log(JSON.stringify(r));
    });
  withoutTorch(bench
    .command('cli')
    .description('start-up time of halite --help, --version and doctor (each spawned N times, alternating) against their bars')
    .option('--runs <n>', 'spawns of each command', wholeNumber(1), 7)
    .action(async (o: { runs: number }) => {
      const { benchCli, formatBenchCli } = await import('../bench/cli.js');
      const r = benchCli(o.runs);
      console.log(formatBenchCli(r));
      console.log(JSON.stringify(r));
    }));
}
