// Predicted surveys for the web app's viewer: pairs of a seismic SEG-Y and a salt-probability SEG-Y
// on the same geometry, found in one folder, opened once and read a section at a time by positional
// reads (src/segy), so a survey is never loaded whole.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { axisText, openVolume, percentile, sampleAmplitudes, type Axis, type SegyVolume } from '../segy/index.js';
import { PathError } from './runs.js';
import { haliteProgram } from '../run/layout.js';
import { quote } from 'shell-quote';

/** How a folder names its pairs; the page's empty state and the README say the same. */
export const SURVEY_CONVENTION = 'X.sgy next to X.salt.sgy (what halite predict --segy X.sgy --out X.salt.sgy writes), or a folder with survey.json: {"seismic": "a.sgy", "probability": "b.sgy", "vertical": "time" | "depth"}';

export interface SurveyEntry {
  name: string;
  seismic: string;
  probability: string;
  /** What the samples are: time (interval in µs, shown in ms) or depth (interval in mm by the ×1000 convention, shown in m). */
  vertical: 'time' | 'depth';
}

export interface SurveyInfo extends SurveyEntry {
  inlines: Axis;
  crosslines: Axis;
  samples: number;
  /** Vertical step and first sample, in the vertical unit. */
  sampleStep: number;
  firstSample: number;
  unit: 'ms' | 'm';
  /** Robust amplitude clip: the 1st and 99th percentiles of a sample of traces. */
  clip: [number, number];
  traces: number;
  padded: number;
}

export type Direction = 'inline' | 'crossline' | 'time';

/** What a section response's JSON part says. The image is row-major [height × width]: x across, y down. */
export interface SectionMeta {
  survey: string;
  direction: Direction;
  /** The inline or crossline number, or the sample index of a time slice. */
  number: number;
  width: number;
  height: number;
  x: { label: string; first: number; step: number; unit: string };
  y: { label: string; first: number; step: number; unit: string };
  clip: [number, number];
}

/** A survey that cannot be shown: its files disagree or do not read. Answered as 422 naming the files. */
export class SurveyError extends Error {
  readonly statusCode = 422;
}

/**
 * Finds the pairs in `dir`: every X.sgy (or .segy) with X.salt.sgy beside it, and every
 * subfolder (or `dir` itself) holding survey.json. Names are X, or the subfolder's name.
 * Returns them sorted by name, the SEG-Y files that have no partner (for the empty state), and
 * the survey.json files that cannot be used (not JSON, a file not there), each with why.
 */
export function findSurveys(dir: string): { surveys: SurveyEntry[]; unpaired: string[]; broken: { name: string; error: string }[] } {
  const surveys: SurveyEntry[] = [];
  const unpaired: string[] = [];
  const broken: { name: string; error: string }[] = [];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { surveys, unpaired, broken };
  const fromJson = (folder: string, name: string) => {
    try {
      readJson(folder, name);
    } catch (e) {
      broken.push({ name, error: (e as Error).message });
    }
  };
  const readJson = (folder: string, name: string) => {
    const file = join(folder, 'survey.json');
    let j: { seismic?: unknown; probability?: unknown; vertical?: unknown };
    try {
      j = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new PathError(`${file}: not valid JSON (${(e as Error).message}); it holds {"seismic": "FILE.sgy", "probability": "FILE.sgy"}`, 422);
    }
    for (const k of ['seismic', 'probability'] as const) {
      if (typeof j[k] !== 'string') throw new PathError(`${file}: "${k}" must name a SEG-Y file (relative to the survey.json)`, 422);
      if (!existsSync(resolve(folder, j[k] as string))) throw new PathError(`${file}: "${k}" names ${resolve(folder, j[k] as string)}, which does not exist`, 422);
    }
    if (j.vertical !== undefined && j.vertical !== 'time' && j.vertical !== 'depth') throw new PathError(`${file}: "vertical" must be "time" or "depth", not ${JSON.stringify(j.vertical)}`, 422);
    surveys.push({ name, seismic: resolve(folder, j.seismic as string), probability: resolve(folder, j.probability as string), vertical: (j.vertical as 'depth' | undefined) ?? 'time' });
  };
  if (existsSync(join(dir, 'survey.json'))) fromJson(dir, basename(resolve(dir)));
  const names = readdirSync(dir).sort();
  const segy = names.filter((n) => /\.se?gy$/i.test(n));
  const probs = new Set(segy.filter((n) => /\.salt\.se?gy$/i.test(n)));
  const paired = new Set<string>();
  for (const n of segy) {
    if (probs.has(n)) continue;
    const stem = n.replace(/\.se?gy$/i, '');
    const partner = segy.find((p) => probs.has(p) && p.replace(/\.salt\.se?gy$/i, '') === stem);
    if (!partner) continue;
    surveys.push({ name: stem, seismic: join(dir, n), probability: join(dir, partner), vertical: 'time' });
    paired.add(n).add(partner);
  }
  for (const n of names) if (existsSync(join(dir, n, 'survey.json')) && statSync(join(dir, n)).isDirectory()) fromJson(join(dir, n), n);
  if (!existsSync(join(dir, 'survey.json'))) unpaired.push(...segy.filter((n) => !paired.has(n)));
  surveys.sort((a, b) => a.name.localeCompare(b.name));
  return { surveys, unpaired, broken };
}

const sameAxis = (a: Axis, b: Axis) => a.first === b.first && a.step === b.step && a.count === b.count;

/** An open pair: both volumes, checked to share a geometry. */
export class Survey {
  readonly info: SurveyInfo;
  private constructor(readonly seismic: SegyVolume, readonly probability: SegyVolume, entry: SurveyEntry) {
    const a = seismic.file, b = probability.file, g = seismic.geometry, h = probability.geometry;
    const diff: string[] = [];
    if (!sameAxis(g.inlines, h.inlines)) diff.push(`inlines ${axisText(g.inlines)} against ${axisText(h.inlines)}`);
    if (!sameAxis(g.crosslines, h.crosslines)) diff.push(`crosslines ${axisText(g.crosslines)} against ${axisText(h.crosslines)}`);
    if (a.samplesPerTrace !== b.samplesPerTrace) diff.push(`${a.samplesPerTrace} samples per trace against ${b.samplesPerTrace}`);
    if (a.sampleInterval !== b.sampleInterval) diff.push(`sample interval ${a.sampleInterval} µs against ${b.sampleInterval} µs`);
    if (!diff.length && g.index.some((t, p) => (t < 0) !== (h.index[p]! < 0))) diff.push(`${g.traceCount} traces against ${h.traceCount}, at different positions`);
    if (diff.length) throw new SurveyError(`survey ${entry.name}: the seismic ${a.path} and the probability ${b.path} are not on the same geometry (${diff.join('; ')}). Predict the probability volume from this seismic file: ${haliteProgram()} predict --segy ${quote([a.path])} --out ${quote([b.path])} --force`);
    const sample = sampleAmplitudes(a, 500).sorted;
    const depth = entry.vertical === 'depth';
    this.info = {
      ...entry, inlines: g.inlines, crosslines: g.crosslines, samples: a.samplesPerTrace,
      sampleStep: a.sampleInterval / 1000, firstSample: a.traceCount ? a.traceHeader(0).delayMs() : 0, unit: depth ? 'm' : 'ms',
      clip: [percentile(sample, 1), percentile(sample, 99)], traces: g.traceCount, padded: g.padded,
    };
  }

  /** Opens both files (one pass over each file's trace headers). Throws SurveyError naming both files when they disagree. */
  static open(entry: SurveyEntry): Survey {
    const s = openVolume(entry.seismic);
    let p: SegyVolume | undefined;
    try {
      p = openVolume(entry.probability);
      return new Survey(s, p, entry);
    } catch (e) {
      s.close();
      p?.close();
      throw e instanceof SurveyError ? e : new SurveyError(`survey ${entry.name}: ${(e as Error).message}`);
    }
  }

  /**
   * One section of both volumes as row-major [height × width] float32 images: an inline is
   * crosslines across and samples down, a crossline inlines across and samples down, a time slice
   * (sample index k) crosslines across and inlines down. Throws PathError (400) naming the valid
   * range for a number the survey does not have.
   */
  section(direction: Direction, n: number): { meta: SectionMeta; amplitude: Float32Array; probability: Float32Array } {
    const i = this.info;
    const vertical = { label: i.unit === 'm' ? 'depth' : 'time', first: i.firstSample, step: i.sampleStep, unit: i.unit };
    const meta = (width: number, height: number, x: SectionMeta['x'], y: SectionMeta['y']): SectionMeta =>
      ({ survey: i.name, direction, number: n, width, height, x, y, clip: i.clip });
    if (direction === 'time') {
      if (!Number.isInteger(n) || n < 0 || n >= i.samples) throw new PathError(`time slice ${n} is not in survey ${i.name}: its samples are 0..${i.samples - 1} (${vertical.first}..${vertical.first + (i.samples - 1) * vertical.step} ${i.unit})`, 400);
      return {
        meta: meta(i.crosslines.count, i.inlines.count, { label: 'crossline', first: i.crosslines.first, step: i.crosslines.step, unit: '' }, { label: 'inline', first: i.inlines.first, step: i.inlines.step, unit: '' }),
        amplitude: this.seismic.timeSlice(n), probability: this.probability.timeSlice(n),
      };
    }
    const along = direction === 'inline' ? i.inlines : i.crosslines, across = direction === 'inline' ? i.crosslines : i.inlines;
    const k = (n - along.first) / along.step;
    if (!Number.isInteger(k) || k < 0 || k >= along.count) throw new PathError(`${direction} ${n} is not in survey ${i.name}: its ${direction}s are ${along.first}..${along.last}${along.step === 1 ? '' : ` in steps of ${along.step}`}`, 400);
    const read = (v: SegyVolume) => (direction === 'inline' ? v.inlineAt(k) : v.crosslineAt(k));
    const ns = i.samples, w = across.count;
    // The reader gives [positions × samples]; the page wants samples down, so transpose.
    const down = (s: Float32Array) => {
      const o = new Float32Array(w * ns);
      for (let x = 0; x < w; x++) for (let y = 0; y < ns; y++) o[y * w + x] = s[x * ns + y]!;
      return o;
    };
    return {
      meta: meta(w, ns, { label: direction === 'inline' ? 'crossline' : 'inline', first: across.first, step: across.step, unit: '' }, vertical),
      amplitude: down(read(this.seismic)), probability: down(read(this.probability)),
    };
  }

  close(): void {
    this.seismic.close();
    this.probability.close();
  }
}

/**
 * A section as one binary body: a little-endian uint32 byte length of the JSON metadata, the
 * metadata (UTF-8, padded with spaces to a multiple of 4 bytes), then the amplitude and the
 * probability images as little-endian float32, width × height each.
 */
export function encodeSection(meta: SectionMeta, amplitude: Float32Array, probability: Float32Array): Buffer {
  let json = JSON.stringify(meta);
  while ((4 + Buffer.byteLength(json)) % 4) json += ' ';
  const head = Buffer.alloc(4);
  head.writeUInt32LE(Buffer.byteLength(json));
  const f32 = (a: Float32Array) => {
    const b = Buffer.alloc(a.length * 4);
    for (let k = 0; k < a.length; k++) b.writeFloatLE(a[k]!, k * 4);
    return b;
  };
  return Buffer.concat([head, Buffer.from(json), f32(amplitude), f32(probability)]);
}

/** The surveys of a folder, opened on first use and kept open until close(). */
export class SurveyShelf {
  private open = new Map<string, Survey>();
  constructor(readonly dir: string | undefined) {}

  list(): { dir: string | null; dirExists: boolean; surveys: (SurveyInfo | (SurveyEntry & { error: string }))[]; unpaired: string[]; convention: string } {
    const found = this.dir ? findSurveys(this.dir) : { surveys: [], unpaired: [], broken: [] };
    const surveys: (SurveyInfo | (SurveyEntry & { error: string }))[] = found.surveys.map((e) => {
      try {
        return this.get(e.name, found.surveys).info;
      } catch (err) {
        return { ...e, error: (err as Error).message };
      }
    });
    for (const b of found.broken) surveys.push({ name: b.name, seismic: '', probability: '', vertical: 'time', error: b.error });
    surveys.sort((a, b) => a.name.localeCompare(b.name));
    return { dir: this.dir ?? null, dirExists: !!this.dir && existsSync(this.dir), surveys, unpaired: found.unpaired, convention: SURVEY_CONVENTION };
  }

  /** The survey named `name`; throws PathError (404) naming the folder when there is none, SurveyError when its files disagree. */
  get(name: string, entries?: SurveyEntry[]): Survey {
    const entry = (entries ?? (this.dir ? findSurveys(this.dir).surveys : [])).find((e) => e.name === name);
    if (!entry) throw new PathError(this.dir ? `no survey named ${name} in ${this.dir}` : `no survey named ${name}: start halite serve with --surveys DIR`, 404);
    const hit = this.open.get(name);
    if (hit && hit.info.seismic === entry.seismic && hit.info.probability === entry.probability) return hit;
    hit?.close();
    this.open.delete(name);
    const s = Survey.open(entry);
    this.open.set(name, s);
    return s;
  }

  close(): void {
    for (const s of this.open.values()) s.close();
    this.open.clear();
  }
}
