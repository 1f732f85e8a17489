// Starts a worker thread from a sibling module, in TypeScript sources (through tsx) or compiled JS.
import { Worker } from 'node:worker_threads';

export function startWorker(name: string, data: unknown): Worker {
  const isTs = import.meta.url.endsWith('.ts');
  const file = new URL(`./${name}.${isTs ? 'ts' : 'js'}`, import.meta.url);
  // From TypeScript sources a worker first registers tsx's loader, then imports the module.
  const url = isTs
    ? new URL(`data:text/javascript,${encodeURIComponent(
      `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(file.href)});`)}`)
    : file;
  return new Worker(url, { workerData: data });
}
