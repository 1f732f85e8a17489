// The browser's view of the server's JSON API.
export interface RunSummary {
  name: string; status: 'running' | 'finished' | 'failed' | 'stopped' | 'unknown'; detail: string; model: string;
  epochs: number; plannedEpochs: number; bestValMap: number | null; bestEpoch: number | null;
  threshold: number | null; thresholdScore: number | null; seconds: number; started: string; hasReport: boolean;
  /** What it was trained on (src/data/source.ts). */
  data: DataSource;
}
export interface DataSource { path: string; kind: 'synthetic' | 'folder' | 'missing'; text: string }
/** The folders the server reads, for the empty states. */
export interface Info { runsDir: string; runsDirExists: boolean; data: DataSource | null; warnings: string[] }
export interface EpochRecord { epoch: number; phase: number; loss: string; train_loss: number; val_loss: number | null; val_map: number | null; lr: number; seconds: number; best: boolean }
export interface Progress { epoch: number; epochs: number; batch: number; batches: number; loss: number; imagesPerSecond: number; lr: number; time: string }
export interface RunDetail {
  summary: RunSummary; config: Record<string, unknown>; history: EpochRecord[];
  threshold: { threshold: number; score: number; points: { threshold: number; score: number }[] } | null;
}
/** A run's validation tiles: byte probabilities, the salt classifier's probabilities (if it has one) and its tuned post-processing. */
export interface Validation {
  ids: string[]; threshold: number; minArea: number; gate: number | null; size: number; images: string; truths: string; probs: string; salt: number[] | null;
}
/**
 * minArea, gate and salt apply to a 101×101 upload only (salt: the classifier's probability, with a gate).
 * probs: float32 little-endian, width*height, row-major; image: bytes 0..255.
 */
export interface TryResult { width: number; height: number; threshold: number; minArea: number; gate: number | null; salt: number | null; tiles: number; seconds: number; image: string; probs: string }

export async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const r = await fetch(url, init);
  const body = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok) throw new Error((body as { error?: string }).error ?? `${r.status} ${r.statusText}`);
  return body as T;
}

export function bytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
