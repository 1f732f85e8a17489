// A whole SEG-Y survey predicted section by section: amplitudes clipped and scaled as the training
// tiles were, every inline (and crossline) cut into overlapping tiles, predicted, stitched with a
// blending window, the two directions averaged, and the salt probability written as SEG-Y. Memory is
// a few sections and the model, whatever the survey's size: the inline pass keeps its probabilities
// in a scratch file beside the output, and the crossline pass reads back the traces it needs.
import { closeSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { encode } from 'fast-png';
import { TILE } from '../data/rle.js';
import { tempPath, writeFileAtomic } from '../io/atomic.js';
import { axisIndex, openVolume, percentile, sampleAmplitudes, SegyError, SegyWriter, type SectionDirection, type SegyFile, type SegyVolume } from '../segy/index.js';
import { allreduceNumbers, gatherBytes, packParts, unpackParts, type ProcessGroup } from '../distributed/index.js';
import { predictEnsemble, type Member } from './ensemble.js';
import type { PredictOptions } from './predict.js';
import { fromArray, tidy, where } from '../torch/index.js';
import { blendWindow, stitchTensor, tileTensor, tilingOf } from './tiling.js';
import { makeFolders } from '../io/folders.js';

export type Direction = SectionDirection;

/** Probabilities in [0, 1] for N TILE×TILE tiles (row-major, values in [0, 1]), N×TILE×TILE out. */
export type TilePredictor = (tiles: Float32Array) => Float32Array | Promise<Float32Array>;

/** How raw amplitudes become model input: x' = (clamp(x, lo, hi) - lo) / (hi - lo), in [0, 1]. */
export interface Normalisation {
  lo: number;
  hi: number;
  /** Where lo and hi came from, for the textual header (≤ 40 characters), e.g. "p0.5/p99.5 of 1000 traces". */
  source: string;
}

/**
 * The fraction of sampled amplitudes outside a given clip above which predictSurvey notes that the clip
 * saturates the survey: a quarter, far above the 1% of the survey's own clip, and above the ~9% that a
 * survey 1.5 times as loud gives (where the training tiles' clip still predicts better; README).
 */
const SATURATION = 0.25;

/** The clip percentiles `halite tiles` uses for training tiles. */
export const CLIP_PERCENTILES: [number, number] = [0.5, 99.5];

/**
 * Robust clip values: the `percentiles` (0..100) of the samples of up to `maxTraces` traces spread
 * through the file (src/segy/stats.ts). Throws SegyError when the sampled amplitudes hold no finite
 * value or a single value, which no clip can scale.
 */
export function amplitudeClip(file: SegyFile, percentiles: [number, number] = CLIP_PERCENTILES, maxTraces = 1000): Normalisation {
  const a = sampleAmplitudes(file, maxTraces);
  if (a.sorted.length === 0) throw new SegyError(file.path, `the ${a.traces} sampled traces hold no finite amplitude, so there is nothing to normalise by. Check the file's format code, or give --normalise tiles.json`);
  const lo = percentile(a.sorted, percentiles[0]), hi = percentile(a.sorted, percentiles[1]);
  if (!(hi > lo)) throw new SegyError(file.path, `the ${percentiles[0]} and ${percentiles[1]} percentiles of ${a.traces} sampled traces are both ${lo}: the amplitudes are constant, and cannot be scaled to [0, 1]. Give clip values with --normalise tiles.json`);
  return { lo, hi, source: `p${percentiles[0]}/p${percentiles[1]} of ${a.traces} of ${a.traceCount} traces` };
}

/**
 * The clip values of a `halite tiles` folder's tiles.json (or any JSON with `clip: [lo, hi]`), so a
 * survey is scaled as the model's training tiles were. Throws naming the file when there is no
 * usable clip.
 */
export function readNormalisation(path: string): Normalisation {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${path}: no such file: give --normalise the tiles.json that halite tiles wrote beside the tiles the model trained on`);
    throw new Error(`${path}: cannot read the normalisation JSON: ${(e as Error).message}`);
  }
  const clip = (j as { clip?: unknown })?.clip;
  if (!Array.isArray(clip) || clip.length !== 2 || !clip.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(clip[1] > clip[0])) {
    throw new Error(`${path}: expected "clip": [lo, hi] with finite lo < hi (as halite tiles writes in tiles.json); got ${JSON.stringify(clip)}`);
  }
  return { lo: clip[0] as number, hi: clip[1] as number, source: basename(path) };
}

/**
 * Scales `values` in place to [0, 1] with `n`, in float64 so the result is the correctly rounded
 * float32 of (clamp(x, lo, hi) - lo) / (hi - lo). A NaN or infinite sample would poison every tile it
 * lands in, so it becomes the scaled value of amplitude 0 (what padded traces hold); returns how many
 * there were.
 */
export function normalise(values: Float32Array, n: Pick<Normalisation, 'lo' | 'hi'>): number {
  return tidy(() => {
    const x = fromArray(values).double();
    const finite = x.isfinite();
    const bad = values.length - finite.sum().item();
    values.set(where(finite, x, 0).clamp(n.lo, n.hi).sub(n.lo).div(n.hi - n.lo).float().toArray() as Float32Array);
    return bad;
  });
}

export interface StitchOptions {
  /** Tile origin spacing in pixels (default TILE/2: each pixel away from the borders is in 2–4 tiles). */
  stride?: number;
  /** Blending window (default blendWindow()). */
  window?: Float32Array;
}

/**
 * Salt probabilities of one section. `section` is [traces × samples] as SegyVolume reads it, already
 * normalised; the model sees it as an image with time (samples) down and traces across, as TGS tiles
 * are. Sections smaller than a tile are edge-replicated to one tile. Returns [traces × samples].
 */
export function predictSection(section: Float32Array, traces: number, samples: number, predict: (tiles: Float32Array) => Float32Array, o: StitchOptions = {}): Float32Array {
  const { tiles, stitch } = cutSection(section, traces, samples, o);
  return stitch(predict(tiles));
}

/** predictSection with a predictor that may answer later (onnxruntime's). */
export async function predictSectionAsync(section: Float32Array, traces: number, samples: number, predict: TilePredictor, o: StitchOptions = {}): Promise<Float32Array> {
  const { tiles, stitch } = cutSection(section, traces, samples, o);
  return stitch(await predict(tiles));
}

/** A section's tiles, and the stitching of their probabilities back into [traces × samples]. */
function cutSection(section: Float32Array, traces: number, samples: number, o: StitchOptions): { tiles: Float32Array; stitch: (probs: Float32Array) => Float32Array } {
  const tiling = tilingOf(traces, samples, o.stride);
  const tiles = tidy(() => tileTensor(fromArray(section, [traces, samples]).transpose(0, 1), tiling).toArray() as Float32Array);
  const stitch = (probs: Float32Array): Float32Array => {
    if (probs.length !== tiles.length) throw new RangeError(`the predictor returned ${probs.length} values for ${tiles.length / (TILE * TILE)} tiles of ${TILE}×${TILE}`);
    return tidy(() => {
      const image = stitchTensor(fromArray(probs, [tiles.length / (TILE * TILE), TILE, TILE]), tiling, o.window ?? blendWindow());
      return image.transpose(0, 1).float().contiguous().toArray() as Float32Array;
    });
  };
  return { tiles, stitch };
}

/** A predictor over an ensemble's members (one run is one member): their weighted mean, with flip TTA unless o.tta is false. */
export function ensemblePredictor(members: Member[], o: PredictOptions = {}): TilePredictor {
  return (tiles) => predictEnsemble(members, tiles, o).probs;
}

export interface SurveyProgress {
  direction: Direction;
  /** Sections done over all passes, and their total. */
  sections: number;
  totalSections: number;
  /** Traces (grid positions) done over all passes. */
  traces: number;
  totalTraces: number;
  seconds: number;
}

export interface SurveyOptions {
  input: string;
  /** Salt probability volume to write (float32, format 5, the input's headers). */
  out: string;
  /** Also write 1 where probability > threshold, else 0 (the competition's binarisation). */
  maskOut?: string;
  predict: TilePredictor;
  /** For the mask, and recorded in its textual header. */
  threshold: number;
  /** Default both: the mean of the inline and crossline predictions. */
  sections?: Direction[];
  /** Default: amplitudeClip of the input. */
  normalisation?: Normalisation;
  ilineByte?: number;
  xlineByte?: number;
  stride?: number;
  /** What predicted, for the textual header (e.g. the run directory's name), cut to fit a line. */
  model?: string;
  /** Flip TTA on, for the textual header. */
  tta?: boolean;
  /** PNG previews of these sections (default the middle inline and crossline), written once the volume is. */
  png?: { dir: string; picks?: SectionPick[] };
  /** Aborting stops after the current section and leaves no output, mask or scratch file. */
  signal?: AbortSignal;
  /**
   * Spread the sections over a process group's ranks (every rank calls predictSurvey with the same
   * options, and reads `input` itself): section k of each direction on rank k mod W; rank 0 gathers
   * each round of W sections and alone writes the outputs, the scratch file and the previews.
   */
  group?: ProcessGroup;
  onProgress?: (p: SurveyProgress) => void;
  /** Called with each note as soon as it is decided, before any section is predicted (also in the result's notes). */
  onNote?: (note: string) => void;
}

export interface SurveyResult {
  out: string;
  maskOut: string | null;
  sections: Direction[];
  inlines: number;
  crosslines: number;
  samples: number;
  /** Traces written (grid positions minus padded ones). */
  traces: number;
  padded: number;
  normalisation: Normalisation;
  /** NaN or infinite input samples, predicted as amplitude 0. */
  nonFinite: number;
  /** Tiles predicted (before TTA). */
  tiles: number;
  /** Salt fraction of the written traces' samples at the threshold. */
  saltFraction: number;
  seconds: number;
  /** Textual header lines written (1-based line -> text). */
  textLines: Record<number, string>;
  /** PNG previews written. */
  previews: string[];
  /** What was decided for the caller to say, e.g. a 2D line predicted along its one direction. */
  notes: string[];
}

/** Thrown when opts.signal aborts a survey prediction. */
export class SurveyAborted extends Error {
  constructor(out: string) {
    super(`${out}: interrupted; nothing was written`);
    this.name = 'SurveyAborted';
  }
}

const fmt = (v: number) => String(Number(v.toPrecision(8)));
const line = (n: number, text: string) => `C${String(n).padStart(2)} ${text}`.slice(0, 80);

/**
 * The card images (lines 34–38 of the textual header, before rev 1's C39 and C40) that say what the
 * output holds and how the input was scaled.
 */
export function surveyTextLines(o: { model: string; normalisation: Normalisation; sections: Direction[]; tta: boolean; stride: number; threshold: number; mask: boolean }): Record<number, string> {
  const n = o.normalisation;
  return {
    34: line(34, o.mask ? `HALITE salt mask (float32): 1 where probability > ${fmt(o.threshold)}, else 0` : 'HALITE salt probability 0..1 (float32)'),
    35: line(35, `model ${o.model}`),
    36: line(36, `input x -> (clamp(x,lo,hi)-lo)/(hi-lo), lo ${fmt(n.lo)} hi ${fmt(n.hi)}`),
    37: line(37, `clip from ${n.source}`),
    38: line(38, `${o.sections.join('+')}${o.sections.length > 1 ? ' mean' : ' sections'}, ${TILE}x${TILE} tiles stride ${o.stride}, Hann blend${o.tta ? ', flip TTA' : ''}`),
  };
}

/** Float32 traces at grid positions in a raw scratch file (native byte order, position-major). */
class Scratch {
  private fd: number | undefined;
  readonly path: string;
  private readonly bytes: Uint8Array;

  constructor(beside: string, private readonly samples: number) {
    this.path = tempPath(`${beside}.inline-pass`);
    this.fd = openSync(this.path, 'w+');
    this.bytes = new Uint8Array(samples * 4);
  }

  /** `values` ([positions × samples]) at consecutive positions from `first`. */
  write(first: number, values: Float32Array): void {
    const b = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    let off = 0;
    while (off < b.length) off += writeSync(this.fd!, b, off, b.length - off, first * this.bytes.length + off);
  }

  /** The trace at `position` into out[offset ...]. */
  read(position: number, out: Float32Array, offset: number): void {
    let got = 0;
    while (got < this.bytes.length) {
      const n = readSync(this.fd!, this.bytes, got, this.bytes.length - got, position * this.bytes.length + got);
      if (n === 0) throw new Error(`${this.path}: scratch file ended at position ${position}`);
      got += n;
    }
    out.set(new Float32Array(this.bytes.buffer, 0, this.samples), offset);
  }

  remove(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
  }
}

/**
 * Predicts every section of a post-stack survey and writes the salt probability volume (and a mask
 * volume) with the input's headers and geometry. With both directions, pass 1 predicts inlines into
 * a scratch file, and pass 2 predicts crosslines, reads each crossline's inline probabilities back,
 * and writes their mean; memory is then a handful of sections, the scratch file as large as the
 * output. Outputs appear only when complete (SegyWriter renames at close); an error or an abort
 * removes them and the scratch file.
 * Throws SegyError for unreadable input or geometry, SurveyAborted when opts.signal aborts.
 */
export async function predictSurvey(o: SurveyOptions): Promise<SurveyResult> {
  const t0 = performance.now();
  const sections = o.sections?.length ? [...new Set(o.sections)] : ['inline', 'crossline'] as Direction[];
  for (const s of sections) if (s !== 'inline' && s !== 'crossline') throw new Error(`sections: ${String(s)}; expected inline, crossline or both`);
  // Inlines first: the scratch file is position-major, so an inline is one contiguous write.
  sections.sort((a, b) => (a === 'inline' ? -1 : 1) - (b === 'inline' ? -1 : 1));
  const stride = o.stride ?? Math.floor(TILE / 2);
  if (!Number.isInteger(stride) || stride < 1 || stride > TILE) throw new Error(`stride ${stride}: expected an integer 1..${TILE}`);
  if (!(o.threshold >= 0 && o.threshold <= 1)) throw new Error(`threshold ${o.threshold}: expected a probability in [0, 1]`);
  const vol = openVolume(o.input, { ilineByte: o.ilineByte, xlineByte: o.xlineByte });
  let out: SegyWriter | undefined, mask: SegyWriter | undefined, scratch: Scratch | undefined;
  try {
    // A preview of a section the survey lacks is refused before hours of prediction, not after.
    for (const p of o.png?.picks ?? []) {
      const a = p.direction === 'inline' ? vol.inlines : vol.crosslines;
      if (axisIndex(a, p.number) < 0) throw new SegyError(o.input, `--png-sections: ${p.direction} ${p.number} is not in this survey: its ${p.direction}s are ${a.first}..${a.last} in steps of ${a.step}`);
    }
    const norm = o.normalisation ?? amplitudeClip(vol.file);
    const notes: string[] = [];
    const note = (n: string) => { notes.push(n); o.onNote?.(n); };
    if (o.normalisation) {
      // A clip from another survey's tiles.json may not fit this survey's amplitude scale; most samples would then saturate.
      const a = sampleAmplitudes(vol.file, 1000), n = a.sorted.length;
      let outside = 0;
      for (const v of a.sorted) if (v < norm.lo || v > norm.hi) outside++;
      if (n > 0 && outside > SATURATION * n) {
        note(`the clip ${norm.lo.toPrecision(4)} .. ${norm.hi.toPrecision(4)} (${norm.source}) saturates ${(100 * outside / n).toFixed(1)}% of ${a.traces} sampled traces' amplitudes, against 1% for this survey's own 0.5/99.5 percentiles (${percentile(a.sorted, 0.5).toPrecision(4)} .. ${percentile(a.sorted, 99.5).toPrecision(4)}): the tiles were cut from a survey of another amplitude scale. If that is not what you meant, drop --normalise to clip at this survey's own percentiles`);
      }
    }
    const ns = vol.samples, nIl = vol.inlines.count, nXl = vol.crosslines.count;
    if (ns < 1) throw new SegyError(o.input, 'its traces hold no samples; there is nothing to predict');
    // Sections across a single trace have no lateral context: a 101-wide tile of one trace column and padding.
    if (nIl === 1 && nXl === 1) throw new SegyError(o.input, `holds one trace (inline ${vol.inlines.first}, crossline ${vol.crosslines.first}), not a section: halite predicts salt on inline or crossline sections, so give it a 2D line or a 3D survey`);
    if (sections.length === 2 && (nIl === 1) !== (nXl === 1)) {
      // A 2D line: sections across it are single traces with no lateral context, so the line alone is predicted.
      const across: Direction = nIl === 1 ? 'crossline' : 'inline';
      sections.splice(sections.indexOf(across), 1);
      note(`a 2D line (one ${nIl === 1 ? 'inline' : 'crossline'}): its ${across}s are single traces, so ${sections[0]} sections alone are predicted`);
    }
    const header = { model: o.model ?? '(not named)', normalisation: norm, sections, tta: o.tta ?? true, stride, threshold: o.threshold };
    const textLines = surveyTextLines({ ...header, mask: false });
    const group = o.group, rank = group?.rank ?? 0, world = group?.worldSize ?? 1, root = rank === 0;
    if (root) {
      out = SegyWriter.open(o.out, vol.file, { format: 5, textLines });
      if (o.maskOut) mask = SegyWriter.open(o.maskOut, vol.file, { format: 5, textLines: surveyTextLines({ ...header, mask: true }) });
      if (sections.length === 2) scratch = new Scratch(o.out, ns);
    }

    const window = blendWindow();
    const total = { sections: (sections.includes('inline') ? nIl : 0) + (sections.includes('crossline') ? nXl : 0), traces: nIl * nXl * sections.length };
    let doneSections = 0, doneTraces = 0, tiles = 0, nonFinite = 0, salt = 0;
    const predict: TilePredictor = (t) => { tiles += t.length / (TILE * TILE); return o.predict(t); };
    const emit = (s: Float32Array, traces: Int32Array) => {
      out!.writeSection(traces, s);
      if (!mask) return;
      const m = tidy(() => {
        const over = fromArray(s, [traces.length, ns]).gt(o.threshold).float();
        // Padded positions are not written, so their salt is not counted.
        const real = fromArray(Int32Array.from(traces, (t) => (t >= 0 ? 1 : 0)), [traces.length, 1]).float();
        salt += over.mul(real).sum().item();
        return over.toArray() as Float32Array;
      });
      mask.writeSection(traces, m);
    };

    const section = new Float32Array(Math.max(nIl, nXl) * ns), other = new Float32Array(nIl * ns);
    for (const dir of sections) {
      const count = dir === 'inline' ? nIl : nXl, width = dir === 'inline' ? nXl : nIl;
      // One round is a section per rank (one section without a group), written in order by rank 0.
      for (let first = 0; first < count; first += world) {
        await yieldToEvents(); // lets a Ctrl-C handler run between sections
        let stop = o.signal?.aborted ? 1 : 0;
        if (group) [stop] = await allreduceNumbers(group, [stop], 'max'); // any rank's Ctrl-C stops all at the same round
        if (stop) throw new SurveyAborted(o.out);
        const k = first + rank;
        let p: Float32Array = new Float32Array(0), bad = 0;
        if (k < count) {
          const s = section.subarray(0, width * ns);
          if (dir === 'inline') vol.inlineAt(k, s); else vol.crosslineAt(k, s);
          bad = normalise(s, norm);
          p = await predictSectionAsync(s, width, ns, predict, { stride, window });
        }
        const round = !group ? [{ p, bad }]
          : (await gatherBytes(group, packParts({ bad }, [p])))?.map((b) => {
            const u = unpackParts<{ bad: number }>(b);
            return { p: u.parts[0] as Float32Array, bad: u.meta.bad };
          }) ?? [];
        for (const [i, r] of round.entries()) {
          const kk = first + i;
          if (kk >= count) break;
          nonFinite += r.bad;
          const traces = dir === 'inline' ? vol.inlineTraces(kk) : vol.crosslineTraces(kk);
          if (scratch && dir === 'inline') scratch.write(kk * nXl, r.p);
          else {
            if (scratch) {
              // Pass 2: this crossline's inline probabilities back from the scratch file, then the mean.
              for (let i = 0; i < nIl; i++) if (traces[i]! >= 0) scratch.read(i * nXl + kk, other, i * ns);
              // Padded positions average stale values here, but are never written.
              r.p.set(tidy(() => fromArray(r.p).add(fromArray(other.subarray(0, r.p.length))).div(2).toArray() as Float32Array));
            }
            emit(r.p, traces);
          }
          doneSections++;
          doneTraces += width;
          o.onProgress?.({ direction: dir, sections: doneSections, totalSections: total.sections, traces: doneTraces, totalTraces: total.traces, seconds: (performance.now() - t0) / 1000 });
        }
      }
    }
    if (group) [tiles] = await allreduceNumbers(group, [tiles]);
    scratch?.remove();
    scratch = undefined;
    out?.close();
    mask?.close();
    const traces = vol.geometry.traceCount;
    const previews = o.png && root ? writePreviews({ input: o.input, probabilities: o.out, dir: o.png.dir, picks: o.png.picks, threshold: o.threshold, normalisation: norm, ilineByte: o.ilineByte, xlineByte: o.xlineByte }) : [];
    return {
      out: o.out, maskOut: o.maskOut ?? null, sections, inlines: nIl, crosslines: nXl, samples: ns, traces, padded: vol.geometry.padded,
      normalisation: norm, nonFinite: sections.length === 2 ? nonFinite / 2 : nonFinite, tiles, saltFraction: mask ? salt / (traces * ns) : Number.NaN,
      seconds: (performance.now() - t0) / 1000, textLines, previews, notes,
    };
  } catch (e) {
    out?.abort();
    mask?.abort();
    throw e;
  } finally {
    scratch?.remove();
    vol.close();
  }
}

/** A section to preview: an inline or crossline by its number in the survey. */
export interface SectionPick { direction: Direction; number: number }

/** `il:120,xl:880` (or inline:/crossline:) as picks; throws naming `flag` for anything else. */
export function parseSectionPicks(spec: string, flag = '--png-sections'): SectionPick[] {
  return spec.split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
    const m = /^(il|inline|xl|crossline):(-?\d+)$/.exec(p);
    if (!m) throw new Error(`${flag} ${spec}: "${p}" is not il:N or xl:N (e.g. il:120,xl:880)`);
    return { direction: m[1]!.startsWith('i') ? 'inline' : 'crossline', number: Number(m[2]) };
  });
}

/** The middle inline and the middle crossline. */
export function middleSections(vol: SegyVolume): SectionPick[] {
  const mid = (a: SegyVolume['inlines']) => a.first + Math.floor((a.count - 1) / 2) * a.step;
  return [{ direction: 'inline', number: mid(vol.inlines) }, { direction: 'crossline', number: mid(vol.crosslines) }];
}

const SALT_TINT = [255, 90, 0] as const;
const CONTOUR = [255, 230, 0] as const;

/**
 * An RGB image of a section, traces across and time down: amplitude in grey (already normalised to
 * [0, 1]), salt (probability > threshold) tinted orange, and its outline in yellow. `amplitude` and
 * `prob` are [traces × samples].
 */
export function sectionImage(amplitude: Float32Array, prob: Float32Array, traces: number, samples: number, threshold: number): Uint8Array {
  const rgb = new Uint8Array(traces * samples * 3);
  const salt = (t: number, s: number) => t >= 0 && t < traces && s >= 0 && s < samples && prob[t * samples + s]! > threshold;
  for (let s = 0; s < samples; s++) {
    for (let t = 0; t < traces; t++) {
      const g = Math.round(255 * amplitude[t * samples + s]!);
      const px = (s * traces + t) * 3;
      let c: readonly number[] = [g, g, g];
      if (salt(t, s)) {
        const edge = !salt(t - 1, s) || !salt(t + 1, s) || !salt(t, s - 1) || !salt(t, s + 1);
        c = edge ? CONTOUR : [0, 1, 2].map((k) => Math.round(0.55 * g + 0.45 * SALT_TINT[k]!));
      }
      rgb[px] = c[0]!; rgb[px + 1] = c[1]!; rgb[px + 2] = c[2]!;
    }
  }
  return rgb;
}

/**
 * PNG previews of chosen sections of a predicted survey, read back from the input and the written
 * probability volume: `DIR/inline-N.png`, `DIR/crossline-N.png`. Returns the paths written.
 */
export function writePreviews(o: { input: string; probabilities: string; dir: string; picks?: SectionPick[]; threshold: number; normalisation: Normalisation; ilineByte?: number; xlineByte?: number }): string[] {
  const geo = { ilineByte: o.ilineByte, xlineByte: o.xlineByte };
  const amp = openVolume(o.input, geo);
  try {
    const prob = openVolume(o.probabilities, geo);
    try {
      makeFolders(o.dir);
      const picks = o.picks?.length ? o.picks : middleSections(amp);
      // Check every pick before writing any, so a wrong number leaves no partial set.
      const sections = picks.map((p) => {
        const a = p.direction === 'inline' ? amp.inline(p.number) : amp.crossline(p.number);
        normalise(a, o.normalisation);
        const q = p.direction === 'inline' ? prob.inline(p.number) : prob.crossline(p.number);
        return { p, a, q, traces: p.direction === 'inline' ? amp.crosslines.count : amp.inlines.count };
      });
      return sections.map(({ p, a, q, traces }) => {
        const path = join(o.dir, `${p.direction}-${p.number}.png`);
        writeFileAtomic(path, encode({ width: traces, height: amp.samples, data: sectionImage(a, q, traces, amp.samples, o.threshold), channels: 3, depth: 8 }));
        return path;
      });
    } finally {
      prob.close();
    }
  } finally {
    amp.close();
  }
}
