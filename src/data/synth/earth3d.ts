// A 3-D earth model for synthetic surveys: the 2-D model's layered sediments (same layer stack),
// folded and dipping in two directions, cut by dipping fault planes, and pierced by 3-D salt bodies
// (domes and mushroom diapirs) against whose flanks the sediments are dragged up. Every inline is
// computed on its own from the model's parameters, so a survey of any size is built in bounded memory.
import { layerStack, normal, SALT_IMPEDANCE, type Section } from './earth.js';

export type SaltKind3D = 'dome' | 'diapir';

/** One salt body; horizontal positions and sizes are fractions of the survey (inline, crossline). */
export interface SaltBody {
  kind: SaltKind3D;
  /** Axis position at its top (fractions of the inline and crossline extents). */
  cu: number;
  cv: number;
  /** Top of salt, samples. */
  top: number;
  /** Drift of the axis per sample of depth (fractions of the extents). */
  leanU: number;
  leanV: number;
  /** Horizontal stretch along inline and crossline. */
  su: number;
  sv: number;
  /** Uplift of sediments at the flank, samples, decaying over `dragLength` (fraction) away from it. */
  drag: number;
  dragLength: number;
  /** Radius (fraction) at each depth sample: 0 above the top. */
  radius: Float32Array;
  /** Rugosity of the outline: radius += a × sin(m × azimuth + z / len + p). */
  rough: { a: number; m: number; len: number; p: number }[];
}

interface Fault3D { u0: number; v0: number; cos: number; sin: number; tan: number; throw: number }

export interface Earth3D {
  inlines: number;
  crosslines: number;
  samples: number;
  bodies: SaltBody[];
  /** Inline `i` (0-based index) as a section: depth = samples, width = crosslines. Draws the salt interior's chaos from `random`. */
  section(i: number, random: () => number): Section;
}

/**
 * Draws a 3-D model of `inlines` × `crosslines` × `samples` (time or depth samples) from `random`,
 * with `saltBodies` salt bodies (default 1 to 3). Deterministic in the generator's state.
 */
export function buildEarth3D(inlines: number, crosslines: number, samples: number, random: () => number, saltBodies?: number): Earth3D {
  const depth = samples;
  const u = (lo: number, hi: number) => lo + (hi - lo) * random();
  const { layers, tops, imp } = layerStack(depth, random);
  // Structure in samples at survey position (fu, fv) in [0, 1]^2: dips along both axes and 2-D folds.
  const dipU = u(-0.12, 0.12) * depth, dipV = u(-0.12, 0.12) * depth;
  const folds = Array.from({ length: 3 }, () => {
    const a = u(0, 2 * Math.PI);
    const len = u(0.3, 2);
    return { amp: u(0, depth * 0.05), ku: (2 * Math.PI * Math.cos(a)) / len, kv: (2 * Math.PI * Math.sin(a)) / len, phase: u(0, 2 * Math.PI) };
  });
  const faults: Fault3D[] = Array.from({ length: Math.floor(u(1, 4)) }, () => {
    const a = u(0, 2 * Math.PI);
    return { u0: u(0.1, 0.9), v0: u(0.1, 0.9), cos: Math.cos(a), sin: Math.sin(a), tan: u(-0.4, 0.4), throw: u(-0.045, 0.045) * depth };
  });
  const seaFloor = random() < 0.25 ? { z: u(0.05, 0.2) * depth, su: u(-0.05, 0.05) * depth, sv: u(-0.05, 0.05) * depth } : undefined;

  const count = saltBodies ?? 1 + Math.floor(random() * 3);
  const bodies: SaltBody[] = [];
  for (let b = 0; b < count; b++) {
    const kind: SaltKind3D = random() < 0.5 ? 'dome' : 'diapir';
    const top = kind === 'dome' ? u(0.2, 0.6) * depth : u(0.12, 0.5) * depth;
    const radius = new Float32Array(depth);
    if (kind === 'dome') {
      // A parabolic crest widening to near-vertical flanks that flare slightly with depth.
      const rmax = u(0.12, 0.28), crest = u(0.12, 0.35) * depth;
      for (let z = Math.ceil(top); z < depth; z++) radius[z] = rmax * Math.min(1, Math.sqrt((z - top) / crest)) * (1 + 0.3 * (z - top) / depth);
    } else {
      // A stem rising from the base into a bulb (the mushroom head), wider than the stem.
      const stem = u(0.04, 0.08), bulb = stem * u(1.6, 3), bulbDepth = u(0.08, 0.2) * depth;
      for (let z = Math.ceil(top); z < depth; z++) {
        const c = (z - top - bulbDepth / 2) / (bulbDepth / 2);
        const head = bulb * Math.sqrt(Math.max(0, 1 - c * c));
        radius[z] = c < 0 ? head : Math.max(head, stem * (1 + 0.5 * (z - top) / depth));
      }
    }
    bodies.push({
      kind, top, radius,
      cu: u(0.25, 0.75), cv: u(0.25, 0.75),
      leanU: u(-0.15, 0.15) / depth, leanV: u(-0.15, 0.15) / depth,
      su: u(0.75, 1.3), sv: u(0.75, 1.3),
      drag: u(0.04, 0.12) * depth, dragLength: u(0.04, 0.1),
      rough: Array.from({ length: 4 }, () => ({ a: u(0, 0.012), m: 1 + Math.floor(random() * 5), len: u(6, 40), p: u(0, 2 * Math.PI) })),
    });
  }

  /** Where (fu, fv, z) sits relative to body b: distance outside its outline (fraction; < 0 inside). */
  const outside = (b: SaltBody, fu: number, fv: number, z: number): number => {
    const r0 = b.radius[z]!;
    const du = (fu - b.cu - b.leanU * (z - b.top)) / b.su, dv = (fv - b.cv - b.leanV * (z - b.top)) / b.sv;
    const r = Math.hypot(du, dv);
    if (r0 <= 0) return r;
    if (r > r0 + 0.05) return r - r0; // rugosity is at most 0.048: no need for the azimuth
    const az = Math.atan2(dv, du);
    let rr = r0;
    for (const t of b.rough) rr += t.a * Math.sin(t.m * az + z / t.len + t.p);
    return r - Math.max(0, rr);
  };

  const section = (i: number, random: () => number): Section => {
    const width = crosslines;
    const impedance = new Float32Array(depth * width);
    const salt = new Uint8Array(depth * width);
    const fu = inlines > 1 ? i / (inlines - 1) : 0.5;
    for (let x = 0; x < width; x++) {
      const fv = crosslines > 1 ? x / (crosslines - 1) : 0.5;
      const structural = dipU * fu + dipV * fv + folds.reduce((s, f) => s + f.amp * Math.sin(f.ku * fu + f.kv * fv + f.phase), 0);
      const floor = seaFloor ? seaFloor.z + seaFloor.su * fu + seaFloor.sv * fv : -1;
      for (let z = 0; z < depth; z++) {
        const k0 = z * width + x;
        if (z < floor) { impedance[k0] = 1.5; continue; }
        let inSalt = false;
        let uplift = 0;
        for (const b of bodies) {
          const e = outside(b, fu, fv, z);
          if (e < 0 && b.radius[z]! > 0) { inSalt = true; break; }
          // Drag: sediments bend up against the flank, and arch over the crest fading upward.
          const fade = z < b.top ? Math.exp(-(b.top - z) / (0.15 * depth)) : 1;
          uplift += b.drag * Math.exp(-Math.max(0, e) / b.dragLength) * fade;
        }
        if (inSalt) {
          salt[k0] = 1;
          // Salt is fast and nearly uniform: a weak, chaotic interior under a strong top reflection.
          impedance[k0] = SALT_IMPEDANCE + 0.03 * normal(random);
          continue;
        }
        let zz = z - structural + uplift;
        for (const f of faults) if ((fu - f.u0) * f.cos + (fv - f.v0) * f.sin > (z / depth) * f.tan) zz -= f.throw;
        // The layer holding zz: binary search over the tops.
        let lo = 0, hi = layers - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (tops[mid]! <= zz) lo = mid;
          else hi = mid - 1;
        }
        impedance[k0] = imp[lo]! + 0.08 * Math.sin(x / 17 + i / 23 + lo);
      }
    }
    return { depth, width, impedance, salt };
  };

  return { inlines, crosslines, samples, bodies, section };
}
