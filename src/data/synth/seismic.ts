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

export interface AmplitudeOptions {
  /** Ricker peak frequency, cycles per sample. */
  peakFrequency: number;
  /** Noise level (0 none, 1 strong); here the band-limited part, added to reflectivity before the wavelet. */
  noise: number;
  /** Divide by the RMS amplitude in a 41-sample window (default true, as for the 2D tiles). */
  agc?: boolean;
}

/**
 * The section's seismic amplitudes, depth x width row-major like the section: reflectivity plus
 * band-limited noise, convolved with a Ricker wavelet along depth, then (with `agc`) divided by the
 * local RMS amplitude. Without AGC the values are reflection coefficients times the wavelet (peak 1).
 */
export function seismicAmplitude(s: Section, o: AmplitudeOptions, random: () => number): Float32Array {
  const r = reflectivity(s);
  // Band-limited noise goes through the same wavelet as the signal; white noise is added after.
  for (let i = 0; i < r.length; i++) r[i]! += o.noise * 0.006 * normal(random);
  const half = Math.ceil(1.5 / o.peakFrequency);
  // Automatic gain control, as processed sections have: divide by the RMS amplitude in a moving
  // window, so faint and strong parts of the section share one range (the floor keeps the water
  // column quiet instead of amplifying its noise).
  return tidy(() => {
    const x = fromArray(r, [1, 1, s.depth, s.width]);
    const w = fromArray(ricker(o.peakFrequency, half), [1, 1, 2 * half + 1, 1]);
    const a = F.conv2d(x, w, null, { padding: [half, 0] });
    if (o.agc === false) return a.toArray() as Float32Array;
    const power = F.avgPool2d(a.mul(a), 41, { stride: 1, padding: 20, countIncludePad: false });
    const floor = a.mul(a).mean().mul(0.05);
    return a.div(power.maximum(floor.expand(power.shape)).sqrt()).toArray() as Float32Array;
  });
}

/** The section's seismic image as 0..255 grey values (zero amplitude at mid-grey). */
export function seismicImage(s: Section, o: SeismicOptions, random: () => number): Uint8Array {
  const amp = seismicAmplitude(s, { peakFrequency: o.peakFrequency, noise: o.noise }, random);
  const out = new Uint8Array(amp.length);
  const offset = 0.47 + 0.03 * normal(random);
  for (let i = 0; i < amp.length; i++) {
    const v = amp[i]! + o.noise * 0.15 * normal(random);
    out[i] = Math.max(0, Math.min(255, Math.round(255 * (offset + 0.15 * o.gain * v))));
  }
  return out;
}
