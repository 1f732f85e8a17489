// The server's side of the prediction worker: requests by id, answered as promises.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../data/workers.js';
import type { Postprocess } from '../infer/tune.js';

export type WorkerRequest = { id: number } & (
  | { kind: 'validation'; run: string; data?: string }
  | { kind: 'image'; run: string; width: number; height: number; pixels: Float32Array }
  | { kind: 'report'; run: string; data?: string }
  | { kind: 'export'; run: string });

export type WorkerReply = { id: number } & (
  | { ok: false; error: string }
  | { ok: true; kind: 'validation'; ids: string[]; images: Float32Array; masks: Uint8Array; probs: Float32Array; salt: Float32Array | null; post: Postprocess }
  | { ok: true; kind: 'image'; probs: Float32Array; salt: number | null; post: Postprocess; tiles: number }
  | { ok: true; kind: 'report'; path: string }
  | { ok: true; kind: 'export'; path: string; post: Postprocess });

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type Reply<K> = Extract<WorkerReply, { ok: true; kind: K }>;

export class Predictor {
  private worker: Worker | null = null;
  private next = 1;
  private pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();

  constructor(private readonly threads?: number) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker('predict-worker', { threads: this.threads }, import.meta.url);
    w.on('message', (r: WorkerReply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (r.ok) p?.resolve(r);
      else p?.reject(new Error(r.error));
    });
    w.on('error', (e) => this.failAll(e));
    w.on('exit', (code) => {
      this.worker = null;
      this.failAll(new Error(`the prediction worker exited (code ${code})`));
    });
    return (this.worker = w);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  request<R extends Request>(req: R): Promise<Reply<R['kind']>> {
    const w = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: WorkerReply) => void, reject });
      w.postMessage({ ...req, id });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}
