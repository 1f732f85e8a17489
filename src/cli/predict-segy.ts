// `halite predict --segy`: a run or an ensemble over a whole SEG-Y survey (src/infer/survey.ts),
// with a progress bar, Ctrl-C that leaves nothing half-written, and PNG previews.
import cliProgress from 'cli-progress';
import { disposeMembers, ensemblePostprocess, loadMembers } from '../infer/ensemble.js';
import {
  ensemblePredictor, parseSectionPicks, predictSurvey, readNormalisation, SurveyAborted, type SurveyProgress, type TilePredictor,
} from '../infer/survey.js';
import type { Engine, EnsembleFlags } from './predict.js';
import { sectionKinds } from './parse.js';
import { memberSpecs, pickEngine, runInputs } from './predict-action.js';
import type { ProcessGroup } from '../distributed/process-group.js';
import { asRank, joinJob, type LaunchFlags } from './launch-flags.js';
import { prepareFilesFolder, prepareOutputFile, type NamedInput } from '../io/folders.js';

interface SegyFlags extends EnsembleFlags {
  segy: string;
  out?: string;
  sections: string;
  maskOut?: string;
  /** Replace an existing --out and --mask-out. */
  force?: boolean;
  png?: string;
  pngSections?: string;
  normalise?: string;
  ilineByte: number;
  xlineByte: number;
  threshold?: number;
  engine: Engine;
  // Tile-only flags, refused here.
  images?: string;
  val?: boolean;
  sample?: string;
  masks?: string;
  minArea?: number;
  gate?: number;
}

/**
 * `halite predict --segy`. As one rank of a job (torchrun's variables), the sections are spread over
 * the ranks (each reads the survey at the same path itself) and rank 0 writes the outputs.
 */
export async function predictSegy(opts: object): Promise<void> {
  const group = await joinJob(opts as LaunchFlags);
  await asRank(group, opts as LaunchFlags, () => predictSegyAs(opts as SegyFlags, group));
  group?.destroy();
}

async function predictSegyAs(o: SegyFlags, group: ProcessGroup | undefined): Promise<void> {
  for (const [flag, v] of [['--images', o.images], ['--val', o.val], ['--sample', o.sample], ['--masks', o.masks], ['--min-area', o.minArea], ['--gate', o.gate]] as const) {
    if (v !== undefined) throw new Error(`${flag} applies to tiles, not to --segy: a survey is written whole as SEG-Y (use --mask-out for a mask volume, --png for previews)`);
  }
  if (o.pngSections && !o.png) throw new Error('--png-sections needs --png DIR');
  if (!o.out) throw new Error('--segy needs --out FILE: the salt probability volume to write (SEG-Y)');
  const out = o.out;
  if ((group?.rank ?? 0) === 0) {
    const inputs: NamedInput[] = [['--segy', o.segy], ['--normalise', o.normalise], ...runInputs(o.run)];
    prepareOutputFile(out, '--out', 'salt-probability.sgy', { force: o.force, inputs });
    if (o.maskOut) prepareOutputFile(o.maskOut, '--mask-out', 'salt-mask.sgy', { force: o.force, inputs: [...inputs, ['--out', out]] });
    if (o.png) prepareFilesFolder(o.png, '--png');
  }
  const sections = sectionKinds(o.sections);
  const picks = o.pngSections ? parseSectionPicks(o.pngSections) : undefined;
  const { batchSize, threshold } = o;
  const geo = { ilineByte: o.ilineByte, xlineByte: o.xlineByte };
  const normalisation = o.normalise ? readNormalisation(o.normalise) : undefined;

  const specs = memberSpecs(o);
  const members = loadMembers(specs, { fuse: o.engine !== 'onnxruntime' });
  const popts = { tta: o.tta, batchSize, precision: o.precision };
  const say = (line: string) => { if ((group?.rank ?? 0) === 0) console.log(line); };
  const { name: engineName, onnx: engine } = await pickEngine(o.engine, members, popts, group, say).catch((e: unknown) => { disposeMembers(members); throw e; });
  const predict: TilePredictor = engine ? (t) => engine.tiles(t, popts).then((r) => r.probs) : ensemblePredictor(members, popts);
  const post = ensemblePostprocess(members, specs);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let bar: cliProgress.SingleBar | null = null;
  const progress = (p: SurveyProgress) => {
    if (!bar) {
      if (process.stderr.isTTY !== true) return;
      bar = new cliProgress.SingleBar({
        format: '{direction}s |{bar}| {value}/{total} sections | {rate} traces/s | ETA {eta_formatted}',
        stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 20,
      }, cliProgress.Presets.shades_classic);
      bar.start(p.totalSections, 0, { direction: p.direction, rate: '-' });
    }
    bar.update(p.sections, { direction: p.direction, rate: (p.traces / p.seconds).toFixed(0) });
  };
  const model = members.length > 1 ? `${members.length} models: ${specs.map((s) => s.dir).join(', ')}` : members[0]!.label;
  try {
    const r = await predictSurvey({
      input: o.segy, out, maskOut: o.maskOut, predict,
      threshold: threshold ?? post.threshold, sections, normalisation, ...geo, model, tta: o.tta, signal: controller.signal, onProgress: progress,
      onNote: (n) => say(`note: ${n}`),
      png: o.png ? { dir: o.png, picks } : undefined, group,
    });
    if (group && group.rank > 0) return;
    (bar as cliProgress.SingleBar | null)?.stop();
    const n = r.normalisation;
    console.log(`wrote ${r.out}: salt probability of ${r.inlines} inline${r.inlines === 1 ? '' : 's'} × ${r.crosslines} crossline${r.crosslines === 1 ? '' : 's'} × ${r.samples} samples (${r.traces} traces${r.padded ? `, ${r.padded} padded positions left out` : ''}), ` +
      `${r.sections.join(' and ')} sections${r.sections.length > 1 ? ' averaged' : ''}, ${r.tiles} tiles, ${members.length > 1 ? `${members.length} models` : '1 model'}${o.tta ? ', flip TTA' : ''}, ${engineName}${o.precision === 'bf16' ? ' (bf16)' : ''} in ${r.seconds.toFixed(1)} s (${(r.traces * r.sections.length / r.seconds).toFixed(0)} traces/s${group ? `, ${group.worldSize} processes` : ''})`);
    console.log(`amplitudes clipped to [${n.lo.toPrecision(6)}, ${n.hi.toPrecision(6)}] (${n.source}) and scaled to [0, 1]; recorded in textual header lines 34–38`);
    if (r.nonFinite) console.log(`warning: ${r.nonFinite} NaN or infinite input samples were predicted as amplitude 0`);
    if (r.maskOut) console.log(`wrote ${r.maskOut}: salt where probability > ${(threshold ?? post.threshold).toFixed(3)}, ${(100 * r.saltFraction).toFixed(2)}% of samples`);
    if (r.previews.length) console.log(`previews: ${r.previews.join(', ')}`);
  } catch (e) {
    (bar as cliProgress.SingleBar | null)?.stop();
    if (e instanceof SurveyAborted) {
      if (!group || group.rank === 0) console.error(`interrupted: ${o.out}${o.maskOut ? ` and ${o.maskOut}` : ''} not written`);
      process.exitCode = 130;
      return;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await engine?.release();
    disposeMembers(members);
  }
}
