// What `halite predict` and `halite pseudo-label` do once their flags are read (predict.ts): loaded
// only when one of them runs, with libtorch. Input checks that need no model come first, so a wrong
// folder or a missing --masks fails before any weights load.
import { join } from 'node:path';
import { concatTyped } from '../data/arrays.js';
import { readCsv, indexById } from '../data/csv.js';
import { PIXELS } from '../data/rle.js';
import { writePseudoLabels } from '../data/pseudo.js';
import { readTgs } from '../data/tgs.js';
import {
  averageProbabilities, averageTiles, disposeMembers, ensembleProbabilities, ensemblePostprocess, loadMembers, predictEnsemble, type Member, type MemberSpec,
} from '../infer/ensemble.js';
import type { PredictOptions } from '../infer/predict.js';
import { tileMasks, writeMaskPng, writeMaskSubmission } from '../infer/submission.js';
import { blendWindow, cutTiles, stitchTiles } from '../infer/tiling.js';
import type { Postprocess } from '../infer/tune.js';
import { binarize } from '../metrics/competition.js';
import { runDataFolder } from '../run/config.js';
import { validationTiles } from '../data/split.js';
import { decodeSection, decodeTiles, listImages, skippedNote, sortBySize, type ImageFolder, type Section } from './images.js';
import type { Engine, EnsembleFlags, PredictFlags, PseudoLabelFlags } from './predict.js';
import { allreduceNumbers, gatherBytes, packParts, shardRange, unpackParts, type ProcessGroup } from '../distributed/index.js';
import { asRank, joinJob, type LaunchFlags } from './launch-flags.js';
import { makeFolders, prepareFilesFolder, prepareOutputFile, prepareOutputFolder, type NamedInput } from '../io/folders.js';
import { RUN_FILES } from '../run/layout.js';

/** The ids to predict: a sample submission's, in its order (each must have an image), or every PNG. */
export function submissionIds(folder: ImageFolder, sample?: string): string[] {
  if (!sample) return folder.ids;
  const pngs = new Set(folder.ids);
  const rows = readCsv(sample, ['id', 'rle_mask']);
  indexById(sample, rows);
  for (const r of rows) if (!pngs.has(r.fields.id!)) throw new Error(`${sample}:${r.line}: id ${r.fields.id} has no image in ${folder.dir}`);
  return rows.map((r) => r.fields.id!);
}

/** Each --run's own files (or a cv folder's), which no output may replace. */
export function runInputs(runs: readonly string[]): NamedInput[] {
  return runs.flatMap((r) => Object.values(RUN_FILES).map((f): NamedInput => ['--run', join(r, f)]));
}

/** --run (repeatable) with --weights and --snapshots as member specs. */
export function memberSpecs(o: EnsembleFlags): MemberSpec[] {
  const weights = o.weights ?? o.run.map(() => 1);
  if (weights.length !== o.run.length) throw new Error(`--weights lists ${weights.length} values for ${o.run.length} --run`);
  return o.run.map((dir, i) => ({ dir, weight: weights[i], snapshots: o.snapshots }));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const sizes = (s: Section[]) => s.slice(0, 3).map((x) => `${x.id}.png ${x.width}x${x.height}`).join(', ') + (s.length > 3 ? ', ...' : '');

/**
 * `halite predict` on tiles. As one rank of a job (torchrun's variables), each rank predicts a
 * contiguous block of the tiles and of the larger images, and rank 0 gathers their masks and writes
 * what one process writes; every rank reads --images (or the run's data for --val) itself.
 */
export async function predict(o: PredictFlags & LaunchFlags): Promise<void> {
  const group = await joinJob(o);
  await asRank(group, o, () => predictTilesAndImages(o, group));
  group?.destroy();
}

/** Every rank's bytes in rank order at rank 0 (null elsewhere); one process's own alone. */
const collect = async (group: ProcessGroup | undefined, mine: Uint8Array) => (group ? gatherBytes(group, mine) : [mine]);

async function predictTilesAndImages(o: PredictFlags, group: ProcessGroup | undefined): Promise<void> {
  const t0 = performance.now();
  const rank = group?.rank ?? 0, world = group?.worldSize ?? 1;
  const say = (line: string) => { if (rank === 0) console.log(line); };
  const specs = memberSpecs(o);
  let folder: ImageFolder | null = null, tileIds: string[] = [], sections: Section[] = [];
  if (!o.val) {
    if (!o.images) throw new Error("give --images DIR (or --val for the run's validation tiles)");
    folder = listImages(o.images);
    const note = skippedNote(folder);
    if (note) say(note);
    ({ tiles: tileIds, sections } = sortBySize(folder.dir, submissionIds(folder, o.sample)));
    if (o.sample && sections.length) throw new Error(`${o.sample}: ${plural(sections.length, 'id')} name${sections.length === 1 ? 's' : ''} an image that is not 101x101 (${sizes(sections)}); a Kaggle submission holds only 101x101 tiles`);
    if (sections.length && !o.masks) {
      throw new Error(`${plural(sections.length, 'image')} in ${folder.dir} ${sections.length === 1 ? 'is' : 'are'} not 101x101 (${sizes(sections)}): add --masks DIR to get their masks as PNGs; a Kaggle submission holds only 101x101 tiles`);
    }
  }
  const hasTiles = o.val || tileIds.length > 0;
  if (hasTiles && !o.out) throw new Error(`give --out FILE for the submission${o.val ? '' : ` of the ${plural(tileIds.length, '101x101 tile')}`}`);
  if (rank === 0) {
    if (hasTiles) prepareOutputFile(o.out!, '--out', 'submission.csv', { force: o.force, inputs: [['--sample', o.sample], ...runInputs(o.run)] });
    if (o.masks) prepareFilesFolder(o.masks, '--masks', [['--images', o.images]]);
  }

  // onnxruntime folds the BatchNorms in its exported graph: the models load as trained.
  const members = loadMembers(specs, { fuse: o.engine !== 'onnxruntime' });
  const popts = { tta: o.tta, batchSize: o.batchSize, precision: o.precision };
  const { name: engineName, onnx: engine } = await pickEngine(o.engine, members, popts, group, say).catch((e: unknown) => { disposeMembers(members); throw e; });
  try {
    const tuned = ensemblePostprocess(members, specs);
    const post: Postprocess = { threshold: o.threshold ?? tuned.threshold, minArea: o.minArea ?? tuned.minArea, gate: o.gate ?? tuned.gate };
    const tilesOf = (images: Float32Array) => (engine ? engine.tiles(images, popts) : Promise.resolve(predictEnsemble(members, images, popts)));
    const probabilitiesOf = (images: Float32Array) => (engine ? engine.probabilities(images, popts) : Promise.resolve(ensembleProbabilities(members, images, popts)));
    if (hasTiles) {
      let ids: string[], images: Float32Array;
      if (o.val) {
        const first = members[0]!.run.config;
        const dataDir = runDataFolder(first, `move it back, or set "data" in ${members[0]!.run.dir}/config.json to where it is now`);
        // The reader has decoded the validation tiles already; no second pass over the PNGs.
        ({ ids, images } = validationTiles(await readTgs(dataDir, { test: false }), first));
        const [lo, hi] = shardRange(ids.length, rank, world);
        images = images.subarray(lo * PIXELS, hi * PIXELS);
      } else {
        ids = tileIds;
        const [lo, hi] = shardRange(ids.length, rank, world);
        images = await decodeTiles(folder!.dir, ids.slice(lo, hi));
      }
      // Each rank post-processes its block; rank 0 writes the masks of all, in order.
      const { probs, salt } = images.length ? await tilesOf(images) : { probs: new Float32Array(0), salt: null };
      const gathered = await collect(group, packParts({ salt: salt !== null }, [tileMasks(probs, { ...post, salt })]));
      if (gathered) {
        const blocks = gathered.map((b) => unpackParts<{ salt: boolean }>(b));
        const masks = concatTyped(blocks.map((b) => b.parts[0] as Uint8Array));
        const { empty } = writeMaskSubmission(o.out!, ids, masks, o.masks);
        const who = members.length > 1 ? `${members.length} models` : '1 model';
        const gated = post.gate !== null && blocks.some((b) => b.meta.salt);
        say(`wrote ${o.out}: ${ids.length} tiles, ${empty} without salt, ${who}, threshold ${post.threshold.toFixed(3)}, minimum area ${post.minArea}` +
          `${gated ? `, salt gate ${post.gate}` : ''}${o.tta ? ', flip TTA' : ''}, ${engineName}${o.precision === 'bf16' ? ' (bf16)' : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
          (group ? ` (${world} processes)` : ''));
      }
    } else if (o.out) {
      say(`no submission written to ${o.out}: none of the images is 101x101, and a Kaggle submission holds only 101x101 tiles`);
    }
    if (sections.length) {
      // As the web app's Try it: overlapping tiles, stitched probabilities, the threshold alone.
      if (rank === 0) makeFolders(o.masks!);
      const [lo, hi] = shardRange(sections.length, rank, world);
      const masks: Uint8Array[] = [];
      let tiles = 0;
      for (const s of sections.slice(lo, hi)) {
        const { tiles: cut, tiling } = cutTiles(decodeSection(folder!.dir, s.id), s.width, s.height);
        masks.push(binarize(stitchTiles(await probabilitiesOf(cut), tiling, blendWindow()), post.threshold));
        tiles += tiling.xs.length * tiling.ys.length;
      }
      const gathered = await collect(group, packParts({ tiles }, masks));
      if (gathered) {
        const all = gathered.map((b) => unpackParts<{ tiles: number }>(b));
        all.flatMap((b) => b.parts).forEach((m, i) => {
          const s = sections[i]!;
          writeMaskPng(join(o.masks!, `${s.id}.png`), m as Uint8Array, s.width, s.height);
        });
        tiles = all.reduce((a, b) => a + b.meta.tiles, 0);
        say(`${plural(sections.length, 'image')} ${sections.length === 1 ? 'is' : 'are'} not 101x101 (${sizes(sections)}): cut into ${tiles} overlapping tiles, predicted and stitched at threshold ${post.threshold.toFixed(3)} ` +
          `(the minimum area and gate are tuned per 101x101 tile and not applied); their masks are in --masks ${o.masks}; a Kaggle submission holds only 101x101 tiles`);
      }
    }
    if (o.masks && hasTiles) say(`masks in ${o.masks}`);
  } finally {
    await engine?.release();
    disposeMembers(members);
  }
}

/**
 * The engine `--engine` names: onnxruntime's runner (null for libtorch) and the engine's name. `auto`
 * takes the faster on this machine (chooseEngine: measured once, then remembered), libtorch for
 * --precision bf16 (onnxruntime's graph is float32); in a job rank 0 decides for every rank, so that
 * all run the same engine. `say` prints (rank 0's lines).
 */
export async function pickEngine(engine: Engine, members: Member[], popts: PredictOptions, group: ProcessGroup | undefined, say: (line: string) => void) {
  const none = { name: 'libtorch' as const, onnx: null };
  if (engine === 'libtorch') return none;
  if (engine === 'auto' && popts.precision === 'bf16') {
    say('engine auto: libtorch, the engine that runs --precision bf16');
    return none;
  }
  const onnx = await onnxEngine(members);
  if (engine === 'onnxruntime') return { name: 'onnxruntime' as const, onnx };
  let faster = 0;
  if ((group?.rank ?? 0) === 0) {
    const { chooseEngine, describeChoice, engineCacheFile } = await import('./engine-choice.js');
    const ort = await import('onnxruntime-node');
    const c = await chooseEngine(members, popts, onnx, ort.env.versions.node ?? 'unknown');
    say(describeChoice(c, engineCacheFile()));
    faster = c.engine === 'onnxruntime' ? 1 : 0;
  }
  if (group) faster = (await allreduceNumbers(group, [faster]))[0]!;
  if (faster > 0) return { name: 'onnxruntime' as const, onnx };
  await onnx.release();
  return none;
}

/** The members in onnxruntime (one session per member and TTA setting), averaged as the libtorch ensemble. */
export async function onnxEngine(members: Member[]) {
  const { OnnxRunner } = await import('../export/onnx-runner.js');
  const { getNumThreads } = await import('../torch/runtime.js');
  const runners = members.map((m) => new OnnxRunner(m.run, getNumThreads()));
  const each = async <T>(f: (r: InstanceType<typeof OnnxRunner>) => Promise<T>): Promise<T[]> => {
    const out: T[] = [];
    for (const r of runners) out.push(await f(r));
    return out;
  };
  return {
    tiles: async (images: Float32Array, o: PredictOptions) => averageTiles(members, await each((r) => r.predictTiles(images, o))),
    probabilities: async (images: Float32Array, o: PredictOptions) => averageProbabilities(members, await each((r) => r.predictProbabilities(images, o))),
    release: () => each((r) => r.release()),
  };
}

export async function pseudoLabel(o: PseudoLabelFlags): Promise<void> {
  if (!(o.low < o.high)) throw new Error(`--low ${o.low} must be below --high ${o.high}`);
  const specs = memberSpecs(o);
  const folder = listImages(o.images);
  const note = skippedNote(folder);
  if (note) console.log(note);
  const { tiles: ids, sections } = sortBySize(folder.dir, folder.ids);
  if (sections.length) throw new Error(`${plural(sections.length, 'image')} in ${folder.dir} ${sections.length === 1 ? 'is' : 'are'} not 101x101 (${sizes(sections)}): pseudo-labels are 101x101 training tiles`);
  prepareOutputFolder(o.out, '--out', { force: o.force, inputs: [['--images', o.images], ...runInputs(o.run)] });
  const members = loadMembers(specs);
  try {
    const images = await decodeTiles(folder.dir, ids);
    const { probs } = predictEnsemble(members, images, { tta: o.tta, batchSize: o.batchSize, precision: o.precision });
    const info = writePseudoLabels(o.out, ids, o.images, probs,
      { threshold: ensemblePostprocess(members, specs).threshold, low: o.low, high: o.high, minConfident: o.minConfident, sources: members.map((m) => m.label) });
    console.log(`wrote ${o.out}: ${info.kept} of ${info.total} tiles confident (at least ${info.minConfident} of their pixels < ${info.low} or > ${info.high}); train with --pseudo-labels ${o.out}`);
  } finally {
    disposeMembers(members);
  }
}
