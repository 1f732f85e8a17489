// `halite tiles`: a labelled SEG-Y volume cut into the TGS layout (101×101 PNG tiles and masks,
// train.csv, depths.csv), section by section, with the amplitude mapping recorded in tiles.json so
// survey prediction can normalise the same way, and whole blocks of inlines held out in split.json.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encode } from 'fast-png';
import { axisText, gridDifferences, openVolume, percentile, sampleAmplitudes, type Axis, type SectionDirection, type SegyVolume } from '../segy/index.js';
import { rleEncode, PIXELS, TILE } from './rle.js';
import { SPLIT_FILE } from './split.js';
import { makeFolders, prepareOutputFolder, writeFolderWhole } from '../io/folders.js';

export type SectionKind = SectionDirection;

export interface SegyTilesOptions {
  /** Seismic amplitudes, SEG-Y. */
  segy: string;
  /** Labels on the same geometry (salt: non-zero samples). Without it the tiles are a test part. */
  labels?: string;
  out: string;
  /** Step between tiles along both axes of a section, pixels; default 101 (tiles touch, no overlap). */
  stride?: number;
  /** Default ['inline']. */
  sections?: SectionKind[];
  /** Inline numbers first..last (inclusive) held out for validation. */
  valInlines?: [number, number];
  ilineByte?: number;
  xlineByte?: number;
  /** Clip at this percentile and at 100 minus it; default 0.5. */
  clipPercent?: number;
  /** Traces sampled for the percentiles; default 2000. */
  maxTraces?: number;
  /** Replace an existing folder (once the new one is complete). */
  force?: boolean;
  onSection?: (done: number, total: number) => void;
}

/** DIR/tiles.json: how the tiles were cut, and the amplitude mapping prediction must repeat. */
export interface TilesManifest {
  source: string;
  labels: string | null;
  /** grey = round(255 × clamp((amplitude − clip[0]) / (clip[1] − clip[0]), 0, 1)); images read back as grey / 255. */
  mapping: string;
  percentiles: [number, number];
  clip: [number, number];
  sampledTraces: number;
  stride: number;
  tile: number;
  sections: SectionKind[];
  geometry: { inlines: Axis; crosslines: Axis; samples: number; sampleIntervalUs: number; delayMs: number; ilineByte: number; xlineByte: number; padded: number };
  /** Unit of depths.csv's z: 'ms' (time of the tile's top sample), or 'samples' when the file gives no sample interval. */
  depthUnit: 'ms' | 'samples';
  valInlines: [number, number] | null;
  /** dropped: crossline tiles spanning held-out and training inlines; padded: tiles over traces missing from the survey. */
  counts: { train: number; val: number; test: number; dropped: number; padded: number; empty: number; valEmpty: number };
}

export interface SegyTilesResult extends TilesManifest { dir: string }

/** Tile starts along an axis of n pixels: 0, stride, ..., and a last one flush with the end so every pixel is covered. */
export function tileStarts(n: number, stride: number): number[] {
  const starts: number[] = [];
  for (let s = 0; s + TILE <= n; s += stride) starts.push(s);
  if (starts.length && starts[starts.length - 1]! + TILE < n) starts.push(n - TILE);
  return starts;
}

const num = (n: number) => (n < 0 ? `n${String(-n).padStart(4, '0')}` : String(n).padStart(4, '0'));

/** A tile's id: its section (il/xl and number), top sample (t) and first trace's number along the section (x: crossline, i: inline). */
export function tileId(kind: SectionKind, line: number, top: number, first: number): string {
  return kind === 'inline' ? `il${num(line)}-t${num(top)}-x${num(first)}` : `xl${num(line)}-t${num(top)}-i${num(first)}`;
}

/** Throws naming both files when the labels are not on the seismic's geometry. */
function checkSameGeometry(seis: SegyVolume, labels: SegyVolume): void {
  const diff = gridDifferences(seis, labels);
  if (diff.length) throw new Error(`the labels ${labels.file.path} are not on the geometry of the seismic ${seis.file.path}: ${diff.join('; ')} (seismic vs labels). Labels must be a volume of the same survey (same inline/crossline numbers, samples and interval)`);
}

function png(data: Uint8Array): Uint8Array {
  return encode({ width: TILE, height: TILE, data, channels: 1, depth: 8 });
}

/**
 * Cuts `segy` (and its `labels`) into 101×101 tiles from inline and/or crossline sections and writes
 * the TGS layout into `out` (through a temporary folder renamed into place):
 * train/images and train/masks (8-bit grey PNGs; masks 0/255), train.csv (Kaggle RLE), depths.csv
 * (z: time of the tile's top sample in ms, from the sample interval and trace 0's delay), split.json
 * (with valInlines: the held-out tile ids, which `halite train` validates on), tiles.json (the
 * amplitude mapping and geometry) and README.md. Without labels the tiles go to test/images with a
 * sample_submission.csv, and the train part is empty.
 * A tile's pixel (row y, column x) is sample top + y of the section's trace first + x. Amplitudes are
 * clipped at the clipPercent and 100 − clipPercent percentiles of a sample of traces (numpy's linear
 * percentile) and mapped to 0..255.
 * Held-out inlines: inline tiles from inlines in valInlines go to validation; a crossline tile spans
 * 101 inlines, so it goes to validation when all of them are held out and is dropped when only some
 * are (it would show the held-out inlines to training).
 * Throws for a geometry mismatch (naming both files), sections smaller than a tile, a NaN or infinite
 * amplitude (naming its inline and crossline), a constant volume, or bad options.
 */
export function writeSegyTiles(o: SegyTilesOptions): SegyTilesResult {
  const out = resolve(o.out);
  prepareOutputFolder(o.out, '--out', { force: o.force, inputs: [['--segy', o.segy], ['--labels', o.labels]] });
  const stride = o.stride ?? TILE;
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`--stride must be a whole number of pixels >= 1, got ${stride}`);
  const sections = o.sections ?? ['inline'];
  if (!sections.length || sections.some((s) => s !== 'inline' && s !== 'crossline')) throw new RangeError(`--sections must list inline and/or crossline, got ${sections.join(',')}`);
  const p = o.clipPercent ?? 0.5;
  if (!(p >= 0 && p < 50)) throw new RangeError(`the clip percentile must be in [0, 50), got ${p}`);
  const val = o.valInlines;
  if (val && !(Number.isFinite(val[0]) && Number.isFinite(val[1]) && val[0] <= val[1])) throw new RangeError(`--val-inlines must be A-B with A <= B, got ${val.join('-')}`);
  if (val && !o.labels) throw new Error('--val-inlines needs --labels: held-out tiles are labelled tiles');

  const gopts = { ilineByte: o.ilineByte, xlineByte: o.xlineByte };
  const seis = openVolume(o.segy, gopts);
  let labels: SegyVolume | undefined;
  try {
    if (o.labels) {
      if (resolve(o.labels) === resolve(o.segy)) throw new Error(`--labels ${o.labels} is the seismic itself; labels are a separate volume on the same grid, salt non-zero (e.g. halite synth --volume's salt.sgy)`);
      labels = openVolume(o.labels, gopts);
      checkSameGeometry(seis, labels);
    }
    const g = seis.geometry, ns = seis.samples;
    const ni = g.inlines.count, nx = g.crosslines.count;
    if (val && (val[1] < g.inlines.first || val[0] > g.inlines.last)) throw new RangeError(`--val-inlines ${val[0]}-${val[1]} holds none of ${o.segy}'s inlines (${axisText(g.inlines)})`);
    if (val && val[0] <= g.inlines.first && val[1] >= g.inlines.last) throw new RangeError(`--val-inlines ${val[0]}-${val[1]} holds out every inline of ${o.segy} (${axisText(g.inlines)}), leaving nothing to train on; hold out a block of them`);
    for (const kind of sections) {
      const width = kind === 'inline' ? nx : ni;
      // Suggest the other direction only where its sections would hold a tile.
      const other = kind === 'inline' ? 'crossline' : 'inline', fits = (kind === 'inline' ? ni : nx) >= TILE && ns >= TILE;
      if (width < TILE || ns < TILE) throw new Error(`${o.segy}: ${kind} sections are ${width} ${kind === 'inline' ? 'crosslines' : 'inlines'} × ${ns} samples; a tile needs ${TILE} × ${TILE}. Use a larger volume${fits ? `, or --sections ${other}` : ''}`);
    }

    const a = sampleAmplitudes(seis.file, o.maxTraces ?? 2000);
    const clip: [number, number] = [percentile(a.sorted, p), percentile(a.sorted, 100 - p)];
    if (!(clip[1] > clip[0])) throw new Error(`${o.segy}: the ${p} and ${100 - p} percentiles of ${a.traces} sampled traces are both ${clip[0]}: the amplitudes are constant (or NaN), nothing to normalise`);
    const scale = 255 / (clip[1] - clip[0]);
    const dt = seis.file.sampleInterval;
    const delayMs = seis.file.traceCount ? seis.file.traceHeader(0).delayMs() : 0;
    const z = (top: number) => (dt > 0 ? +(delayMs + (top * dt) / 1000).toFixed(3) : top);

    return writeFolderWhole(out, (tmp) => {
      const part = labels ? 'train' : 'test';
      // The train folders exist even for a test part alone: readTgs expects them.
      for (const d of ['train/images', 'train/masks', ...(labels ? [] : ['test/images'])]) makeFolders(join(tmp, d));
      const rows = ['id,rle_mask'], depths = ['id,z'], sub = ['id,rle_mask'], valIds: string[] = [];
      const counts = { train: 0, val: 0, test: 0, dropped: 0, padded: 0, empty: 0, valEmpty: 0 };
      const img = new Uint8Array(PIXELS), mask = new Uint8Array(PIXELS), grey = new Uint8Array(PIXELS);
      const total = sections.reduce((s, k) => s + (k === 'inline' ? ni : nx), 0);
      let done = 0;
      for (const kind of sections) {
        const lines = kind === 'inline' ? ni : nx;
        const along = kind === 'inline' ? g.crosslines : g.inlines;
        const lineAxis = kind === 'inline' ? g.inlines : g.crosslines;
        const width = along.count;
        const inVal = (idx: number) => val !== undefined && g.inlines.first + idx * g.inlines.step >= val[0] && g.inlines.first + idx * g.inlines.step <= val[1];
        for (let k = 0; k < lines; k++) {
          const line = lineAxis.first + k * lineAxis.step;
          const data = kind === 'inline' ? seis.inlineAt(k) : seis.crosslineAt(k);
          const lab = labels ? (kind === 'inline' ? labels.inlineAt(k) : labels.crosslineAt(k)) : undefined;
          const traces = kind === 'inline' ? seis.inlineTraces(k) : seis.crosslineTraces(k);
          const at = (t: number) => {
            const r = Math.floor(t / ns);
            const [il, xl] = kind === 'inline' ? [line, along.first + r * along.step] : [along.first + r * along.step, line];
            return `sample ${t % ns} of the trace at inline ${il}, crossline ${xl}`;
          };
          for (let t = 0; t < data.length; t++) {
            if (!Number.isFinite(data[t]!)) throw new Error(`${o.segy}: ${at(t)} is ${data[t]}; tiles must not carry NaN or infinite amplitudes to a model. Fix or mute those samples first`);
            // Labels are classes; a fractional value means amplitudes or probabilities were passed as labels.
            if (lab && !Number.isInteger(lab[t]!)) throw new Error(`${o.labels}: ${at(t)} is ${lab[t]}; labels hold whole-number classes (salt non-zero, 0 elsewhere), like halite synth --volume's salt.sgy. Is this the seismic or a probability volume?`);
          }
          for (const left of tileStarts(width, stride)) {
            // Which split: inline tiles by their inline; crossline tiles by the 101 inlines they span.
            let split: 'train' | 'val' | 'drop' = 'train';
            if (val) {
              if (kind === 'inline') split = inVal(k) ? 'val' : 'train';
              else {
                let held = 0;
                for (let c = left; c < left + TILE; c++) if (inVal(c)) held++;
                split = held === 0 ? 'train' : held === TILE ? 'val' : 'drop';
              }
            }
            if (split === 'drop') {
              counts.dropped += tileStarts(ns, stride).length;
              continue;
            }
            // Positions the survey has no trace for hold the fill value, not data: a tile over them would teach flat grey.
            if (traces.subarray(left, left + TILE).some((t) => t < 0)) {
              counts.padded += tileStarts(ns, stride).length;
              continue;
            }
            for (const top of tileStarts(ns, stride)) {
              const id = tileId(kind, line, top, along.first + left * along.step);
              for (let y = 0; y < TILE; y++) {
                for (let x = 0; x < TILE; x++) {
                  const s = (left + x) * ns + top + y;
                  const v = Math.round((data[s]! - clip[0]) * scale);
                  img[y * TILE + x] = v < 0 ? 0 : v > 255 ? 255 : v;
                  if (lab) mask[y * TILE + x] = lab[s] !== 0 ? 1 : 0;
                }
              }
              writeFileSync(join(tmp, part, 'images', `${id}.png`), png(img));
              depths.push(`${id},${z(top)}`);
              if (lab) {
                for (let q = 0; q < PIXELS; q++) grey[q] = mask[q]! * 255;
                writeFileSync(join(tmp, 'train/masks', `${id}.png`), png(grey));
                const rle = rleEncode(mask);
                if (rle === '') { counts.empty++; if (split === 'val') counts.valEmpty++; }
                rows.push(`${id},${rle}`);
                if (split === 'val') { valIds.push(id); counts.val++; } else counts.train++;
              } else {
                sub.push(`${id},1 1`);
                counts.test++;
              }
            }
          }
          o.onSection?.(++done, total);
        }
      }
      writeFileSync(join(tmp, 'train.csv'), rows.join('\n') + '\n');
      writeFileSync(join(tmp, 'depths.csv'), depths.join('\n') + '\n');
      if (!labels) writeFileSync(join(tmp, 'sample_submission.csv'), sub.join('\n') + '\n');
      const manifest: TilesManifest = {
        source: resolve(o.segy), labels: o.labels ? resolve(o.labels) : null,
        mapping: 'grey = round(255 * clamp((amplitude - clip[0]) / (clip[1] - clip[0]), 0, 1)); halite reads images as grey / 255',
        percentiles: [p, 100 - p], clip, sampledTraces: a.traces, stride, tile: TILE, sections,
        geometry: { inlines: g.inlines, crosslines: g.crosslines, samples: ns, sampleIntervalUs: dt, delayMs, ilineByte: g.ilineByte, xlineByte: g.xlineByte, padded: g.padded },
        depthUnit: dt > 0 ? 'ms' : 'samples', valInlines: val ?? null, counts,
      };
      writeFileSync(join(tmp, 'tiles.json'), JSON.stringify(manifest, null, 2) + '\n');
      if (val) writeFileSync(join(tmp, SPLIT_FILE), JSON.stringify({ valInlines: val, val: valIds }, null, 1) + '\n');
      writeFileSync(join(tmp, 'README.md'), readme(manifest));
      return { ...manifest, dir: out };
    });
  } finally {
    seis.close();
    labels?.close();
  }
}

function readme(m: TilesManifest): string {
  const c = m.counts;
  return `# Tiles cut by \`halite tiles\`

From ${m.source}${m.labels ? ` with labels ${m.labels}` : ''}: ${m.sections.join(' and ')} sections cut into ${m.tile}×${m.tile} tiles every ${m.stride} pixels
(the last tile of each axis flush with the section's end). ${c.train + c.val} labelled tiles (${c.val} held out), ${c.test} test tiles, ${c.empty} without salt${c.dropped ? `, ${c.dropped} crossline tiles dropped` : ''}.

- Ids: \`il<inline>-t<top sample>-x<first crossline>\` for inline sections, \`xl<crossline>-t<top sample>-i<first inline>\` for crossline sections.
  A tile's row y, column x is sample top + y of the x-th trace after the one numbered first along the section (counting in the survey's line steps).
- Images: 8-bit grey, ${m.mapping}, with clip = the ${m.percentiles[0]} and ${m.percentiles[1]} percentiles
  (${m.clip[0]} and ${m.clip[1]}) of ${m.sampledTraces} traces spread through the file. Predict a survey with the same mapping (tiles.json).
- Masks: 255 where the labels volume is non-zero (salt), 0 elsewhere; train.csv holds the same as Kaggle RLE.
- depths.csv: z is ${m.depthUnit === 'ms' ? `the time of the tile's top sample in ms (delay ${m.geometry.delayMs} ms + top × ${m.geometry.sampleIntervalUs / 1000} ms; for a depth volume read the sample interval's unit / 1000)` : 'the index of the tile\'s top sample (the file gives no sample interval)'}.
${m.valInlines ? `- split.json: inlines ${m.valInlines[0]}-${m.valInlines[1]} are held out. \`halite train --data DIR\` validates on exactly those tiles (the ids in
  split.json) instead of a random split, because tiles of neighbouring sections are nearly the same. Crossline tiles that span
  held-out inlines and others were dropped: they would show the held-out inlines to training. Neighbouring inlines just
  outside the block still resemble it; leave a gap in the block's choice if that matters.
` : ''}`;
}
