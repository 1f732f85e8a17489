// `halite predict`: one run, or an ensemble of runs, folds and snapshots, over a folder of tiles,
// written as a Kaggle submission. `halite pseudo-label` keeps the confident test predictions.
// Flags only; the work is in predict-action.ts, loaded when a command runs.
import { Option, type Command } from 'commander';
import { PRECISIONS, type Precision } from '../torch/dtype.js';
import { BF16_ADVICE, nativeBf16 } from '../torch/cpu-features.js';
import { listOf, numberIn, positiveNumber, probability, repeatable, runDirectory, wholeNumber } from './parse.js';
import { headerByte } from './segy.js';
import { launchIfAsked, launchOptions, type LaunchFlags } from './launch-flags.js';

export interface EnsembleFlags { run: string[]; weights?: number[]; snapshots?: boolean; tta: boolean; batchSize: number; precision: Precision }

/** What runs the network: libtorch, onnxruntime, or auto (the faster on this machine, measured once; see engine-choice.ts). */
export type Engine = 'libtorch' | 'onnxruntime' | 'auto';

export interface PredictFlags extends EnsembleFlags {
  images?: string; val?: boolean; out?: string; sample?: string; masks?: string; threshold?: number; minArea?: number; gate?: number;
  /** Replace an existing --out (and --mask-out). */
  force?: boolean;
  engine: Engine;
}

export interface PseudoLabelFlags extends EnsembleFlags { images: string; out: string; low: number; high: number; minConfident: number; force?: boolean }

function ensembleOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--run <dir>', 'run directory from halite train, or a halite cv folder (all folds); repeat for an ensemble', repeatable(runDirectory({ cv: true })))
    .option('--weights <list>', 'ensemble weight per --run, e.g. 0.7,0.3 (default: equal)', listOf(positiveNumber))
    .option('--snapshots', "add each run's snapshots (cosine-cycle ends, a phase's last epochs) to the ensemble")
    .option('--no-tta', 'no horizontal-flip test-time augmentation')
    .option('--batch-size <n>', 'tiles per forward pass', wholeNumber(1), 64)
    .addOption(new Option('--precision <p>', "fp32 (the network as trained), or bf16: its forward in bfloat16, about 1.8x faster where `halite doctor` reports native bf16; probabilities move by about 1e-3").choices(PRECISIONS).default('fp32'));
}

/**
 * Refuses --precision bf16 with --engine onnxruntime (its graph is float32), and warns when the CPU has
 * no native bfloat16, where oneDNN emulates it (AVX-512) or ATen falls back to its own kernels (AVX2), slower than fp32.
 * @throws Error naming both flags.
 */
function checkPrecision(o: { precision: Precision; engine?: Engine }): void {
  if (o.precision !== 'bf16') return;
  if (o.engine === 'onnxruntime') throw new Error('--precision bf16 runs on --engine libtorch only: the ONNX graph onnxruntime runs is float32; drop one of the two flags');
  if (!nativeBf16().length) console.error(`halite: warning: ${BF16_ADVICE}`);
}

export function register(program: Command): void {
  const cmd = ensembleOptions(program
    .command('predict')
    .description("predict salt masks for a folder of images with one run or an ensemble and the tuned post-processing; writes a Kaggle submission for the 101x101 tiles and, with --masks, mask PNGs (larger images are tiled and stitched)"))
    .option('--images <dir>', 'folder of PNG images: 101x101 tiles, or larger sections (which need --masks)')
    .option('--out <file>', 'submission CSV to write for the 101x101 tiles (its folder is created if missing; an existing file needs --force)')
    .option('--force', 'replace --out (and --mask-out) if the file exists')
    .option('--sample <csv>', 'sample_submission.csv whose ids (and order) the submission must carry')
    .addOption(new Option('--val', "predict the (first) run's validation tiles instead of --images").conflicts(['images', 'sample']))
    .option('--masks <dir>', 'also write the predicted masks as PNGs (created if missing)')
    .option('--threshold <p>', 'probability threshold (default: the tuned one)', probability)
    .option('--min-area <pixels>', 'masks with fewer salt pixels become empty (default: the tuned value)', wholeNumber(0))
    .option('--gate <p>', 'empty masks whose salt-classifier probability is below this (default: the tuned value)', probability)
    .addOption(new Option('--engine <name>', "what runs the network: libtorch (halite's own path, BatchNorm folded), onnxruntime (onnxruntime-node on each model exported as ONNX in memory), or auto (the faster of the two on this machine: timed on one batch the first time, then remembered)").choices(['libtorch', 'onnxruntime', 'auto']).default('libtorch'))
    .option('--segy <file>', 'predict a post-stack SEG-Y survey instead of tiles; --out is then the salt probability SEG-Y')
    .option('--sections <list>', 'with --segy: inline, crossline, or inline,crossline (their mean)', 'inline,crossline')
    .option('--mask-out <file>', 'with --segy: also write the thresholded salt mask volume (1 salt, 0 not)')
    .option('--png <dir>', 'with --segy: PNG previews of sections with the salt overlaid')
    .option('--png-sections <list>', 'with --png: sections to preview, e.g. il:120,xl:880 (default: the middle inline and crossline)')
    .option('--normalise <json>', "with --segy: clip amplitudes at tiles.json's clip: [lo, hi] (default: the survey's 0.5/99.5 percentiles)")
    .option('--iline-byte <n>', 'with --segy: trace-header byte of the inline number (4-byte integer)', headerByte, 189)
    .option('--xline-byte <n>', 'with --segy: trace-header byte of the crossline number (4-byte integer)', headerByte, 193);
  launchOptions(cmd, 'tiles (or survey sections) are split into one contiguous block per process, and the first process writes the outputs');
  cmd.action(async (o: PredictFlags & LaunchFlags & { segy?: string }) => {
    checkPrecision(o);
    if (await launchIfAsked(o, 'run the same halite predict again')) return;
    return o.segy ? (await import('./predict-segy.js')).predictSegy(o) : (await import('./predict-action.js')).predict(o);
  });

  ensembleOptions(program
    .command('pseudo-label')
    .description('predict unlabelled tiles with a run or an ensemble and keep the confident ones (at least --min-confident of their pixels below --low or above --high, as the TGS winners) as training data'))
    .requiredOption('--images <dir>', 'folder of unlabelled 101x101 PNG tiles (e.g. test/images)')
    .requiredOption('--out <dir>', 'new folder to write images/, masks/ and pseudo.json in')
    .option('--force', 'replace the --out folder if it exists (once the new one is complete)')
    .option('--low <p>', 'a pixel is confidently empty below this probability', probability, 0.2)
    .option('--high <p>', 'a pixel is confidently salt above this probability', probability, 0.8)
    .option('--min-confident <fraction>', 'keep a tile when at least this fraction of its pixels is confident (1: every pixel, which keeps almost only empty tiles)', numberIn(0, 1, { lo: true }), 0.9)
    .action(async (o: PseudoLabelFlags) => { checkPrecision(o); return (await import('./predict-action.js')).pseudoLabel(o); });
}
