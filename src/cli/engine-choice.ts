// `--engine auto`: which engine runs an ensemble faster on this machine, libtorch (halite's own path) or
// onnxruntime-node, timed once on a batch of the size predict runs and remembered per CPU, thread count,
// ensemble, batch size and TTA, as cuDNN's benchmark mode remembers its fastest algorithm per shape.
// Which is faster differs between machines: onnxruntime led on an AVX2 machine, libtorch on an AVX-512 one.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { predictEnsemble, type Member } from '../infer/ensemble.js';
import type { PredictOptions } from '../infer/predict.js';
import { writeFileAtomic } from '../io/atomic.js';
import { makeFolders } from '../io/folders.js';
import { buildInfo, getNumThreads } from '../torch/runtime.js';

export type EngineName = 'libtorch' | 'onnxruntime';

/** What predict passes through either engine: a batch of tiles in, probabilities out. */
export interface TileEngine {
  tiles(images: Float32Array, o: PredictOptions): Promise<{ probs: Float32Array; salt: Float32Array | null }>;
}

export interface EngineChoice {
  engine: EngineName;
  /** Tiles per second of each engine on the timed batch (TTA passes included). */
  libtorch_tiles_s: number;
  onnxruntime_tiles_s: number;
  /** Read from the cache file rather than timed in this process. */
  cached: boolean;
  /** ISO time of the measurement. */
  measured: string;
  /** Why the choice could not be remembered (the cache file could not be written), if so. */
  unsaved?: string;
  /** Why the cache file was unreadable (it is replaced), if so. */
  replaced?: string;
}

/** `$XDG_CACHE_HOME/halite/engines.json` (default ~/.cache): the measured choices, one per key. */
export function engineCacheFile(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'halite', 'engines.json');
}

/** The CPU's model name from /proc/cpuinfo ('' where there is none). */
function cpuModel(): string {
  const info = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  return /^model name\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? '';
}

/** What decides which engine is faster: the machine, the libraries, the networks and the batch. */
export function engineKey(members: Member[], o: PredictOptions, onnxruntime: string): string {
  return JSON.stringify({
    cpu: cpuModel(), threads: getNumThreads(), libtorch: buildInfo().version, onnxruntime,
    models: members.map((m) => [m.run.config.model, m.run.config.modelOptions ?? {}]), batch: o.batchSize ?? 64, tta: o.tta !== false,
  });
}

/** The cached choices: {} when the file is missing, and when it is not a JSON object (`broken` says why; it is then rewritten). */
function readCache(file: string): { entries: Record<string, EngineChoice>; broken?: string } {
  if (!existsSync(file)) return { entries: {} };
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return { entries: v as Record<string, EngineChoice> };
  } catch (e) {
    return { entries: {}, broken: (e as Error).message };
  }
}

/**
 * Picks the faster engine for `members` with options `o` (batch size, TTA): the cached choice for this
 * key, or else one batch of `o.batchSize` fixed tiles through each engine (a warm-up pass each, then
 * three timed passes each, alternating, each engine credited with its best) and the result saved
 * (written whole to a temporary file, then renamed; where it cannot be written, `unsaved` says why). `members` must be loaded fused (loadMembers'
 * default): the libtorch side times the path predict runs. `onnx` runs the same members in onnxruntime.
 * A cache file that is not a JSON object is measured over and replaced (`replaced` says why).
 */
export async function chooseEngine(members: Member[], o: PredictOptions, onnx: TileEngine, onnxruntime: string, file = engineCacheFile()): Promise<EngineChoice> {
  const key = engineKey(members, o, onnxruntime);
  const cache = readCache(file);
  const hit = cache.entries[key];
  if (hit) return { ...hit, cached: true };
  const n = o.batchSize ?? 64, px = 101 * 101;
  // A fixed pattern of grey levels in [0, 1], not drawn from the seeded generator.
  const tiles = Float32Array.from({ length: n * px }, (_, i) => { const v = Math.sin(i * 12.9898) * 43758.5453; return v - Math.floor(v); });
  const sides: Record<EngineName, () => Promise<unknown>> = {
    libtorch: async () => predictEnsemble(members, tiles, o),
    onnxruntime: () => onnx.tiles(tiles, o),
  };
  const best: Record<EngineName, number> = { libtorch: Infinity, onnxruntime: Infinity };
  for (const side of ['libtorch', 'onnxruntime'] as const) await sides[side]();
  for (let round = 0; round < 3; round++) {
    for (const side of round % 2 ? (['onnxruntime', 'libtorch'] as const) : (['libtorch', 'onnxruntime'] as const)) {
      const t = performance.now();
      await sides[side]();
      best[side] = Math.min(best[side], (performance.now() - t) / 1000);
    }
  }
  const choice: EngineChoice = {
    engine: best.onnxruntime < best.libtorch ? 'onnxruntime' : 'libtorch',
    libtorch_tiles_s: n / best.libtorch, onnxruntime_tiles_s: n / best.onnxruntime, cached: false, measured: new Date().toISOString(),
    ...(cache.broken ? { replaced: cache.broken } : {}),
  };
  try {
    makeFolders(dirname(file));
    const saved = { ...choice, cached: undefined, replaced: undefined };
    writeFileAtomic(file, JSON.stringify({ ...readCache(file).entries, [key]: saved }, null, 1) + '\n');
  } catch (e) {
    // An unwritable cache costs a measurement next time, not this prediction.
    choice.unsaved = (e as Error).message;
  }
  return choice;
}

/** The line predict prints for an `auto` choice. */
export function describeChoice(c: EngineChoice, file: string): string {
  const other: EngineName = c.engine === 'libtorch' ? 'onnxruntime' : 'libtorch';
  const rate = (e: EngineName) => (e === 'libtorch' ? c.libtorch_tiles_s : c.onnxruntime_tiles_s).toFixed(1);
  const where = c.cached ? `measured ${c.measured.slice(0, 10)}, remembered in ${file}`
    : c.unsaved ? `measured now; not remembered, ${file} could not be written: ${c.unsaved}`
      : `measured now; remembered in ${file}${c.replaced ? `, which replaces an unreadable one (${c.replaced})` : ''}`;
  return `engine auto: ${c.engine}, ${rate(c.engine)} tiles/s against ${rate(other)} for ${other} on this machine (${where}; --engine ${other} to use the other)`;
}
