// `halite synth --volume`: a 3-D synthetic survey with known salt, written as two SEG-Y files on one
// geometry (seismic.sgy, salt.sgy) inline by inline, so memory is a few sections whatever the size.
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { newSurvey, SegyWriter, type SurveySpec } from '../../segy/index.js';
import { rng } from '../random.js';
import { buildEarth3D, type SaltKind3D } from './earth3d.js';
import { normal } from './earth.js';
import { seismicAmplitude } from './seismic.js';
import { prepareOutputFolder, writeFolderWhole } from '../../io/folders.js';

export interface VolumeSynthOptions {
  out: string;
  inlines: number;
  crosslines: number;
  samples: number;
  seed: number;
  /** µs; default 4000 (4 ms). */
  sampleInterval?: number;
  /** Number of the first inline and crossline (default 100 and 500: numbers that are not indices). */
  firstInline?: number;
  firstCrossline?: number;
  /** Salt bodies (default 1 to 3, drawn). */
  saltBodies?: number;
  /** Sample format of seismic.sgy: 5 (IEEE float, default) or 1 (IBM float). */
  format?: 5 | 1;
  /** Replace seismic.sgy and salt.sgy if the folder holds them. */
  force?: boolean;
  /** Called after each inline is written. */
  onSection?: (done: number, total: number) => void;
}

export interface VolumeSynthResult {
  seismic: string;
  salt: string;
  /** Bytes of each file. */
  bytes: number;
  traces: number;
  samples: number;
  /** Samples inside salt, and that as a fraction of all samples. */
  saltSamples: number;
  saltFraction: number;
  bodies: { kind: SaltKind3D; top: number }[];
  peakFrequencyHz: number;
}

const positiveInt = (v: number, flag: string, min = 1) => {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${flag} must be a whole number >= ${min}, got ${v}`);
};

/**
 * Writes DIR/seismic.sgy (amplitudes: reflectivity convolved with a Ricker wavelet, band-limited and
 * white noise) and DIR/salt.sgy (1 inside salt, 0 outside) on the same geometry: inlines
 * firstInline.., crosslines firstCrossline.., `samples` samples of `sampleInterval` µs, CDP x/y on a
 * 25 m grid. Both files appear only when complete (SegyWriter renames at close). Memory: the model's
 * parameters and one inline at a time. Deterministic in the seed.
 * The folder is written whole: in a temporary folder beside it, then renamed in place of any folder there.
 * Throws RangeError for a bad size, Error when the folder is not empty and `force` is not set (prepareOutputFolder).
 */
export function writeSynthVolume(o: VolumeSynthOptions): VolumeSynthResult {
  positiveInt(o.inlines, '--inlines');
  positiveInt(o.crosslines, '--crosslines');
  positiveInt(o.samples, '--samples', 8);
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new RangeError(`--seed must be a whole number >= 0, got ${o.seed}`);
  const dt = o.sampleInterval ?? 4000;
  const out = resolve(o.out);
  prepareOutputFolder(o.out, '--out', { force: o.force });
  const paths = { seismic: join(out, 'seismic.sgy'), salt: join(out, 'salt.sgy') };

  const random = rng(o.seed);
  const earth = buildEarth3D(o.inlines, o.crosslines, o.samples, random, o.saltBodies);
  // A wavelet of 15-35 Hz, as post-stack surveys have, in cycles per sample at this interval.
  const peakFrequencyHz = 15 + 20 * random();
  const peak = Math.min(0.2, (peakFrequencyHz * dt) / 1e6);
  const noise = 0.2 + 0.5 * random();
  const firstInline = o.firstInline ?? 100, firstCrossline = o.firstCrossline ?? 500;
  const spec: SurveySpec = {
    inlines: { first: firstInline, count: o.inlines },
    crosslines: { first: firstCrossline, count: o.crosslines },
    samples: o.samples,
    sampleInterval: dt,
    coordinates: (il, xl) => [500000 + 25 * (xl - firstCrossline), 6000000 + 25 * (il - firstInline)],
  };
  const describe = (what: string) => [
    `halite synth --volume: synthetic ${what}`,
    `seed ${o.seed}; ${o.inlines} inlines from ${firstInline}, ${o.crosslines} crosslines from ${firstCrossline}`,
    `${o.samples} samples of ${dt} us; Ricker ${peakFrequencyHz.toFixed(1)} Hz; ${earth.bodies.length} salt bodies`,
    'inline bytes 189-192, crossline 193-196, CDP x/y 181/185 (scalar -100)',
  ];
  // Written whole (writeFolderWhole): --force leaves nothing stale, and a failure leaves no partial survey.
  return writeFolderWhole(out, (tmp) => {
    const writing = { seismic: join(tmp, 'seismic.sgy'), salt: join(tmp, 'salt.sgy') };
    const seismicSurvey = newSurvey(writing.seismic, { ...spec, text: describe('seismic amplitudes') });
    const saltSurvey = newSurvey(writing.salt, { ...spec, text: [...describe('salt labels'), 'samples: 1 inside salt, 0 outside'] });
    let seismic: SegyWriter | undefined, salt: SegyWriter | undefined;
    try {
      seismic = SegyWriter.open(writing.seismic, seismicSurvey, { format: o.format ?? 5 });
      salt = SegyWriter.open(writing.salt, saltSurvey, { format: 5 });
      const ns = o.samples, nx = o.crosslines;
      const amp = new Float32Array(nx * ns), lab = new Float32Array(nx * ns);
      let saltSamples = 0;
      let noiseScale = 0;
      for (let i = 0; i < o.inlines; i++) {
        const s = earth.section(i, random);
        const a = seismicAmplitude(s, { peakFrequency: peak, noise, agc: false }, random);
        // White noise relative to the first inline's RMS amplitude, held for the survey so every inline is alike.
        if (i === 0) {
          let ss = 0;
          for (const v of a) ss += v * v;
          noiseScale = noise * 0.15 * Math.sqrt(ss / Math.max(1, a.length));
        }
        // Sections are depth-major (row = sample); SEG-Y traces are crossline-major.
        for (let x = 0; x < nx; x++) {
          for (let z = 0; z < ns; z++) {
            amp[x * ns + z] = a[z * nx + x]! + noiseScale * normal(random);
            const m = s.salt[z * nx + x]!;
            lab[x * ns + z] = m;
            saltSamples += m;
          }
        }
        const traces = seismicSurvey.inlineTraces(i);
        seismic.writeSection(traces, amp);
        salt.writeSection(traces, lab);
        o.onSection?.(i + 1, o.inlines);
      }
      seismic.close();
      salt.close();
      const total = o.inlines * o.crosslines * o.samples;
      const result: VolumeSynthResult = {
        ...paths, bytes: 3600 + seismic.traceCount * seismic.traceBytes, traces: seismic.traceCount, samples: ns,
        saltSamples, saltFraction: saltSamples / total, bodies: earth.bodies.map((b) => ({ kind: b.kind, top: Math.round(b.top) })), peakFrequencyHz,
      };
      writeFileAtomic(join(tmp, 'synth.json'), JSON.stringify({ seed: o.seed, inlines: o.inlines, crosslines: o.crosslines, sampleIntervalUs: dt, firstInline, firstCrossline, ...result, seismic: 'seismic.sgy', salt: 'salt.sgy' }, null, 2) + '\n');
      return result;
    } catch (e) {
      seismic?.abort();
      salt?.abort();
      throw e;
    }
  });
}
