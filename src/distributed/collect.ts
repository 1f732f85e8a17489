// Collectives built from the process group's allreduce and broadcast for work spread over ranks
// (validation, cv folds, predict's tiles): contiguous shards, exact sums of numbers, and a gather of
// each rank's bytes to one rank (the binding has no gather; ranks on other machines share no files).
import { fromArray } from '../torch/creation.js';
import type { ProcessGroup } from './process-group.js';

/** The contiguous block [lo, hi) of n items that rank `rank` of `world` takes (sizes differ by at most one). */
export function shardRange(n: number, rank: number, world: number): [number, number] {
  return [Math.floor((rank * n) / world), Math.floor(((rank + 1) * n) / world)];
}

/**
 * Reduces numbers across the group as one float64 tensor (exact for counts and for sums of the
 * competition score, whose per-tile values are tenths).
 */
export async function allreduceNumbers(group: ProcessGroup, values: readonly number[], op: 'sum' | 'max' = 'sum'): Promise<number[]> {
  const t = fromArray(Float64Array.from(values), [values.length]);
  try {
    await group.allreduce([t], op);
    return Array.from(t.toArray() as Float64Array);
  } finally {
    t.dispose();
  }
}

/**
 * Every rank's `mine` at rank `root`, in rank order; null on the other ranks. One broadcast per rank
 * (its length as float64, then its bytes as uint8), so every rank must call it with its own bytes,
 * and memory at any rank is its own bytes plus one other rank's at a time (besides root's result).
 * @throws the errors of ProcessGroup.broadcast (a lost peer, the timeout).
 */
export async function gatherBytes(group: ProcessGroup, mine: Uint8Array, root = 0): Promise<Uint8Array[] | null> {
  const out: Uint8Array[] = [];
  for (let r = 0; r < group.worldSize; r++) {
    const head = fromArray(Float64Array.from([r === group.rank ? mine.length : 0]), [1]);
    let n: number;
    try {
      await group.broadcast([head], r);
      n = (head.toArray() as Float64Array)[0]!;
    } finally {
      head.dispose();
    }
    let got = r === group.rank ? mine : new Uint8Array(n);
    if (n > 0) {
      const t = fromArray(got, [n]); // a copy, which receivers' broadcast overwrites
      try {
        await group.broadcast([t], r);
        if (r !== group.rank && group.rank === root) got = (t.toArray() as Uint8Array).slice();
      } finally {
        t.dispose();
      }
    }
    if (group.rank === root) out.push(got);
  }
  return group.rank === root ? out : null;
}

type Part = Float32Array | Uint8Array;

/**
 * A JSON value and typed arrays as one byte string: [uint32 LE JSON length][JSON, UTF-8, padded to 4
 * bytes][each array's bytes, native order]. unpackParts reads it back on a machine of the same byte
 * order (all Node targets are little-endian).
 */
export function packParts(meta: unknown, parts: readonly Part[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ meta, parts: parts.map((p) => [p instanceof Float32Array ? 'f32' : 'u8', p.length]) }));
  const head = 4 + Math.ceil(json.length / 4) * 4;
  const out = new Uint8Array(head + parts.reduce((a, p) => a + p.byteLength, 0));
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  let off = head;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), off);
    off += p.byteLength;
  }
  return out;
}

/** packParts' inverse: the JSON value and the arrays (copies). Throws RangeError for truncated bytes. */
export function unpackParts<M>(bytes: Uint8Array): { meta: M; parts: Part[] } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length >= 4 ? dv.getUint32(0, true) : Number.POSITIVE_INFINITY;
  if (4 + len > bytes.length) throw new RangeError(`packed parts: ${bytes.length} bytes end inside the ${len}-byte JSON header`);
  const { meta, parts } = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + len))) as { meta: M; parts: ['f32' | 'u8', number][] };
  let off = 4 + Math.ceil(len / 4) * 4;
  const out = parts.map(([kind, n]) => {
    const size = kind === 'f32' ? n * 4 : n;
    if (off + size > bytes.length) throw new RangeError(`packed parts: ${bytes.length} bytes end inside a ${kind} array of ${n} at byte ${off}`);
    const b = bytes.slice(off, off + size);
    off += size;
    return kind === 'f32' ? new Float32Array(b.buffer) : b;
  });
  return { meta, parts: out };
}
