// halite serve: the API refuses what it must (../ paths, oversized and non-PNG uploads), streams a
// run's epochs live, tiles large uploads, keeps answering while it predicts, and, in headless
// Chromium, renders every page with real numbers.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode } from 'fast-png';
import { writeSynth } from '../src/data/synth/generate.js';
import { cutTiles, stitchTiles, tileOrigins } from '../src/infer/tiling.js';
import { createServer, serve, startWarnings } from '../src/serve/server.js';
import { runStatus } from '../src/run/status.js';
import { resolveConfig } from '../src/run/config.js';
import { train } from '../src/train/trainer.js';
import { launchChromium, noChromium, openPage } from './helpers/browser.js';

const root = mkdtempSync(join(tmpdir(), 'halite-serve-'));
const data = join(root, 'data'), runs = join(root, 'runs');
const artifacts = join(process.cwd(), 'artifacts', 'serve');

const png = (w: number, h: number, seed = 1) => {
  const px = new Uint8Array(w * h);
  let s = seed;
  for (let i = 0; i < px.length; i++) { s = (s * 1103515245 + 12345) & 0x7fffffff; px[i] = (s >> 8) & 255; }
  return Buffer.from(encode({ width: w, height: h, data: px, channels: 1, depth: 8 }));
};
/** A multipart body with one file field, as a browser sends it. */
const multipart = (name: string, bytes: Buffer, type = 'image/png') => {
  const boundary = '----halite' + Math.random().toString(16).slice(2);
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`),
    bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { payload: body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
};

before(async () => {
  writeSynth({ out: data, train: 48, test: 4, seed: 5 });
  const cfg = resolveConfig([{ data, runsDir: runs, name: 'r', model: 'resunet', modelOptions: { startFilters: 4 }, batchSize: 16, valFraction: 0.25,
    seed: 1, threads: 2, phases: [{ loss: 'bce', epochs: 1 }, { loss: { name: 'lovasz', activation: 'elu' }, epochs: 1, lr: 5e-4 }], sweep: { from: 0.3, to: 0.7, steps: 5 } }]);
  await train(cfg, { log: () => {} });
});

test('tiles cover an image and stitch back to it exactly, for larger and smaller images', () => {
  assert.deepEqual(tileOrigins(101), [0]);
  assert.deepEqual(tileOrigins(60), [0]);
  assert.deepEqual(tileOrigins(250), [0, 50, 100, 149]);
  assert.deepEqual(tileOrigins(202), [0, 50, 100, 101]);
  for (const [w, h] of [[250, 180], [60, 70], [101, 101]] as const) {
    const img = Float32Array.from({ length: w * h }, (_, i) => Math.sin(i * 0.37));
    const { tiles, tiling } = cutTiles(img, w, h);
    assert.equal(tiles.length, tileOrigins(w).length * tileOrigins(h).length * 101 * 101);
    if (w < 101) for (const [r, c] of [[80, 65], [10, 100], [100, 3]]) {
      assert.equal(tiles[r * 101 + c], img[Math.min(r, h - 1) * w + Math.min(c, w - 1)], `edge-replicated (${r}, ${c}) of ${w}x${h}`);
    }
    const back = stitchTiles(tiles, tiling);
    for (let i = 0; i < img.length; i++) assert.ok(Math.abs(back[i]! - img[i]!) < 1e-6, `${w}x${h} pixel ${i}`);
  }
});

test('the trainer leaves progress.json and a status; a "running" run whose process is gone has failed', () => {
  const p = JSON.parse(readFileSync(join(runs, 'r', 'progress.json'), 'utf8'));
  assert.equal(p.batch, p.batches);
  assert.equal(p.epochs, 2);
  assert.deepEqual(runStatus(join(runs, 'r')), { status: 'finished', detail: 'finished' });
  const dead = join(runs, 'dead');
  mkdirSync(dead);
  writeFileSync(join(dead, 'status'), 'running 999999999\n');
  assert.equal(runStatus(dead).status, 'failed');
  writeFileSync(join(dead, 'status'), `running ${process.pid}\n`);
  assert.equal(runStatus(dead).status, 'running');
});

test('the API lists runs and refuses ../ paths, oversized uploads and non-PNG uploads with clear messages', async () => {
  const s = await createServer({ runsDir: runs, dataDir: data, maxUploadBytes: 20_000 });
  try {
    const list = (await s.app.inject('/api/runs')).json() as { name: string; status: string; bestValMap: number }[];
    assert.deepEqual(list.map((r) => [r.name, r.status]), [['r', 'finished']]);
    assert.ok(list[0]!.bestValMap >= 0 && list[0]!.bestValMap <= 1);
    assert.equal((await s.app.inject('/api/runs/../../etc/passwd')).statusCode, 404); // normalised to /etc/passwd: no such route
    for (const url of ['/api/runs/..%2F..%2Fetc', '/api/runs/..%2F', '/api/data/figures/..%2F..%2F..%2Fetc%2Fpasswd']) {
      const r = await s.app.inject(url);
      assert.equal(r.statusCode, 403, `${url}: ${r.body}`);
      assert.match(r.json().error, /not a run name|outside the served folder/);
    }
    // A page answers a person: an HTML page with the status and the reason, never raw JSON.
    for (const [url, status, text] of [['/runs/..%2Fdata', 403, 'not a run name'], ['/runs/nope', 404, 'no run named nope'], ['/no-such-page', 404, 'no page at /no-such-page']] as const) {
      const r = await s.app.inject(url);
      assert.equal(r.statusCode, status, url);
      assert.match(String(r.headers['content-type']), /^text\/html/, url);
      assert.ok(r.body.includes(`id="error-title">${status} ·`) && r.body.toLowerCase().includes(text), `${url}: ${r.body}`);
    }
    assert.equal((await s.app.inject('/api/runs/nope')).statusCode, 404);
    assert.match((await s.app.inject('/api/runs/nope')).json().error, /no run named nope/);
    assert.equal((await s.app.inject('/api/nope')).json().error, 'no page at /api/nope');
    // Every run says what it was trained on.
    assert.match((await s.app.inject('/api/runs/r')).json().summary.data.text, /^synthetic seismic \(halite synth, seed 5, 48 training tiles\): /);
    assert.deepEqual(s.warnings, []);
    const missing = join(root, 'no-runs-here');
    assert.deepEqual(startWarnings(missing, join(root, 'no-data-here')).map((w) => w.replaceAll(root, 'ROOT')), [
      'warning: --runs ROOT/no-runs-here does not exist; the Runs page stays empty until a run is trained into it (halite train --runs ROOT/no-runs-here)',
      'warning: --data ROOT/no-data-here does not exist; Explore will fail until it does (make one with halite synth --out ROOT/no-data-here)']);
    assert.equal((await s.app.inject('/api/runs/%2Fetc')).statusCode, 403);

    const big = await s.app.inject({ method: 'POST', url: '/api/runs/r/try', ...multipart('big.png', Buffer.concat([png(101, 101), Buffer.alloc(30_000)])) });
    assert.equal(big.statusCode, 413);
    assert.match(big.json().error, /big\.png: larger than the 19\.5 KiB upload limit/);
    const text = await s.app.inject({ method: 'POST', url: '/api/runs/r/try', ...multipart('notes.png', Buffer.from('just text, not an image'), 'image/png') });
    assert.equal(text.statusCode, 415);
    assert.match(text.json().error, /notes\.png: not a PNG image/);
    const jpeg = await s.app.inject({ method: 'POST', url: '/api/runs/r/try', ...multipart('x.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0]), 'image/jpeg') });
    assert.equal(jpeg.statusCode, 415);

    const tile = await s.app.inject({ method: 'POST', url: '/api/runs/r/try', ...multipart('tile.png', png(101, 101)) });
    assert.equal(tile.statusCode, 200, tile.body);
    const t = tile.json() as { width: number; height: number; tiles: number; probs: string; image: string; threshold: number; minArea: number; gate: number | null; salt: number | null };
    assert.deepEqual([t.width, t.height, t.tiles], [101, 101, 1]);
    assert.equal(Buffer.from(t.probs, 'base64').length, 101 * 101 * 4, 'float32 probabilities');
    const thFile = join(runs, 'r', 'threshold.json'), tunedText = readFileSync(thFile, 'utf8');
    const tunedTry = JSON.parse(tunedText) as { threshold: number; minArea: number };
    assert.deepEqual([t.threshold, t.minArea, t.gate, t.salt], [tunedTry.threshold, tunedTry.minArea, null, null]);
    // Tuning the run again (halite tune) reaches the next prediction without a restart.
    try {
      writeFileSync(thFile, JSON.stringify({ ...tunedTry, threshold: 0.25, minArea: 60 }));
      const again = (await s.app.inject({ method: 'POST', url: '/api/runs/r/try', ...multipart('tile.png', png(101, 101)) })).json() as { threshold: number; minArea: number };
      assert.deepEqual([again.threshold, again.minArea], [0.25, 60]);
    } finally {
      writeFileSync(thFile, tunedText);
    }
    const wide = (await s.app.inject({ method: 'POST', url: '/api/runs/r/try', ...multipart('wide.png', png(130, 90)) })).json() as { width: number; tiles: number; probs: string };
    assert.deepEqual([wide.width, wide.tiles], [130, 2]);
    assert.equal(Buffer.from(wide.probs, 'base64').length, 130 * 90 * 4);
    // Validation tiles come with the run's tuned post-processing, for the page to apply.
    const v = (await s.app.inject('/api/runs/r/validation')).json() as { ids: string[]; threshold: number; minArea: number; gate: number | null; probs: string; salt: number[] | null };
    const tuned = JSON.parse(readFileSync(join(runs, 'r', 'threshold.json'), 'utf8')) as { threshold: number; minArea: number; gate: number | null };
    assert.deepEqual([v.threshold, v.minArea, v.gate, v.salt], [tuned.threshold, tuned.minArea, null, null]);
    assert.ok(v.ids.length >= 12, `${v.ids.length} validation tiles of 48 at 25%`);
    assert.equal(Buffer.from(v.probs, 'base64').length, v.ids.length * 101 * 101);
  } finally {
    await s.close();
  }
});

test('the server keeps answering while a prediction runs', async () => {
  const s = await createServer({ runsDir: runs, dataDir: data });
  try {
    let predicted = false;
    const slow = s.app.inject({ method: 'POST', url: '/api/runs/r/try', ...multipart('large.png', png(900, 900)) }).then((r) => { predicted = true; return r; });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    const list = await s.app.inject('/api/runs');
    const ms = performance.now() - t0;
    assert.equal(list.statusCode, 200);
    assert.equal(predicted, false, 'the listing answered before the prediction finished');
    assert.ok(ms < 1000, `listing took ${ms.toFixed(0)} ms during a prediction`);
    const r = await slow;
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().tiles, 17 * 17);
  } finally {
    await s.close();
  }
});

test('the event stream replays the epochs so far, then sends new ones as they are written', async () => {
  const s = await serve({ runsDir: runs, dataDir: data, port: 0 });
  try {
    const got: string[] = [];
    let onData: () => void = () => {};
    const req = get(`${s.url}/api/runs/r/events`, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream');
      res.setEncoding('utf8');
      res.on('data', (c: string) => { got.push(c); onData(); });
    });
    const until = (pred: (text: string) => boolean) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such event in: ${got.join('')}`)), 10_000);
      onData = () => { if (pred(got.join(''))) { clearTimeout(timer); resolve(); } };
      onData();
    });
    await until((t) => /event: epoch\ndata: \{"epoch":2/.test(t) && /event: status\ndata: \{"status":"finished"/.test(t));
    const history = join(runs, 'r', 'history.jsonl');
    const rec = JSON.parse(readFileSync(history, 'utf8').trim().split('\n')[1]!);
    appendFileSync(history, JSON.stringify({ ...rec, epoch: 3, val_map: 0.123 }) + '\n');
    await until((t) => /event: epoch\ndata: \{"epoch":3,.*"val_map":0\.123/.test(t));
    req.destroy();
    // Put the run back as it was for the browser test.
    writeFileSync(history, readFileSync(history, 'utf8').trim().split('\n').slice(0, 2).join('\n') + '\n');
  } finally {
    await s.close();
  }
});

test('in headless Chromium every page renders real numbers, the threshold slider changes the score, and an upload shows a mask',
  { skip: noChromium, timeout: 240_000 }, async () => {
    mkdirSync(artifacts, { recursive: true });
    const s = await serve({ runsDir: runs, dataDir: data, port: 0 });
    const browser = await launchChromium();
    try {
      const { page, errors, shot } = await openPage(browser, artifacts);
      const run = JSON.parse(readFileSync(join(runs, 'r', 'threshold.json'), 'utf8')) as { threshold: number; minArea: number; score: number; thresholdScore: number };

      await page.goto(`${s.url}/`);
      const row = page.locator('#runs-table tr[data-run="r"]');
      await row.waitFor();
      assert.match(await row.locator('.best-map').innerText(), /^0\.\d{4} \(epoch [12]\)$/);
      assert.match(await row.innerText(), /finished/);
      assert.equal(await row.locator('td.data').innerText(), 'synthetic (halite synth)');
      await shot('runs');

      await page.goto(`${s.url}/runs/r`);
      await page.waitForFunction(() => document.querySelector('#run-stats')?.textContent?.includes('2 / 2'));
      assert.match(await page.locator('#run-stats').innerText(), /best val mAP\s+0\.\d{4} \(epoch [12]\)/);
      assert.match(await page.locator('#run-stats').innerText(), /trained on\s+synthetic seismic \(halite synth, seed 5, 48 training tiles\)/);
      assert.match(await page.locator('#progress-text').innerText(), /epoch 2\/2 · batch (\d+)\/\1 · loss \d\.\d{4}/);
      // One loss panel per loss: BCE (phase 1) and Lovász (phase 2) on their own axes.
      for (const id of ['chart-loss-bce', 'chart-loss-lovasz', 'chart-map', 'chart-lr', 'chart-sweep']) {
        const box = await page.locator(`#${id}`).boundingBox();
        assert.ok(box && box.width > 100 && box.height > 100, `${id} is drawn`);
      }
      await page.getByRole('button', { name: 'Write the report' }).click();
      const frame = page.frameLocator('iframe.report');
      await frame.locator('h2', { hasText: 'Validation gallery' }).waitFor({ timeout: 120_000 });
      await shot('run');
      // The report on its own fits a 1280-px window: nothing wider than the viewport.
      await page.goto(`${s.url}/api/runs/r/report.html`);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 1280, 'the report fits 1280 px');
      assert.match(await page.locator('.legend[data-legend="compare"]').innerText(), /missed salt \(false negative\)/);
      assert.equal(await page.locator('#config details').getAttribute('open'), null, 'the config is folded');
      await shot('report');

      await page.goto(`${s.url}/explore`);
      await page.locator('#tile-grid img').first().waitFor();
      assert.match(await page.locator('#data-summary').innerText(), /48 \(\d+\.\d% without salt\)/);
      assert.equal(await page.locator('#tile-grid figure').count(), 48);
      await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('img.figure')].every((i) => i.complete && i.naturalWidth > 0));
      assert.ok(await page.locator('img.figure').count() >= 5);
      assert.match(await page.locator('.legend[data-legend="truth"]').innerText(), /salt \(label\)/);
      assert.match(await page.locator('#data-source').innerText(), /^synthetic seismic \(halite synth/);
      // Captions wrap between fields, never inside one.
      assert.match(await page.locator('#tile-grid figcaption').first().innerText(), /^\S+\nclass\u00a0\d+ · cov\u00a0\d\.\d{3} · z\u00a0\d+\u00a0ft$/);
      await page.selectOption('#class-filter', '0');
      await page.waitForFunction(() => document.querySelectorAll('#tile-grid figcaption')[0]?.textContent?.includes('class\u00a00'));
      await shot('explore');

      await page.goto(`${s.url}/predictions?run=r`);
      await page.locator('#prediction-grid canvas').first().waitFor({ timeout: 60_000 });
      assert.equal(Number(await page.locator('#threshold').inputValue()), Number(run.threshold.toFixed(2)));
      const legendText = await page.locator('.legend[data-legend="compare"]').innerText();
      for (const k of ['salt found (true positive)', 'false salt (false positive)', 'missed salt (false negative)']) assert.ok(legendText.includes(k), k);
      const nVal = Number(/over (\d+) tiles/.exec(await page.locator('.toolbar', { has: page.locator('#map-value') }).innerText())![1]);
      assert.equal(await page.locator('#tile-count').innerText(), `Showing all ${nVal} validation tiles it scores (worst first).`);
      assert.equal(await page.locator('#prediction-grid figure').count(), nVal);
      assert.match(await page.locator('#prediction-grid figcaption').first().innerText(), /^\S+\nscore \d\.\d{4} · IoU \d\.\d{4}$/);
      const score = async () => Number(await page.locator('#map-value').innerText());
      // At the tuned threshold the page re-scores to what tuning found in Node, with and without the
      // tuned minimum area (probabilities travel as bytes, so a pixel at the threshold may flip).
      assert.match(await page.locator('label', { has: page.locator('#postprocess') }).innerText(), new RegExp(`minimum area ${run.minArea} px`));
      assert.ok(Math.abs(await score() - run.score) < 0.01, `${await score()} in the page, ${run.score} tuned`);
      await page.locator('#postprocess').uncheck();
      assert.ok(Math.abs(await score() - run.thresholdScore) < 0.01, `${await score()} in the page, ${run.thresholdScore} at the threshold alone`);
      await page.locator('#threshold').fill('0');
      const atZero = await score();
      await page.locator('#threshold').fill('1');
      const atOne = await score();
      assert.equal(await page.locator('#threshold-value').innerText(), '1.00');
      assert.notEqual(atZero, atOne, 'moving the slider re-scores the tiles');
      await shot('predictions');
      // At threshold 0 nearly every pixel is predicted salt: found salt in blue, false salt in vermillion, none missed.
      await page.locator('#threshold').fill('0');
      const kinds = await page.evaluate(() => {
        const n = { found: 0, false: 0, missed: 0 };
        for (const c of document.querySelectorAll<HTMLCanvasElement>('#prediction-grid canvas')) {
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          for (let i = 0; i < d.length; i += 4) {
            const [r, g, b] = [d[i]!, d[i + 1]!, d[i + 2]!];
            if (b > r + 60) n.found++;
            else if (r > g + 40 && r > b + 60) n.false++;
            else if (g > b + 60 && Math.abs(r - g) < 30) n.missed++;
          }
        }
        return n;
      });
      assert.ok(kinds.found > 0 && kinds.false > 0, JSON.stringify(kinds));
      await shot('predictions-threshold-0');

      await page.goto(`${s.url}/try`);
      const tileFile = readdirSync(join(data, 'train', 'images'))[0]!;
      await page.setInputFiles('#upload', { name: tileFile, mimeType: 'image/png', buffer: readFileSync(join(data, 'train', 'images', tileFile)) });
      await page.click('#predict');
      await page.waitForFunction(() => document.querySelector('#try-info')?.textContent?.includes('101×101, 1 tile'));
      assert.match(await page.locator('#try-info').innerText(), /salt \d+\.\d% of the image/);
      const canvas = await page.locator('#try-canvas').boundingBox();
      assert.ok(canvas && canvas.width >= 101);
      // At threshold 0 every pixel the model gives any chance is salt: the mask is drawn in the salt blue.
      await page.locator('#try-threshold').fill('0');
      const salt = Number(/salt (\d+\.\d)%/.exec(await page.locator('#try-info').innerText())![1]);
      assert.ok(salt > 0, 'a mask at threshold 0');
      const blue = await page.evaluate(() => {
        const c = document.querySelector<HTMLCanvasElement>('#try-canvas')!;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 2]! > d[i]! + 60) n++;
        return n;
      });
      assert.ok(Math.abs(blue / (101 * 101) - salt / 100) < 0.002, `${blue} blue pixels for ${salt}% salt`);
      assert.equal(await page.locator('#try-threshold-value').innerText(), '0.00');
      assert.match(await page.locator('.legend[data-legend="prediction"]').innerText(), /predicted salt/);
      // Downloads: the probabilities as float32 .npy (header + 101×101×4 bytes), the mask as a PNG of 0/255.
      const [npy] = await Promise.all([page.waitForEvent('download'), page.click('#download-probs')]);
      const npyBytes = readFileSync((await npy.path())!);
      assert.equal(npy.suggestedFilename(), `${tileFile.replace(/\.png$/, '')}-probabilities.npy`);
      assert.equal(npyBytes.length, 128 + 101 * 101 * 4);
      assert.match(npyBytes.subarray(0, 128).toString('latin1'), /^\x93NUMPY\x01\x00.{2}\{'descr': '<f4', 'fortran_order': False, 'shape': \(101, 101\), \}/s);
      const [maskDl] = await Promise.all([page.waitForEvent('download'), page.click('#download-mask')]);
      const mask = decode(readFileSync((await maskDl.path())!));
      assert.deepEqual([mask.width, mask.height, mask.channels], [101, 101, 1]);
      assert.ok(Math.abs(mask.data.filter((v) => v === 255).length / (101 * 101) - salt / 100) < 0.001, 'the mask downloaded is the mask shown');
      assert.ok(await page.locator('#try-postprocess').isChecked());
      assert.match(await page.locator('label', { has: page.locator('#try-postprocess') }).innerText(), new RegExp(`minimum area ${run.minArea} px`));
      await shot('try');
      // A minimum area above the mask's empties it, as halite predict would; unchecked, the mask is back.
      await page.route('**/api/runs/*/try', async (route) => {
        const r = await route.fetch();
        await route.fulfill({ response: r, json: { ...(await r.json()), threshold: 0, minArea: 101 * 101 + 1 } });
      });
      await page.click('#predict');
      await page.waitForFunction(() => document.querySelector('#try-postprocess')?.parentElement?.textContent?.includes('minimum area 10202 px'));
      assert.match(await page.locator('#try-info').innerText(), /salt 0\.0% of the image/);
      await page.locator('#try-postprocess').uncheck();
      assert.equal(Number(/salt (\d+\.\d)%/.exec(await page.locator('#try-info').innerText())![1]), salt);
      await page.unroute('**/api/runs/*/try');
      await page.setInputFiles('#upload', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a png') });
      await page.click('#predict');
      await page.getByRole('alert').filter({ hasText: 'notes.png: not a PNG image' }).waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await s.close();
    }
  });

test('Try it runs the run\'s exported model in the page (onnxruntime-web, WASM) and draws the mask the server\'s prediction draws',
  { skip: noChromium, timeout: 180_000 }, async () => {
    mkdirSync(artifacts, { recursive: true });
    const s = await serve({ runsDir: runs, dataDir: data, port: 0 });
    const browser = await launchChromium();
    try {
      const { page, errors, shot } = await openPage(browser, artifacts);
      const tileFile = readdirSync(join(data, 'train', 'images')).sort()[5]!;
      const buffer = readFileSync(join(data, 'train', 'images', tileFile));
      // The server's probabilities: a threshold at their median leaves a mask of about half the tile,
      // and pixels within 1e-4 of it may fall either way between the two runtimes.
      const body = multipart(tileFile, buffer);
      const api = await (await fetch(`${s.url}/api/runs/r/try`, { method: 'POST', body: body.payload, headers: body.headers })).json() as { probs: string };
      const probs = new Float32Array(new Uint8Array(Buffer.from(api.probs, 'base64')).buffer);
      const t = Math.min(0.99, Math.max(0.01, Math.round(100 * [...probs].sort((a, b) => a - b)[probs.length >> 1]!) / 100));
      const close = new Set([...probs.keys()].filter((i) => Math.abs(probs[i]! - t) < 1e-4));

      await page.goto(`${s.url}/try`);
      const drawn = async (engine: string, label: string): Promise<number[]> => {
        await page.selectOption('#try-engine', engine);
        await page.setInputFiles('#upload', { name: tileFile, mimeType: 'image/png', buffer });
        await page.click('#predict');
        await page.waitForFunction((l) => document.querySelector('#try-info')?.textContent?.includes(l), `predicted ${label}`);
        await page.locator('#try-threshold').fill(t.toFixed(2));
        await page.waitForFunction((v) => document.querySelector('#try-threshold-value')?.textContent === v, t.toFixed(2));
        await shot(`try-${engine}`);
        return page.evaluate(() => {
          const c = document.querySelector<HTMLCanvasElement>('#try-canvas')!;
          return [...c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data];
        });
      };
      const server = await drawn('server', 'on the server (libtorch)');
      const local = await drawn('browser', 'in this browser (onnxruntime-web, WASM)');
      assert.match(await page.locator('#try-info').innerText(), /101×101, 1 tile, predicted in this browser \(onnxruntime-web, WASM\) in \d/);
      assert.equal(local.length, server.length);
      // The canvas is drawn at the tile's own size or scaled: compare pixel by pixel, sparing the close ones.
      const scale = Math.round(Math.sqrt(server.length / 4 / (101 * 101)));
      let differ = 0, spared = 0;
      for (let i = 0; i < server.length; i += 4) {
        if (server[i] === local[i] && server[i + 1] === local[i + 1] && server[i + 2] === local[i + 2]) continue;
        const px = i / 4, w = 101 * scale, tilePixel = Math.floor(Math.floor(px / w) / scale) * 101 + Math.floor((px % w) / scale);
        if (close.has(tilePixel)) spared++; else differ++;
      }
      assert.equal(differ, 0, `${differ} canvas pixels differ away from the threshold (${spared} spared)`);
      // The export is cached next to the run, and served again without rewriting it.
      const onnx = join(runs, 'r', 'model.onnx');
      assert.ok(existsSync(onnx));
      const written = statSync(onnx).mtimeMs;
      const again = await fetch(`${s.url}/api/runs/r/model.onnx`);
      assert.equal(again.status, 200);
      assert.deepEqual(Buffer.from(await again.arrayBuffer()), readFileSync(onnx));
      assert.equal(statSync(onnx).mtimeMs, written, 'served from the cache, not exported again');
      assert.equal(JSON.parse(again.headers.get('x-halite-postprocess')!).threshold, JSON.parse(readFileSync(join(runs, 'r', 'threshold.json'), 'utf8')).threshold);
      assert.equal((await fetch(`${s.url}/assets/ort/..%2Fpackage.json`)).status, 404);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await s.close();
    }
  });

test('in headless Chromium every page has its empty, loading and error states: what to run, a loading line, an HTML 404, no raw JSON',
  { skip: noChromium, timeout: 180_000 }, async () => {
    mkdirSync(artifacts, { recursive: true });
    const empty = await serve({ runsDir: join(root, 'no-runs-yet'), port: 0 });
    const s = await serve({ runsDir: runs, dataDir: data, port: 0 });
    const browser = await launchChromium();
    try {
      const { page, errors, shot } = await openPage(browser, artifacts, 800);
      const noRawJson = async () => assert.ok(!/^\s*[{[]/.test(await page.locator('main').innerText()), 'no raw JSON on the page');

      // Empty: no runs folder and no data. Each page says what to run.
      assert.match(empty.warnings[0]!, /--runs .*no-runs-yet does not exist/);
      for (const [path, name, want] of [
        ['/', 'runs', /does not exist yet[\s\S]*npx halite demo --out runs\/demo\nnpx halite serve --runs runs\/demo/],
        ['/explore', 'explore', /No data set to explore[\s\S]*npx halite synth --out data\/synth\nnpx halite serve --data data\/synth/],
        ['/predictions', 'predictions', /npx halite demo/],
        ['/try', 'try', /npx halite train --data DIR --runs /],
      ] as const) {
        await page.goto(`${empty.url}${path}`);
        await page.locator('#empty-state').waitFor();
        assert.match(await page.locator('#empty-state').innerText(), want, path);
        assert.equal(await page.locator('.loading').count(), 0, `${path}: the loading line is gone`);
        await noRawJson();
        await shot(`empty-${name}`);
      }

      // Loading: held API answers leave the loading line up until they come.
      for (const [path, api, name, want] of [
        ['/', '**/api/runs', 'runs', 'Loading…'],
        ['/runs/r', '**/api/runs/r', 'run', 'Loading…'],
        ['/explore', '**/api/data', 'explore', 'Loading…'],
        ['/predictions?run=r', '**/api/runs/r/validation', 'predictions', 'Predicting the validation tiles with flip TTA…'],
      ] as const) {
        let release: () => void = () => {};
        const held = new Promise<void>((r) => { release = r; });
        await page.route(api, async (route) => { await held; await route.continue(); });
        await page.goto(`${s.url}${path}`, { waitUntil: 'domcontentloaded' });
        await page.locator('.loading', { hasText: want }).waitFor();
        assert.equal(await page.locator('.loading').getAttribute('role'), 'status');
        await shot(`loading-${name}`);
        release();
        await page.locator('.loading').waitFor({ state: 'detached', timeout: 60_000 });
        await page.unroute(api);
      }

      // Errors: an unknown run is a 404 page; ?run=nope says so and shows no other run; a failing API
      // call shows its message.
      const r404 = await page.goto(`${s.url}/runs/nope`);
      assert.equal(r404!.status(), 404);
      assert.equal(await page.locator('#error-title').innerText(), '404 · Not found');
      assert.match(await page.locator('#error-message').innerText(), /^No run named nope in .*runs\.$/);
      await noRawJson();
      await shot('error-run-404');
      for (const [path, name] of [['/predictions?run=nope', 'predictions'], ['/try?run=nope', 'try']] as const) {
        await page.goto(`${s.url}${path}`);
        await page.locator('#unknown-run').waitFor();
        assert.match(await page.locator('#unknown-run').innerText(), /There is no run named nope in .*\. Choose one below\./);
        assert.equal(await page.locator('#run-select').inputValue(), '');
        assert.equal(await page.locator('#prediction-grid').count(), 0, 'no other run is shown');
        await shot(`error-${name}-unknown-run`);
      }
      await page.selectOption('#run-select', 'r');
      assert.match(page.url(), /\?run=r$/);
      await page.route('**/api/data', (route) => route.fulfill({ status: 500, json: { error: 'cannot read /x/train.csv: disk on fire' } }));
      await page.goto(`${s.url}/explore`);
      await page.getByRole('alert').filter({ hasText: 'cannot read /x/train.csv: disk on fire' }).waitFor();
      assert.equal(await page.locator('.loading').count(), 0, 'no loading line beside the error');
      await noRawJson();
      await shot('error-explore-api');
      await page.unroute('**/api/data');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await empty.close();
      await s.close();
    }
  });
