// Starts a worker thread from a sibling module, in TypeScript sources (through tsx) or compiled JS.
import { Worker } from 'node:worker_threads';

/** Starts module `name` beside `base` (the caller's import.meta.url; by default this folder). */
export function startWorker(name: string, data: unknown, base = import.meta.url): Worker {
  const isTs = base.endsWith('.ts');
  const file = new URL(`./${name}.${isTs ? 'ts' : 'js'}`, base);
  // From TypeScript sources a worker first registers tsx's loader, then imports the module.
  const url = isTs
    ? new URL(`data:text/javascript,${encodeURIComponent(
      `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(file.href)});`)}`)
    : file;
  return new Worker(url, { workerData: data });
}
