// `halite serve`: a local web app over Fastify. Pages are one shell each, filled in by the browser
// bundle (web/, built in memory by esbuild); data comes from a JSON API, live training from
// server-sent events, and model work from a worker thread so the server keeps answering.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import multipart from '@fastify/multipart';
import { build } from 'esbuild';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Summary } from '../data/explore.js';
import { PIXELS } from '../data/rle.js';
import { dataSource, type DataSource } from '../data/source.js';
import { readTgs, type TgsData } from '../data/tgs.js';
import { exploreFigures, overlayPng, type Figure } from '../report/explore-figures.js';
import { readRunConfig } from '../run/config.js';
import { runHas, runPath } from '../run/layout.js';
import { runVersion } from '../infer/run.js';
import { watchRun } from './events.js';
import { Predictor } from './predictor.js';
import { decodeUpload, UploadError } from './upload.js';
import { inside, listRuns, PathError, readRun, runDir } from './runs.js';
import { encodeSection, SurveyShelf, type Direction } from './surveys.js';

export interface ServeOptions {
  runsDir: string;
  /** The TGS layout folder for Explore; by default the newest run's data. */
  dataDir?: string;
  host?: string;
  port?: number;
  /** Upload cap in bytes. */
  maxUploadBytes?: number;
  threads?: number;
  logger?: boolean;
  /** Folder of predicted surveys for the Surveys viewer (src/serve/surveys.ts: X.sgy + X.salt.sgy, or survey.json). */
  surveysDir?: string;
}

export const DEFAULT_MAX_UPLOAD = 8 * 1024 * 1024;
const PAGES = { runs: 'Runs', run: 'Run', explore: 'Explore', predictions: 'Predictions', try: 'Try it', survey: 'Surveys' } as const;
const webDir = fileURLToPath(new URL('../../web/', import.meta.url));
/** Where figure names are resolved, for the ../ check only: the figures themselves live in memory. */
const FIGURES = resolve('/explore-figures');

const escHtml = (t: string) => t.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function shell(page: keyof typeof PAGES, params: Record<string, string> = {}): string {
  const attrs = Object.entries(params).map(([k, v]) => ` data-${k}="${escHtml(v)}"`).join('');
  const nav = (['runs', 'explore', 'predictions', 'try', 'survey'] as const)
    .map((p) => `<a href="${p === 'runs' ? '/' : `/${p}`}"${p === page ? ' aria-current="page"' : ''}>${PAGES[p]}</a>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>halite · ${PAGES[page]}</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><header><span class="brand">halite</span><nav>${nav}</nav></header>
<main id="app" data-page="${page}"${attrs}><p class="loading muted" role="status">Loading…</p></main><script type="module" src="/assets/app.js"></script></body></html>`;
}

/** A page for a failed page request (unknown run, no such page): the status, the message, and ways on. */
function errorPage(status: number, message: string): string {
  const nav = (['runs', 'explore', 'predictions', 'try', 'survey'] as const).map((p) => `<a href="${p === 'runs' ? '/' : `/${p}`}">${PAGES[p]}</a>`).join('');
  const title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>halite · ${status} ${title}</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><header><span class="brand">halite</span><nav>${nav}</nav></header>
<main id="app" data-page="error"><h1 id="error-title">${status} · ${title}</h1><p class="error" role="alert" id="error-message">${escHtml(message.charAt(0).toUpperCase() + message.slice(1) + (/[.!?]$/.test(message) ? '' : '.'))}</p>
<p><a href="/">See every run →</a></p></main></body></html>`;
}

const size = (n: number) => (n >= 1048576 ? `${+(n / 1048576).toFixed(1)} MiB` : `${+(n / 1024).toFixed(1)} KiB`);
const b64 = (a: ArrayLike<number>) => Buffer.from(Uint8Array.from(a)).toString('base64');
/** Probabilities as bytes (0..255): a quarter of the size, finer than any threshold slider. */
const quantize = (p: Float32Array) => Buffer.from(Uint8Array.from(p, (v) => Math.round(v * 255))).toString('base64');

/** What `halite serve` says at start-up about folders it was given that are not there (it still starts: a run may create them). */
export function startWarnings(runsDir: string, dataDir?: string): string[] {
  const w: string[] = [];
  if (!existsSync(runsDir)) w.push(`warning: --runs ${runsDir} does not exist; the Runs page stays empty until a run is trained into it (halite train --runs ${runsDir})`);
  else if (!statSync(runsDir).isDirectory()) w.push(`warning: --runs ${runsDir} is a file, not a folder of runs`);
  if (dataDir && !existsSync(dataDir)) w.push(`warning: --data ${dataDir} does not exist; Explore will fail until it does (make one with halite synth --out ${dataDir})`);
  return w;
}

export async function createServer(o: ServeOptions): Promise<{ app: FastifyInstance; close: () => Promise<void>; warnings: string[] }> {
  const runsDir = resolve(o.runsDir);
  // Model work reads --data when given, else each run's own data set.
  const dataOverride = o.dataDir ? resolve(o.dataDir) : undefined;
  const predictor = new Predictor(o.threads);
  const app = Fastify({ logger: o.logger ?? false, bodyLimit: 1024 * 1024, forceCloseConnections: true });
  await app.register(multipart, { limits: { fileSize: o.maxUploadBytes ?? DEFAULT_MAX_UPLOAD, files: 1, fields: 4 } });
  const warnings = startWarnings(runsDir, dataOverride);
  if (o.surveysDir && !existsSync(o.surveysDir)) warnings.push(`warning: --surveys ${o.surveysDir} does not exist; the Surveys page stays empty until it holds X.sgy with X.salt.sgy (halite predict --segy X.sgy --out X.salt.sgy)`);
  const shelf = new SurveyShelf(o.surveysDir ? resolve(o.surveysDir) : undefined);

  let bundle: Promise<string> | null = null;
  const appJs = () => (bundle ??= build({
    entryPoints: [join(webDir, 'main.ts')], bundle: true, write: false, format: 'esm', target: 'es2022', minify: true, logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text));

  // Explore's data set: --data, else the newest run's.
  const dataDir = (): string => {
    if (dataOverride) return dataOverride;
    const newest = listRuns(runsDir)[0];
    if (!newest) throw new PathError('no data set: start halite serve with --data DIR');
    return readRunConfig(runDir(runsDir, newest.name)).data;
  };
  // Read, summarized and drawn once, in memory; every Explore request is answered from this.
  let dataset: Promise<{ dir: string; data: TgsData; summary: Summary; figures: Figure[]; tiles: { id: string; coverage: number; class: number; depth: number }[] }> | null = null;
  const data = () => (dataset ??= (async () => {
    const dir = dataDir();
    const d = await readTgs(dir);
    const { summary, coverages, classes, figures } = await exploreFigures(d);
    const tiles = d.train.ids.map((id, i) => ({ id, coverage: coverages[i]!, class: classes[i]!, depth: d.train.depths[i]! }));
    return { dir, data: d, summary, figures, tiles };
  })().catch((e) => { dataset = null; throw e; }));

  // Validation predictions per run, recomputed when the run's best weights or tuning change.
  const validations = new Map<string, { key: string; result: Promise<string> }>();
  const validation = (dir: string): Promise<string> => {
    const key = runVersion(dir);
    const hit = validations.get(dir);
    if (hit && hit.key === key) return hit.result;
    const result = predictor.request({ kind: 'validation', run: dir, data: dataOverride }).then((r) => JSON.stringify({
      ids: r.ids, ...r.post, size: 101, images: quantize(r.images), truths: b64(r.masks), probs: quantize(r.probs), salt: r.salt ? Array.from(r.salt) : null,
    }));
    result.catch(() => validations.delete(dir));
    validations.set(dir, { key, result });
    return result;
  };

  // The API answers errors as JSON; a page (anything else) as an HTML page a person can read.
  const isApi = (url: string) => url.startsWith('/api/') || url.startsWith('/assets/');
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err instanceof PathError || err instanceof UploadError ? err.statusCode : err.statusCode ?? 500;
    if (isApi(req.url)) reply.code(status).send({ error: err.message });
    else reply.code(status).type('text/html; charset=utf-8').send(errorPage(status, err.message));
  });
  app.setNotFoundHandler((req, reply) => {
    const message = `no page at ${req.url.split('?')[0]}`;
    if (isApi(req.url)) reply.code(404).send({ error: message });
    else reply.code(404).type('text/html; charset=utf-8').send(errorPage(404, message));
  });

  const html = (reply: FastifyReply, page: keyof typeof PAGES, params?: Record<string, string>) => reply.type('text/html; charset=utf-8').send(shell(page, params));
  app.get('/', (_q, r) => html(r, 'runs'));
  app.get<{ Params: { name: string } }>('/runs/:name', (q, r) => { runDir(runsDir, q.params.name); return html(r, 'run', { run: q.params.name }); });
  app.get('/explore', (_q, r) => html(r, 'explore'));
  app.get('/predictions', (_q, r) => html(r, 'predictions'));
  app.get('/try', (_q, r) => html(r, 'try'));
  app.get('/survey', (_q, r) => html(r, 'survey'));
  app.get('/assets/app.js', async (_q, r) => r.type('text/javascript; charset=utf-8').send(await appJs()));
  app.get('/favicon.ico', (_q, r) => r.code(204).send());
  app.get('/assets/app.css', (_q, r) => r.type('text/css; charset=utf-8').send(readFileSync(join(webDir, 'style.css'))));

  app.get('/api/runs', () => listRuns(runsDir));
  // What the empty states need: the folders this server looks at, and whether they are there.
  app.get('/api/info', () => {
    let data: DataSource | null = null;
    try {
      data = dataSource(dataDir());
    } catch (e) {
      if (!(e instanceof PathError)) throw e; // no runs and no --data: Explore shows what to run
    }
    return { runsDir, runsDirExists: existsSync(runsDir), data, warnings };
  });
  app.get<{ Params: { name: string } }>('/api/runs/:name', (q) => readRun(runsDir, q.params.name));
  app.get<{ Params: { name: string } }>('/api/runs/:name/events', (q, reply) => {
    const dir = runDir(runsDir, q.params.name);
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const stop = watchRun(dir, (e) => reply.raw.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`));
    q.raw.on('close', stop);
  });
  app.get<{ Params: { name: string } }>('/api/runs/:name/report.html', (q, reply) => {
    const p = runPath(runDir(runsDir, q.params.name), 'report');
    if (!existsSync(p)) throw new PathError(`run ${q.params.name} has no report yet`);
    return reply.type('text/html; charset=utf-8').send(readFileSync(p));
  });
  app.post<{ Params: { name: string } }>('/api/runs/:name/report', async (q) => {
    const r = await predictor.request({ kind: 'report', run: runDir(runsDir, q.params.name), data: dataOverride });
    return { path: r.path };
  });
  app.get<{ Params: { name: string } }>('/api/runs/:name/validation', async (q, reply) => {
    const dir = runDir(runsDir, q.params.name);
    if (!runHas(dir, 'best')) throw new PathError(`run ${q.params.name} has no weights yet`);
    return reply.type('application/json').send(await validation(dir));
  });
  app.post<{ Params: { name: string } }>('/api/runs/:name/try', async (q) => {
    const dir = runDir(runsDir, q.params.name);
    const file = await q.file();
    if (!file) throw new UploadError('no file: send a PNG as the multipart field "image"', 400);
    let bytes: Buffer;
    try {
      bytes = await file.toBuffer();
    } catch (e) {
      const err = e as Error & { statusCode?: number };
      if (err.statusCode === 413) throw new UploadError(`${file.filename}: larger than the ${size(o.maxUploadBytes ?? DEFAULT_MAX_UPLOAD)} upload limit`, 413);
      throw e;
    }
    const img = decodeUpload(bytes, file.filename);
    const t0 = performance.now();
    const r = await predictor.request({ kind: 'image', run: dir, width: img.width, height: img.height, pixels: img.pixels });
    // Probabilities as float32 (little-endian), unquantized: the page offers them for download.
    return { width: img.width, height: img.height, ...r.post, salt: r.salt, tiles: r.tiles, seconds: (performance.now() - t0) / 1000, image: quantize(img.pixels),
      probs: Buffer.from(r.probs.buffer, r.probs.byteOffset, r.probs.byteLength).toString('base64') };
  });

  // The run's model as ONNX for onnxruntime-web (Try it in the browser), its post-processing in a header.
  const onnxJobs = new Map<string, Promise<{ path: string; post: unknown }>>();
  app.get<{ Params: { name: string } }>('/api/runs/:name/model.onnx', async (q, reply) => {
    const dir = runDir(runsDir, q.params.name);
    if (!runHas(dir, 'best')) throw new PathError(`run ${q.params.name} has no weights yet`);
    let job = onnxJobs.get(dir);
    if (!job) {
      job = predictor.request({ kind: 'export', run: dir }).finally(() => onnxJobs.delete(dir));
      onnxJobs.set(dir, job);
    }
    const r = await job;
    return reply.type('application/octet-stream').header('x-halite-postprocess', JSON.stringify(r.post)).send(readFileSync(r.path));
  });
  // onnxruntime-web's runtime and WebAssembly, as npm installed them.
  const ortDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
  app.get<{ Params: { file: string } }>('/assets/ort/:file', (q, reply) => {
    const f = q.params.file;
    if (!/^ort[\w.-]*\.(mjs|wasm)$/.test(f) || !existsSync(join(ortDir, f))) throw new PathError(`no onnxruntime-web file ${f}`, 404);
    return reply.type(f.endsWith('.wasm') ? 'application/wasm' : 'text/javascript; charset=utf-8').header('cache-control', 'max-age=86400').send(readFileSync(join(ortDir, f)));
  });

  app.get('/api/surveys', () => shelf.list());
  // One section of amplitude and probability as binary (encodeSection); ?direction=inline|crossline|time&n=NUMBER.
  app.get<{ Params: { name: string }; Querystring: { direction?: string; n?: string } }>('/api/surveys/:name/section', (q, reply) => {
    const s = shelf.get(q.params.name);
    const d = q.query.direction ?? 'inline';
    if (d !== 'inline' && d !== 'crossline' && d !== 'time') throw new PathError(`direction ${JSON.stringify(d)}: use inline, crossline or time`, 400);
    const text = q.query.n ?? '';
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n)) throw new PathError(`n ${JSON.stringify(text)}: give the ${d === 'time' ? 'sample index of the time slice' : `${d} number`} as a whole number`, 400);
    const { meta, amplitude, probability } = s.section(d as Direction, n);
    return reply.type('application/octet-stream').send(encodeSection(meta, amplitude, probability));
  });

  app.get('/api/data', async () => {
    const d = await data();
    return { dir: d.dir, summary: d.summary, figures: d.figures.map((f) => f.name) };
  });
  app.get<{ Querystring: { class?: string; offset?: string; limit?: string } }>('/api/data/tiles', async (q) => {
    const d = await data();
    const cls = q.query.class === undefined || q.query.class === '' ? null : Number(q.query.class);
    const all = cls === null ? d.tiles : d.tiles.filter((t) => t.class === cls);
    const offset = Math.max(0, Number(q.query.offset ?? 0) | 0), limit = Math.min(200, Math.max(1, Number(q.query.limit ?? 48) | 0));
    return { total: all.length, tiles: all.slice(offset, offset + limit) };
  });
  app.get<{ Params: { id: string }; Querystring: { overlay?: string } }>('/api/data/tiles/:id', async (q, reply) => {
    const d = await data();
    const id = q.params.id.replace(/\.png$/, '');
    const i = d.data.train.ids.indexOf(id);
    if (i < 0) throw new PathError(`no training tile ${id} in ${d.dir}`);
    const mask = q.query.overlay === '0' ? null : d.data.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS);
    return reply.type('image/png').send(Buffer.from(overlayPng(d.data.train.images.subarray(i * PIXELS, (i + 1) * PIXELS), mask)));
  });
  app.get<{ Params: { name: string } }>('/api/data/figures/:name', async (q, reply) => {
    const d = await data();
    const name = q.params.name.replace(/\.svg$/, '');
    inside(FIGURES, `${name}.svg`); // a ../ name is refused as such, as if the figures were files
    const figure = d.figures.find((f) => f.name === name);
    if (!figure) throw new PathError(`no figure named ${name}`);
    return reply.type('image/svg+xml').send(Buffer.from(figure.svg));
  });

  return {
    app,
    warnings,
    close: async () => {
      await app.close();
      await predictor.close();
      shelf.close();
    },
  };
}

/** Starts the server; resolves with its address once it listens. */
export async function serve(o: ServeOptions): Promise<{ url: string; close: () => Promise<void>; warnings: string[] }> {
  const s = await createServer(o);
  const address = await s.app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 8080 });
  return { url: address, close: s.close, warnings: s.warnings };
}
