// From impedance to a seismic image: normal-incidence reflectivity, convolution with a Ricker
// wavelet along depth (libtorch's conv2d), band-limited and white noise, then 8-bit amplitudes.
import { F, fromArray, tidy } from '../../torch/index.js';
import { normal, type Section } from './earth.js';

/** Ricker wavelet with peak frequency f (cycles per sample), `half` samples each side. */
export function ricker(f: number, half: number): Float32Array {
  return Float32Array.from({ length: 2 * half + 1 }, (_, i) => {
    const a = (Math.PI * f * (i - half)) ** 2;
    return (1 - 2 * a) * Math.exp(-a);
  });
}

/** Reflection coefficients (I[z+1] - I[z]) / (I[z+1] + I[z]) at each depth sample. */
export function reflectivity(s: Section): Float32Array {
  const r = new Float32Array(s.depth * s.width);
  for (let z = 0; z + 1 < s.depth; z++) {
    for (let x = 0; x < s.width; x++) {
      const a = s.impedance[z * s.width + x]!, b = s.impedance[(z + 1) * s.width + x]!;
      r[z * s.width + x] = (b - a) / (b + a);
    }
  }
  return r;
}

export interface SeismicOptions { peakFrequency: number; noise: number; gain: number }

/** The section's seismic image as 0..255 grey values (zero amplitude at mid-grey). */
export function seismicImage(s: Section, o: SeismicOptions, random: () => number): Uint8Array {
  const r = reflectivity(s);
  // Band-limited noise goes through the same wavelet as the signal; white noise is added after.
  for (let i = 0; i < r.length; i++) r[i]! += o.noise * 0.006 * normal(random);
  const half = Math.ceil(1.5 / o.peakFrequency);
  const amp = tidy(() => {
    const x = fromArray(r, [1, 1, s.depth, s.width]);
    const w = fromArray(ricker(o.peakFrequency, half), [1, 1, 2 * half + 1, 1]);
    return F.conv2d(x, w, null, { padding: [half, 0] }).toArray() as Float32Array;
  });
  let ss = 0;
  for (const v of amp) ss += v * v;
  const rms = Math.sqrt(ss / amp.length) || 1;
  const out = new Uint8Array(amp.length);
  for (let i = 0; i < amp.length; i++) {
    const v = amp[i]! / rms + o.noise * 0.08 * normal(random);
    out[i] = Math.max(0, Math.min(255, Math.round(127.5 + 127.5 * Math.tanh((o.gain * v) / 2.5))));
  }
  return out;
}
