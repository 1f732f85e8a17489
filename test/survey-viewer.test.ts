// The survey viewer: the API finds X.sgy + X.salt.sgy pairs and survey.json folders, answers a
// section with the very values the SEG-Y reader reads from both files (and the probability the test
// wrote), refuses unknown surveys, out-of-range numbers and mismatched geometries by name, and, in
// headless Chromium, the page draws sections, steps through them and shows its empty, loading and
// error states (screenshots in artifacts/serve/).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSegy, openVolume, SegyWriter } from '../src/segy/index.js';
import { createServer, serve } from '../src/serve/server.js';
import { launchChromium, noChromium, openPage } from './helpers/browser.js';

const SEGY = join(import.meta.dirname, '..', '..', 'shared', 'segy');
const skip = !existsSync(join(SEGY, 'f3.sgy')) && 'no ../shared/segy/f3.sgy';
const artifacts = join(process.cwd(), 'artifacts', 'serve');
const root = mkdtempSync(join(tmpdir(), 'halite-surveys-'));
const surveys = join(root, 'surveys');

/** The fake prediction: a smooth salt body deepening with the inline, leaning with the crossline (sample index s). */
const prob = (il: number, xl: number, s: number) => 1 / (1 + Math.exp(-(s - 30 - (il - 122) * 1.5 + (xl - 883) * 0.8) / 4));

before(() => {
  if (skip) return;
  mkdirSync(join(surveys, 'bad'), { recursive: true });
  copyFileSync(join(SEGY, 'f3.sgy'), join(surveys, 'f3.sgy'));
  copyFileSync(join(SEGY, 'tiny.sgy'), join(surveys, 'tiny.sgy')); // no partner: listed as unpaired
  const f3 = openVolume(join(SEGY, 'f3.sgy'));
  const w = SegyWriter.open(join(surveys, 'f3.salt.sgy'), f3.file);
  const { inlines, crosslines } = f3.geometry, ns = f3.samples;
  for (let i = 0; i < inlines.count; i++) {
    const section = new Float32Array(crosslines.count * ns);
    for (let j = 0; j < crosslines.count; j++) for (let s = 0; s < ns; s++) section[j * ns + s] = prob(inlines.first + i, crosslines.first + j, s);
    w.writeSection(f3.inlineTraces(i), section);
  }
  w.close();
  f3.close();
  // A pair on different geometries: the error must name both files.
  writeFileSync(join(surveys, 'bad', 'survey.json'), JSON.stringify({ seismic: '../f3.sgy', probability: join(SEGY, 'small.sgy') }));
  // The same pair named by survey.json as depth data; and a survey.json that names a file not there.
  mkdirSync(join(surveys, 'deep'));
  writeFileSync(join(surveys, 'deep', 'survey.json'), JSON.stringify({ seismic: '../f3.sgy', probability: '../f3.salt.sgy', vertical: 'depth' }));
  mkdirSync(join(surveys, 'gone'));
  writeFileSync(join(surveys, 'gone', 'survey.json'), JSON.stringify({ seismic: 'lost.sgy', probability: '../f3.salt.sgy' }));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Splits a section body (src/serve/surveys.ts encodeSection) into its metadata and images. */
function decodeSection(body: Buffer) {
  const len = body.readUInt32LE(0);
  const meta = JSON.parse(body.subarray(4, 4 + len).toString('utf8'));
  const px = meta.width * meta.height;
  assert.equal(body.length, 4 + len + 8 * px, 'two float32 images after the metadata');
  const f32 = (at: number) => Float32Array.from({ length: px }, (_, k) => body.readFloatLE(at + 4 * k));
  return { meta, amplitude: f32(4 + len), probability: f32(4 + len + 4 * px) };
}

test('the surveys API lists pairs with their geometry and clip, names unpaired files, and refuses a mismatched pair naming both files', { skip }, async () => {
  const s = await createServer({ runsDir: join(root, 'runs'), surveysDir: surveys });
  try {
    const list = (await s.app.inject('/api/surveys')).json();
    assert.equal(list.dir, surveys);
    assert.deepEqual(list.surveys.map((x: { name: string }) => x.name), ['bad', 'deep', 'f3', 'gone']);
    assert.deepEqual(list.unpaired, ['tiny.sgy']);
    const f3 = list.surveys[2];
    assert.equal(list.surveys[3].error, `${join(surveys, 'gone', 'survey.json')}: "seismic" names ${join(surveys, 'gone', 'lost.sgy')}, which does not exist`);
    // Depth data: the interval's ×1000 convention gives metres.
    assert.deepEqual([list.surveys[1].unit, list.surveys[1].sampleStep], ['m', 4]);
    const deep = await s.app.inject('/api/surveys/deep/section?direction=inline&n=111');
    assert.deepEqual(JSON.parse(deep.rawPayload.subarray(4, 4 + deep.rawPayload.readUInt32LE(0)).toString()).y, { label: 'depth', first: 4, step: 4, unit: 'm' });
    // The README's facts for f3.sgy: inlines 111–133, crosslines 875–892, 75 samples of 4000 µs.
    assert.deepEqual([f3.inlines, f3.crosslines, f3.samples, f3.sampleStep, f3.unit, f3.traces], [
      { first: 111, last: 133, step: 1, count: 23 }, { first: 875, last: 892, step: 1, count: 18 }, 75, 4, 'ms', 414]);
    assert.ok(f3.clip[0] < 0 && f3.clip[1] > 0 && f3.clip[0] >= -10239 && f3.clip[1] <= 10827, `clip ${f3.clip} inside the min/max -10239/10827`);
    const bad = list.surveys[0];
    assert.ok(bad.error.includes(join(surveys, 'f3.sgy')) && bad.error.includes(join(SEGY, 'small.sgy')), bad.error);
    assert.match(bad.error, /not on the same geometry \(inlines 111\.\.133 step 1 against 1\.\.5 step 1; crosslines 875\.\.892 step 1 against 20\.\.24 step 1; 75 samples per trace against 50\)/);
    const r = await s.app.inject('/api/surveys/bad/section?direction=inline&n=120');
    assert.equal(r.statusCode, 422);
    assert.equal(r.json().error, bad.error);
  } finally {
    await s.close();
  }
});

test('a section holds what the reader reads from both files, laid out across and down, for an inline, a crossline and a time slice', { skip }, async () => {
  const s = await createServer({ runsDir: join(root, 'runs'), surveysDir: surveys });
  const seismic = openVolume(join(surveys, 'f3.sgy'));
  try {
    const get = async (q: string) => {
      const r = await s.app.inject(`/api/surveys/f3/section?${q}`);
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.headers['content-type'], 'application/octet-stream');
      return decodeSection(r.rawPayload);
    };
    const il = await get('direction=inline&n=121');
    assert.deepEqual(il.meta.x, { label: 'crossline', first: 875, step: 1, unit: '' });
    // f3.sgy's traces record a delay of 4 ms (trace-header bytes 109-110, as Python's struct reads them), so time starts at 4 ms.
    assert.deepEqual(il.meta.y, { label: 'time', first: 4, step: 4, unit: 'ms' });
    assert.deepEqual([il.meta.width, il.meta.height, il.meta.number], [18, 75, 121]);
    const want = seismic.inline(121);
    for (let x = 0; x < 18; x++) {
      for (let y = 0; y < 75; y++) {
        assert.equal(il.amplitude[y * 18 + x], want[x * 75 + y], `inline 121 crossline ${875 + x} sample ${y}`);
        assert.equal(il.probability[y * 18 + x], Math.fround(prob(121, 875 + x, y)), `probability at crossline ${875 + x} sample ${y}`);
      }
    }
    const xl = await get('direction=crossline&n=880');
    assert.deepEqual([xl.meta.width, xl.meta.height, xl.meta.x.label, xl.meta.x.first], [23, 75, 'inline', 111]);
    const wantXl = seismic.crossline(880);
    for (let x = 0; x < 23; x++) {
      for (let y = 0; y < 75; y++) {
        assert.equal(xl.amplitude[y * 23 + x], wantXl[x * 75 + y]);
        assert.equal(xl.probability[y * 23 + x], Math.fround(prob(111 + x, 880, y)));
      }
    }
    const ts = await get('direction=time&n=30');
    assert.deepEqual([ts.meta.width, ts.meta.height, ts.meta.x.label, ts.meta.y.label, ts.meta.y.first], [18, 23, 'crossline', 'inline', 111]);
    assert.deepEqual(ts.amplitude, seismic.timeSlice(30));
    for (let i = 0; i < 23; i++) for (let j = 0; j < 18; j++) assert.equal(ts.probability[i * 18 + j], Math.fround(prob(111 + i, 875 + j, 30)));
    // Spot value by hand: f3.sgy trace 0 is inline 111, crossline 875; its sample 30 sits at the slice's top-left.
    const trace0 = new Float32Array(75);
    openSegy(join(surveys, 'f3.sgy')).readTraces(0, 1, trace0, 0);
    assert.equal(ts.amplitude[0], trace0[30]);
  } finally {
    seismic.close();
    await s.close();
  }
});

test('the section endpoint answers bad requests with 404 or 400 JSON naming the valid range', { skip }, async () => {
  const s = await createServer({ runsDir: join(root, 'runs'), surveysDir: surveys });
  const none = await createServer({ runsDir: join(root, 'runs') });
  try {
    const err = async (app: typeof s.app, url: string, status: number) => {
      const r = await app.inject(url);
      assert.equal(r.statusCode, status, `${url}: ${r.body}`);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      return r.json().error as string;
    };
    assert.equal(await err(s.app, '/api/surveys/nope/section?direction=inline&n=120', 404), `no survey named nope in ${surveys}`);
    assert.equal(await err(s.app, '/api/surveys/f3/section?direction=inline&n=200', 400), 'inline 200 is not in survey f3: its inlines are 111..133');
    assert.equal(await err(s.app, '/api/surveys/f3/section?direction=crossline&n=874', 400), 'crossline 874 is not in survey f3: its crosslines are 875..892');
    assert.equal(await err(s.app, '/api/surveys/f3/section?direction=time&n=75', 400), 'time slice 75 is not in survey f3: its samples are 0..74 (4..300 ms)');
    assert.equal(await err(s.app, '/api/surveys/f3/section?direction=inline&n=12.5', 400), 'n "12.5": give the inline number as a whole number');
    assert.equal(await err(s.app, '/api/surveys/f3/section?direction=inline', 400), 'n "": give the inline number as a whole number');
    assert.equal(await err(s.app, '/api/surveys/f3/section?direction=diagonal&n=1', 400), 'direction "diagonal": use inline, crossline or time');
    assert.equal(await err(none.app, '/api/surveys/f3/section?direction=inline&n=120', 404), 'no survey named f3: start halite serve with --surveys DIR');
    assert.deepEqual((await none.app.inject('/api/surveys')).json().surveys, []);
  } finally {
    await s.close();
    await none.close();
  }
});

test('in headless Chromium the viewer draws a section with axis labels, steps with the slider and arrow keys, switches to the threshold overlay, and has empty, loading and error states',
  { skip: skip || noChromium, timeout: 180_000 }, async () => {
    mkdirSync(artifacts, { recursive: true });
    const s = await serve({ runsDir: join(root, 'runs'), surveysDir: surveys, port: 0 });
    const missing = await serve({ runsDir: join(root, 'runs'), surveysDir: join(root, 'no-surveys-yet'), port: 0 });
    const browser = await launchChromium();
    try {
      const { page, errors, shot } = await openPage(browser, artifacts);
      const canvas = () => page.locator('#section-canvas').evaluate((c: HTMLCanvasElement) => c.toDataURL());
      const title = page.locator('#section-title'), number = page.locator('#section-number');
      /** RGB of the canvas at a fraction of its plot area (margins as in web/pages/survey.ts). */
      const pixel = (fx: number, fy: number) => page.locator('#section-canvas').evaluate((c: HTMLCanvasElement, [fx, fy]) => {
        const d = c.width / 848; // CSS width 74 + 760 + 14
        return Array.from(c.getContext('2d')!.getImageData(Math.round((74 + fx * 760) * d), Math.round((12 + fy * 440) * d), 1, 1).data.slice(0, 3));
      }, [fx, fy]);

      // With no survey in the URL, the first that can be shown (bad cannot), then f3 by its URL.
      await page.goto(`${s.url}/survey`);
      await page.waitForFunction(() => document.querySelector('#section-title')?.textContent?.startsWith('Inline'));
      assert.equal(await page.locator('#survey-select').inputValue(), 'deep');
      assert.match(await page.locator('#survey-files').innerText(), /75 samples every 4 m;/);
      await page.goto(`${s.url}/survey?survey=f3`);
      await page.waitForFunction(() => document.querySelector('#section-title')?.textContent?.startsWith('Inline'));
      // The middle inline of 111..133 first; the nav links the page.
      assert.equal(await title.innerText(), 'Inline 122 (of 111–133)');
      assert.equal(await number.innerText(), 'inline 122');
      assert.equal(await page.locator('nav a[aria-current="page"]').innerText(), 'Surveys');
      assert.match(await page.locator('#survey-files').innerText(), /23 inlines \(111–133\) × 18 crosslines \(875–892\) × 75 samples every 4 ms/);
      assert.match(await page.locator('#overlay-key').innerText(), /salt probability/);
      // Probability near 1 at the bottom of the section draws in the salt colour (blue), near 0 at the top in grey.
      const [r1, , b1] = await pixel(0.5, 0.97), [r0, g0, b0] = await pixel(0.5, 0.03);
      assert.ok(b1! > r1! + 40, `deep pixel ${r1},${b1} is blue`);
      assert.ok(Math.abs(r0! - b0!) < 12 && Math.abs(r0! - g0!) < 12, `shallow pixel ${r0},${g0},${b0} is grey`);
      await shot('survey');

      const before = await canvas();
      await page.locator('#section-slider').focus();
      for (let k = 0; k < 3; k++) await page.keyboard.press('ArrowRight');
      await page.waitForFunction(() => document.querySelector('#section-title')?.textContent === 'Inline 125 (of 111–133)');
      assert.equal(await number.innerText(), 'inline 125');
      assert.notEqual(await canvas(), before, 'the canvas changes with the inline');
      await page.locator('#section-canvas').focus();
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction(() => document.querySelector('#section-title')?.textContent === 'Inline 124 (of 111–133)');
      await page.locator('#section-slider').fill('133');
      await page.waitForFunction(() => document.querySelector('#section-title')?.textContent === 'Inline 133 (of 111–133)');
      assert.equal(new URL(page.url()).searchParams.get('survey'), 'f3');

      const ramp = await canvas();
      await page.locator('#threshold').fill('0.7');
      assert.equal(await page.locator('#threshold-value').innerText(), '0.7');
      assert.ok(await page.locator('#use-threshold').isChecked(), 'moving the threshold turns the mask overlay on');
      assert.match(await page.locator('#overlay-key').innerText(), /predicted salt/);
      assert.notEqual(await canvas(), ramp, 'the mask overlay differs from the colour ramp');
      await shot('survey-threshold');

      await page.locator('#direction').selectOption('time');
      await page.waitForFunction(() => document.querySelector('#section-title')?.textContent?.startsWith('Time slice'));
      assert.equal(await title.innerText(), 'Time slice at 152 ms (sample 37 of 0–74)');
      assert.equal(await number.innerText(), '152 ms (sample 37)');
      await shot('survey-time');
      await page.locator('#direction').selectOption('crossline');
      await page.waitForFunction(() => document.querySelector('#section-title')?.textContent === 'Crossline 884 (of 875–892)');

      // Error: a pair on different geometries names both files; an unknown survey says so.
      await page.goto(`${s.url}/survey?survey=bad`);
      const bad = page.locator('#survey-error');
      await bad.waitFor();
      const badText = await bad.innerText();
      assert.ok(badText.includes(join(surveys, 'f3.sgy')) && badText.includes(join(SEGY, 'small.sgy')), badText);
      assert.equal(await page.locator('.loading').count(), 0);
      await shot('survey-error');
      await page.goto(`${s.url}/survey?survey=nope`);
      await page.locator('#unknown-survey').waitFor();
      assert.match(await page.locator('#unknown-survey').innerText(), /There is no survey named nope in .*surveys\. Choose one below\./);

      // Loading: a section held back shows the loading line until it comes.
      let release!: () => void;
      const held = new Promise<void>((r) => { release = r; });
      await page.route('**/api/surveys/f3/section*', async (route) => { await held; await route.continue(); });
      await page.goto(`${s.url}/survey?survey=f3`);
      await page.locator('#section-state .loading').waitFor();
      assert.equal(await page.locator('#section-state .loading').innerText(), 'Reading inline 122…');
      assert.ok(await page.locator('#section-canvas').isHidden(), 'no blank canvas while the first section loads');
      await shot('survey-loading');
      release();
      await page.waitForFunction(() => document.querySelector('#section-title')?.textContent === 'Inline 122 (of 111–133)');
      assert.equal(await page.locator('.loading').count(), 0);
      await page.unroute('**/api/surveys/f3/section*');

      // Empty: the folder is not there yet; the page says what to run and what a pair is.
      await page.goto(`${missing.url}/survey`);
      const empty = page.locator('#empty-state');
      await empty.waitFor();
      const emptyText = await empty.innerText();
      assert.match(emptyText, /The surveys folder .*no-surveys-yet does not exist yet\./);
      assert.match(emptyText, /halite predict --run runs\/demo --segy surveys\/X\.sgy --out surveys\/X\.salt\.sgy/);
      assert.match(emptyText, /survey\.json/);
      await shot('survey-empty');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await s.close();
      await missing.close();
    }
  });
