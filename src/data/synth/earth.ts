// A 2-D earth model: layered sediments with folds, dips and faults, cut by salt bodies (domes,
// sheets, diapirs). Returns acoustic impedance and the salt mask on a depth x width grid.

export interface Section {
  depth: number;
  width: number;
  /** depth x width, row-major (row = depth sample). */
  impedance: Float32Array;
  salt: Uint8Array;
}

export type SaltKind = 'dome' | 'sheet' | 'diapir';

/** Gaussian draws from a uniform generator (Box–Muller). */
export function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12), v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export const SALT_IMPEDANCE = 9.5; // km/s * g/cc: salt is fast and uniform, sediments slower and varied

interface Fault { x0: number; tan: number; throw: number }

/**
 * The sediment column: `layers` layers with tops (in samples, from 0.3 × depth above the section, so
 * structure can lift deeper layers into view) and impedances drifting upward with depth (km/s × g/cc).
 */
export function layerStack(depth: number, random: () => number): { layers: number; tops: Float32Array; imp: number[] } {
  const u = (lo: number, hi: number) => lo + (hi - lo) * random();
  const layers = Math.round(u(15, 55));
  const thickness = Array.from({ length: layers }, () => u(3, 2.2 * depth / layers));
  const imp = [u(4.5, 5.5)];
  for (let k = 1; k <= layers; k++) imp.push(Math.min(8.5, Math.max(3.5, imp[k - 1]! + 0.12 * k / layers + normal(random) * 0.35)));
  const tops = new Float32Array(layers);
  let acc = -depth * 0.3;
  thickness.forEach((t, k) => { tops[k] = acc; acc += t; });
  return { layers, tops, imp };
}

export function buildSection(depth: number, width: number, random: () => number, saltBodies: number): Section {
  const u = (lo: number, hi: number) => lo + (hi - lo) * random();

  // Layer interfaces: depth of interface k at column x, with a regional dip and a few folds.
  const { layers, tops, imp } = layerStack(depth, random);
  const dip = u(-0.25, 0.25);
  const folds = Array.from({ length: 3 }, () => ({ amp: u(0, depth * 0.06), len: u(width * 0.3, width * 2), phase: u(0, 2 * Math.PI) }));
  const faults: Fault[] = Array.from({ length: Math.floor(u(0, 4)) }, () => ({ x0: u(0, width), tan: u(-0.6, 0.6), throw: u(-18, 18) }));

  const impedance = new Float32Array(depth * width);
  for (let x = 0; x < width; x++) {
    const structural = dip * x + folds.reduce((s, f) => s + f.amp * Math.sin((2 * Math.PI * x) / f.len + f.phase), 0);
    for (let z = 0; z < depth; z++) {
      // Normal faults: the block on one side of the plane is displaced by the throw.
      let zz = z - structural;
      for (const f of faults) if (x > f.x0 + z * f.tan) zz -= f.throw;
      // Layers thin with depth a little (compaction) and vary laterally in thickness.
      let k = 0;
      while (k < layers - 1 && tops[k + 1]! <= zz) k++;
      impedance[z * width + x] = imp[k]! + 0.08 * Math.sin(x / 17 + k);
    }
  }

  // Some sections start in the water column: a flat sea floor above which nothing reflects.
  if (random() < 0.25) {
    const floor = u(depth * 0.1, depth * 0.5), slope = u(-0.05, 0.05);
    for (let x = 0; x < width; x++) {
      for (let z = 0; z < Math.min(depth, floor + slope * x); z++) impedance[z * width + x] = 1.5;
    }
  }

  const salt = new Uint8Array(depth * width);
  for (let b = 0; b < saltBodies; b++) paintSalt(salt, depth, width, random, (['dome', 'sheet', 'diapir'] as SaltKind[])[Math.floor(random() * 3)]!);
  for (let i = 0; i < salt.length; i++) if (salt[i]) impedance[i] = SALT_IMPEDANCE + 0.03 * normal(random);
  return { depth, width, impedance, salt };
}

/** Draws one salt body into the mask, with a rugose (noisy) outline. */
function paintSalt(salt: Uint8Array, depth: number, width: number, random: () => number, kind: SaltKind): void {
  const u = (lo: number, hi: number) => lo + (hi - lo) * random();
  const rugosity = Array.from({ length: 4 }, () => ({ a: u(0, 4), len: u(6, 40), p: u(0, 6.3) }));
  const rough = (x: number) => rugosity.reduce((s, r) => s + r.a * Math.sin(x / r.len + r.p), 0);
  const xc = u(0, width);
  if (kind === 'dome') {
    // A broad dome: top is a flattened parabola, the body extends to the section's base.
    const apex = u(depth * 0.15, depth * 0.75), half = u(width * 0.12, width * 0.4), curv = u(0.6, 2.5);
    for (let x = 0; x < width; x++) {
      const d = Math.abs(x - xc) / half;
      if (d >= 1) continue;
      const top = apex + curv * depth * 0.25 * d * d + rough(x);
      for (let z = Math.max(0, Math.floor(top)); z < depth; z++) salt[z * width + x] = 1;
    }
  } else if (kind === 'sheet') {
    // An allochthonous sheet: a lens with a top and a base, thinning to its edges.
    const mid = u(depth * 0.2, depth * 0.85), half = u(width * 0.15, width * 0.5), thick = u(12, depth * 0.35);
    const tilt = u(-0.15, 0.15);
    for (let x = 0; x < width; x++) {
      const d = Math.abs(x - xc) / half;
      if (d >= 1) continue;
      const t = thick * Math.sqrt(1 - d * d);
      const c = mid + tilt * (x - xc);
      for (let z = Math.max(0, Math.floor(c - t / 2 + rough(x))); z < Math.min(depth, c + t / 2 - rough(x + 50)); z++) salt[z * width + x] = 1;
    }
  } else {
    // A diapir: a narrow stem rising from depth into a bulb (mushroom head).
    const top = u(depth * 0.1, depth * 0.6), stem = u(width * 0.03, width * 0.1), bulb = u(stem * 1.5, stem * 4);
    const bulbDepth = u(15, 60);
    for (let z = Math.max(0, Math.floor(top)); z < depth; z++) {
      const inBulb = z < top + bulbDepth;
      const r = inBulb ? bulb * Math.sqrt(Math.max(0, 1 - ((z - top - bulbDepth / 2) / (bulbDepth / 2)) ** 2)) : stem * (1 + (z - top) / depth);
      const lean = (z - top) * 0.2;
      for (let x = Math.max(0, Math.floor(xc + lean - r + rough(z))); x < Math.min(width, xc + lean + r + rough(z + 99)); x++) salt[z * width + x] = 1;
    }
  }
}
