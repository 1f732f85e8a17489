// The command line's flags and paths: every numeric flag checked with its range, folders and runs
// that do not exist named as such, images of any size predicted, and --help that loads no libtorch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { encode } from 'fast-png';
import { listImages, pngSize, skippedNote, sortBySize } from '../src/cli/images.js';
import { listOf, numberIn, positiveNumber, probability, runDirectory, wholeNumber } from '../src/cli/parse.js';
import { writeSynth } from '../src/data/synth/generate.js';
import { readImage } from '../src/data/png.js';
import { PIXELS, TILE } from '../src/data/rle.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { makeFolders, writeFolderWhole } from '../src/io/folders.js';
import { firstColumn, halite, haliteNoAddon, haliteWith } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'halite-cli-flags-'));
const grey = (width: number, height: number, f: (x: number, y: number) => number) =>
  encode({ width, height, channels: 1, depth: 8, data: Uint8Array.from({ length: width * height }, (_, i) => f(i % width, Math.floor(i / width))) });

test('the parsers accept what they promise and reject the rest with the range in the message', () => {
  const rejects = (f: (v: string) => unknown, v: string, msg: RegExp) =>
    assert.throws(() => f(v), (e: Error) => e instanceof InvalidArgumentError && msg.test(e.message), `${JSON.stringify(v)} should be rejected`);
  assert.equal(probability('0.25'), 0.25);
  assert.equal(probability('1'), 1);
  assert.equal(probability('.5'), 0.5);
  for (const v of ['abc', '', ' ', '1.5', '-0.1', 'NaN', '0x1', '1,5']) rejects(probability, v, /^Expected a number in \[0, 1\]\.$/);
  assert.equal(wholeNumber(1)('64'), 64);
  for (const v of ['0', '2.5', '1e3', 'abc', '', '-3']) rejects(wholeNumber(1), v, /^Expected a whole number >= 1\.$/);
  assert.equal(wholeNumber(0)('0'), 0);
  rejects(wholeNumber(0, 65535), '65536', /from 0 to 65535/);
  assert.equal(positiveNumber('1e-3'), 0.001);
  rejects(positiveNumber, '0', /\(0, ∞\)/);
  rejects(positiveNumber, 'Infinity', /\(0, ∞\)/);
  const fraction = numberIn(0, 1, { lo: true, hi: true });
  assert.equal(fraction('0.2'), 0.2);
  rejects(fraction, '1', /\(0, 1\)/);
  rejects(fraction, '0', /\(0, 1\)/);
  assert.deepEqual(listOf(wholeNumber(1))('30,20'), [30, 20]);
  rejects(listOf(wholeNumber(1)), '30,,20', /Item 2 \(''\): Expected a whole number >= 1/);
  rejects(listOf(wholeNumber(1), 2), '3', /Expected 2 comma-separated values, got 1/);
  // Runs: missing, a file, a folder that is not a run, a run, a cv folder.
  const run = join(root, 'run'), cv = join(root, 'cv');
  mkdirSync(run);
  mkdirSync(cv);
  rejects(runDirectory(), join(root, 'nowhere'), /^No such run directory \(.*nowhere\)\.$/);
  rejects(runDirectory(), root, /is not a halite run directory \(no config\.json\)/);
  writeFileSync(join(run, 'config.json'), '{}');
  writeFileSync(join(cv, 'cv.json'), '{}');
  rejects(runDirectory(), join(run, 'config.json'), /is a file, not a run directory/);
  assert.equal(runDirectory()(run), run);
  rejects(runDirectory(), cv, /no config\.json/);
  assert.equal(runDirectory({ cv: true })(cv), cv);
});

test('an image folder: PNGs listed, other files counted, a folder without PNGs points at the one that has them', () => {
  const data = join(root, 'layout'), images = join(data, 'test', 'images');
  mkdirSync(images, { recursive: true });
  writeFileSync(join(images, 'b.png'), grey(TILE, TILE, (x) => x));
  writeFileSync(join(images, 'a.png'), grey(150, 120, (x, y) => x + y));
  writeFileSync(join(images, 'notes.txt'), 'x');
  writeFileSync(join(images, 'c.jpg'), 'x');
  const f = listImages(images);
  assert.deepEqual(f.ids, ['a', 'b']);
  assert.deepEqual(f.skipped, ['c.jpg', 'notes.txt']);
  assert.match(skippedNote(f), /^skipped 2 files in .*images that are not \.png \(c\.jpg, notes\.txt\)$/);
  assert.throws(() => listImages(join(data, 'test')), /--images .*test: no \.png images; did you mean .*test\/images\? It holds 2 PNGs/);
  assert.throws(() => listImages(join(data, 'nope')), /--images .*nope: no such folder/);
  // Sizes from the header alone, against PIL's reading of the same files.
  const pil = execFileSync('/usr/bin/python3', ['-c', 'import sys; from PIL import Image; [print(*Image.open(p).size) for p in sys.argv[1:]]',
    join(images, 'a.png'), join(images, 'b.png')], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual([pngSize(join(images, 'a.png')), pngSize(join(images, 'b.png'))].map((s) => `${s.width} ${s.height}`), pil);
  assert.deepEqual(sortBySize(images, f.ids), { tiles: ['b'], sections: [{ id: 'a', width: 150, height: 120 }] });
  assert.throws(() => pngSize(join(images, 'notes.txt')), /notes\.txt: not a PNG image/);
  // A subset made of links to the PNGs lists them as the PNGs themselves.
  const links = join(root, 'links');
  mkdirSync(links, { recursive: true });
  for (const n of ['a.png', 'b.png', 'notes.txt']) symlinkSync(join(images, n), join(links, n));
  const l = listImages(links);
  assert.deepEqual([l.ids, l.skipped], [['a', 'b'], ['notes.txt']]);
});

test('writing into a folder that does not exist names that folder, not a temporary file', () => {
  const target = join(root, 'missing', 'sub.csv');
  assert.throws(() => writeFileAtomic(target, 'x'), (e: Error) => {
    assert.match(e.message, /sub\.csv: cannot write: the folder .*missing does not exist/);
    assert.doesNotMatch(e.message, /tmp-/);
    return true;
  });
});

test('a folder written whole replaces the old one only when complete; a failure leaves the old one and no temporary folder', () => {
  const out = join(root, 'whole');
  makeFolders(out);
  writeFileSync(join(out, 'old.txt'), 'old');
  assert.throws(() => writeFolderWhole(out, (tmp) => {
    writeFileSync(join(tmp, 'half.txt'), 'half');
    throw new Error('disk full');
  }), /^Error: disk full$/);
  assert.deepEqual(readdirSync(out), ['old.txt']);
  assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('whole')), ['whole']);
  assert.equal(writeFolderWhole(out, (tmp) => { writeFileSync(join(tmp, 'new.txt'), 'new'); return 7; }), 7);
  assert.deepEqual(readdirSync(out), ['new.txt']);
  assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('whole')), ['whole']);
});

test('a system folder that takes no files (/proc) is named as such, not as a folder that does not exist', { skip: !existsSync('/proc/self') && 'no /proc' }, () => {
  assert.throws(() => writeFileAtomic('/proc/halite-no.csv', 'x'), /^Error: \/proc\/halite-no\.csv: cannot write: \/proc takes no new files or folders \(a system folder such as \/proc or \/sys\)$/);
});

test('an output folder that cannot be made fails at once, naming it (recursive mkdir spins under /proc in Node 20)', { skip: !existsSync('/proc/self') && 'no /proc' }, () => {
  const t0 = Date.now();
  // spawnSync's timeout, since a hang would block the test runner's own.
  const r = spawnSync(process.execPath, ['bin/halite.js', 'synth', '--out', '/proc/halite-no/data', '--train', '2', '--test', '0'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, 'killed after 60 s: the folder was never refused');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot create the folder \/proc\/halite-no: \/proc takes no new files or folders \(a system folder such as \/proc or \/sys\); choose a folder you can write to/);
  assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
  assert.throws(() => makeFolders('/proc/halite-no/x'), /cannot create the folder \/proc\/halite-no: /);
  const made = join(root, 'made', 'a', 'b');
  makeFolders(made);
  makeFolders(made);
  assert.ok(statSync(made).isDirectory());
});

test('--force never replaces the folder you are working in, or one that holds it', () => {
  // Run from a scratch folder with a marker in it, so that a broken check costs that folder, not the repository.
  const work = join(root, 'work', 'here');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'keep.txt'), 'mine');
  const bin = resolve('bin/halite.js');
  for (const [out, verb] of [['.', 'is'], ['..', 'holds']] as const) {
    const r = spawnSync(process.execPath, [bin, 'synth', '--out', out, '--train', '2', '--test', '0', '--force'], { cwd: work, encoding: 'utf8', env: { ...process.env, HALITE_FROM_SOURCE: '1' }, timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, `halite: --out ${out} ${verb} the folder you are working in, ${work}, which writing it would destroy; name another folder (nothing was written)\n`);
    assert.equal(readFileSync(join(work, 'keep.txt'), 'utf8'), 'mine');
  }
});

test('--help, --version and bad flags of every command answer without loading libtorch, naming the flag and its range', () => {
  const help = haliteNoAddon('--help');
  assert.equal(help.status, 0, help.stderr);
  for (const c of ['predict', 'pseudo-label', 'train', 'cv', 'tune', 'evaluate', 'synth', 'demo', 'serve', 'bench', 'explore', 'report', 'doctor']) assert.match(help.stdout, new RegExp(`\\n  ${c} `), c);
  const version = haliteNoAddon('--version');
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
  const run = join(root, 'flag-run');
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, 'config.json'), '{}');
  const cases: [string[], RegExp][] = [
    [['predict', '--run', run, '--images', root, '--out', 'x.csv', '--threshold', 'abc'], /option '--threshold <p>' argument 'abc' is invalid\. Expected a number in \[0, 1\]/],
    [['predict', '--run', run, '--images', root, '--out', 'x.csv', '--batch-size', '0'], /'--batch-size <n>' argument '0' is invalid\. Expected a whole number >= 1/],
    [['predict', '--run', run, '--images', root, '--out', 'x.csv', '--min-area', '2.5'], /'--min-area <pixels>' argument '2\.5' is invalid\. Expected a whole number >= 0/],
    [['predict', '--run', run, '--val', '--images', root, '--out', 'x.csv'], /option '--val' cannot be used with option '--images <dir>'/],
    [['predict', '--run', run, '--images', root, '--out', 'x.csv', '--precision', 'fp16'], /option '--precision <p>' argument 'fp16' is invalid\. Allowed choices are fp32, bf16/],
    [['predict', '--run', join(root, 'nowhere'), '--images', root, '--out', 'x.csv'], /'--run <dir>' argument '.*nowhere' is invalid\. No such run directory/],
    [['pseudo-label', '--run', run, '--images', root, '--out', root, '--high', '1.2'], /'--high <p>' argument '1\.2' is invalid\. Expected a number in \[0, 1\]/],
    [['train', '--data', root, '--epochs', '3,x'], /'--epochs <list>' argument '3,x' is invalid\. Item 2 \('x'\): Expected a whole number >= 1/],
    [['cv', '--out', root, '--folds', '1'], /'--folds <k>' argument '1' is invalid\. Expected a whole number >= 2/],
    [['train', '--val', '1'], /'--val <fraction>' argument '1' is invalid\. Expected a number in \(0, 1\)/],
    [['train', '--dist-timeout', '0'], /'--dist-timeout <seconds>' argument '0' is invalid\. Expected a number in \[0\.001, 604800\]/],
    [['serve', '--port', '70000'], /'--port <n>' argument '70000' is invalid\. Expected a whole number from 0 to 65535/],
    [['synth', '--out', join(root, 's'), '--train', 'many'], /'--train <n>' argument 'many' is invalid/],
    [['demo', '--epochs', '5'], /'--epochs <list>' argument '5' is invalid\. Expected 2 comma-separated values, got 1/],
    [['bench', 'engine', '--steps', '0'], /'--steps <n>' argument '0' is invalid\. Expected a whole number >= 1/],
    [['bench', 'loader', '--epochs', '0'], /'--epochs <n>' argument '0' is invalid\. Expected a whole number >= 1/],
    [['--threads', '0', 'doctor'], /'--threads <n>' argument '0' is invalid\. Expected a whole number >= 1/],
    [['tune', '--run', root], /is not a halite run directory \(no config\.json\)/],
    [['report', join(root, 'nowhere')], /value '.*nowhere' is invalid for argument 'run'\. No such run directory/],
  ];
  for (const [args, msg] of cases) {
    const r = haliteNoAddon(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg, args.join(' '));
    assert.doesNotMatch(r.stderr, /native addon loaded/, args.join(' '));
  }
  // Refused in the action, after the thread count has loaded libtorch, and before the run is read.
  for (const [args, msg] of [
    [['--resume', run, '--precision', 'fp32', '--epochs', '99', '--lr', '5'], /^halite: --resume continues a run exactly as its config\.json says, so --epochs, --lr, --precision would be ignored: drop them, or start a new run with them and another --name\n$/],
    [['--resume', run, '--sync-batchnorm'], /^halite: --resume continues a run exactly as its config\.json says, so --sync-batchnorm would be ignored: drop it, or start a new run with it and another --name\n$/],
    [['--resume', run, '--name', 'other', '--seed', '3'], /^halite: --resume continues a run exactly as its config\.json says, so --seed, --name would be ignored: drop them, or start a new run with them\n$/],
  ] as const) {
    const r = halite('train', ...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg, args.join(' '));
  }
  const bf16 = halite('predict', '--run', run, '--images', root, '--out', 'x.csv', '--precision', 'bf16', '--engine', 'onnxruntime');
  assert.equal(bf16.status, 1);
  assert.match(bf16.stderr, /--precision bf16 runs on --engine libtorch only: the ONNX graph onnxruntime runs is float32; drop one of the two flags/);
});

test('predict: larger images are tiled, stitched and written as mask PNGs; the submission holds the 101x101 tiles; evaluate suggests --run', async () => {
  const data = join(root, 'data');
  writeSynth({ out: data, train: 48, test: 4, seed: 5 });
  const runs = join(root, 'runs');
  const t = halite('--threads', '2', 'train', '--data', data, '--model', 'resunet', '--model-options', '{"startFilters":4}', '--epochs', '1', '--losses', 'bce',
    '--batch-size', '16', '--val', '0.25', '--seed', '3', '--runs', runs, '--name', 'r');
  assert.equal(t.status, 0, t.stderr);
  const run = join(runs, 'r');

  // A folder of two competition tiles, a 150x120 section, a 101x50 strip (one edge-replicated tile) and a text file.
  const images = join(root, 'mixed');
  mkdirSync(images);
  const testIds = firstColumn(join(data, 'sample_submission.csv')).slice(1, 3);
  for (const id of testIds) writeFileSync(join(images, `${id}.png`), readFileSync(join(data, 'test', 'images', `${id}.png`)));
  writeFileSync(join(images, 'wide.png'), grey(150, 120, (x, y) => (x * 7 + y * 3) % 256));
  const strip = new Float32Array(PIXELS);
  readImage(join(data, 'test', 'images', `${testIds[0]}.png`), strip);
  writeFileSync(join(images, 'strip.png'), grey(TILE, 50, (x, y) => Math.round(strip[y * TILE + x]! * 255)));
  writeFileSync(join(images, 'README.txt'), 'not an image');

  // Without --masks the larger images have nowhere to go: said before anything is written.
  const out = join(root, 'new', 'deeper', 'sub.csv');
  let p = halite('--threads', '2', 'predict', '--run', run, '--images', images, '--out', out);
  assert.equal(p.status, 1);
  assert.match(p.stderr, /2 images in .*mixed are not 101x101 \((strip|wide)\.png .*\): add --masks DIR .*a Kaggle submission holds only 101x101 tiles/);
  assert.ok(!existsSync(out));
  // An --out that is a folder is refused before anything is predicted (it failed with EISDIR at the end).
  p = halite('--threads', '2', 'predict', '--run', run, '--images', images, '--out', root, '--masks', join(root, 'never'));
  assert.equal(p.status, 1);
  assert.match(p.stderr, /^halite: --out .* is a folder; name the file to write, e\.g\. --out .*submission\.csv\n$/);
  assert.ok(!existsSync(join(root, 'never')), 'nothing was written');
  // So is one in a folder that takes no files (it failed after predicting), naming the flag and not a temporary file.
  p = halite('--threads', '2', 'predict', '--run', run, '--images', images, '--out', '/proc/halite-sub.csv', '--masks', join(root, 'never'));
  assert.equal(p.status, 1);
  assert.match(p.stderr, /^halite: --out \/proc\/halite-sub\.csv: cannot write: \/proc takes no new files or folders \(a system folder such as \/proc or \/sys\); choose a folder you can write to\n$/);
  assert.ok(!existsSync(join(root, 'never')), 'nothing was written');
  // pseudo-label's --out is a folder written whole: an existing one needs --force, said before predicting.
  p = halite('--threads', '2', 'pseudo-label', '--run', run, '--images', join(data, 'test', 'images'), '--out', images);
  assert.equal(p.status, 1);
  assert.match(p.stderr, /^halite: --out .*mixed already exists; name a new folder, or pass --force to replace it \(nothing was written\)\n$/);
  // Not even with --force may an output replace what the command reads (--force once deleted the --images it named).
  const testImages = join(data, 'test', 'images');
  p = halite('--threads', '2', 'pseudo-label', '--run', run, '--images', testImages, '--out', join(data, 'test'), '--force');
  assert.equal(p.status, 1);
  assert.match(p.stderr, /^halite: --out .*test holds --images .*images, which writing it would destroy; name another folder \(nothing was written\)\n$/);
  const sample = join(data, 'sample_submission.csv'), sampleText = readFileSync(sample, 'utf8');
  p = halite('--threads', '2', 'predict', '--run', run, '--images', testImages, '--sample', sample, '--out', sample, '--force');
  assert.equal(p.status, 1);
  assert.match(p.stderr, /^halite: --out .*sample_submission\.csv is --sample .*sample_submission\.csv, which writing it would destroy; name another file \(nothing was written\)\n$/);
  assert.equal(readFileSync(sample, 'utf8'), sampleText);
  assert.equal(readdirSync(testImages).length > 0, true);

  // The strip's expected mask: its one tile, edge-replicated by hand, predicted in this process, thresholded at the median.
  const { loadRun } = await import('../src/infer/run.js');
  const { predictProbabilities } = await import('../src/infer/predict.js');
  const tile = new Float32Array(PIXELS);
  for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) tile[y * TILE + x] = Math.round(strip[Math.min(y, 49) * TILE + x]! * 255) / 255;
  const loaded = loadRun(run);
  const probs = predictProbabilities(loaded.model, tile, { tta: true }).subarray(0, 50 * TILE);
  loaded.model.dispose();
  const threshold = [...probs].sort((a, b) => a - b)[Math.floor(probs.length / 2)]!.toFixed(6);

  const masks = join(root, 'masks');
  p = halite('--threads', '2', 'predict', '--run', run, '--images', images, '--out', out, '--masks', masks, '--threshold', threshold);
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /skipped 1 file in .*mixed that is not \.png \(README\.txt\)/);
  assert.match(p.stdout, /wrote .*sub\.csv: 2 tiles/);
  assert.match(p.stdout, /2 images are not 101x101 .*: cut into \d+ overlapping tiles, predicted and stitched .*masks are in --masks .*a Kaggle submission holds only 101x101 tiles/);
  assert.deepEqual(firstColumn(out).slice(1).sort(), [...testIds].sort());
  assert.deepEqual(readdirSync(masks).sort(), [...testIds.map((id) => `${id}.png`), 'strip.png', 'wide.png'].sort());
  // PIL reads each mask at its image's size, with 0 and 255 only.
  const pil = JSON.parse(execFileSync('/usr/bin/python3', ['-c', 'import sys, json; from PIL import Image; ' +
    'ims = [Image.open(p) for p in sys.argv[1:]]; print(json.dumps([[*im.size, sorted(set(im.getdata()))] for im in ims] + [list(ims[1].getdata())]))',
  join(masks, 'wide.png'), join(masks, 'strip.png')], { encoding: 'utf8' }));
  assert.deepEqual(pil[0].slice(0, 2), [150, 120]);
  assert.deepEqual(pil[1].slice(0, 2), [101, 50]);
  for (const [, , values] of pil.slice(0, 2)) assert.ok(values.every((v: number) => v === 0 || v === 255), String(values));
  const got: number[] = pil[2];
  let agree = 0;
  for (let i = 0; i < got.length; i++) agree += Number((got[i] === 255) === (probs[i]! > Number(threshold)));
  assert.ok(agree >= 0.995 * got.length, `${agree} of ${got.length} pixels agree with the hand-tiled prediction`);

  // The run's validation predictions scored without --run: the error suggests it.
  const val = join(root, 'val.csv');
  p = halite('--threads', '2', 'predict', '--run', run, '--val', '--out', val, '--precision', 'bf16');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /libtorch \(bf16\) in/);
  const bf16Rows = readFileSync(val, 'utf8');
  // An existing file is not written over without --force (a data set's train.csv was lost that way).
  p = halite('--threads', '2', 'predict', '--run', run, '--val', '--out', val);
  assert.equal(p.status, 1);
  assert.match(p.stderr, /^halite: --out .*val\.csv already exists; name a new file, or pass --force to replace it \(nothing was written\)\n$/);
  assert.equal(readFileSync(val, 'utf8'), bf16Rows);
  p = halite('--threads', '2', 'predict', '--run', run, '--val', '--out', val, '--force');
  assert.equal(p.status, 0, p.stderr);
  assert.equal(firstColumn(val).length, bf16Rows.trim().split('\n').length, 'bf16 and fp32 predict the same tiles');
  // --engine auto times both engines once, says which it took, and remembers it in XDG_CACHE_HOME.
  const cache = { XDG_CACHE_HOME: join(root, 'cache') };
  p = haliteWith(cache, '--threads', '2', 'predict', '--run', run, '--val', '--out', val, '--engine', 'auto', '--force');
  assert.equal(p.status, 0, p.stderr);
  const picked = /engine auto: (libtorch|onnxruntime), [\d.]+ tiles\/s against [\d.]+ for (libtorch|onnxruntime) on this machine \(measured now; remembered in (.*engines\.json);/.exec(p.stdout);
  assert.ok(picked && picked[1] !== picked[2] && picked[3] === join(root, 'cache', 'halite', 'engines.json'), p.stdout);
  assert.match(p.stdout, new RegExp(`, ${picked![1]} in `));
  p = haliteWith(cache, '--threads', '2', 'predict', '--run', run, '--val', '--out', val, '--engine', 'auto', '--force');
  assert.match(p.stdout, new RegExp(`engine auto: ${picked![1]}, .*\\(measured \\d{4}-\\d\\d-\\d\\d, remembered in `), p.stdout);
  const e = halite('evaluate', '--data', data, '--submission', val);
  assert.equal(e.status, 1);
  const n = firstColumn(val).length - 1;
  assert.ok(n > 0 && n < 48);
  assert.ok(e.stderr.includes(`val.csv: missing ${48 - n} id(s)`), e.stderr);
  assert.ok(e.stderr.includes(`\nIt covers ${n} of the 48 training tiles: `) && e.stderr.includes('add --run RUN_DIR'), e.stderr);
  const ok = halite('evaluate', '--data', data, '--submission', val, '--run', run, '--json');
  assert.equal(ok.status, 0, ok.stderr);
});

test('bin/halite.js runs dist/ when it is as new as src/, else src/ through tsx with a note naming the newer file', () => {
  // A package of its own: bin/halite.js, a src/ and a dist/ main that say which one ran.
  const pkg = join(root, 'pkg');
  for (const d of ['bin', 'src/cli', 'dist/cli']) mkdirSync(join(pkg, d), { recursive: true });
  copyFileSync('bin/halite.js', join(pkg, 'bin', 'halite.js'));
  symlinkSync(resolve('node_modules'), join(pkg, 'node_modules'));
  writeFileSync(join(pkg, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(pkg, 'src', 'cli', 'main.ts'), "const from: string = 'src';\nconsole.log(from);\n");
  writeFileSync(join(pkg, 'src', 'cli', 'parse.ts'), 'export {};\n');
  writeFileSync(join(pkg, 'dist', 'cli', 'main.js'), "console.log('dist');\n");
  const run = (env: Record<string, string> = {}) => {
    const e = { ...process.env, ...env };
    if (!env.HALITE_FROM_SOURCE) delete e.HALITE_FROM_SOURCE;
    const r = spawnSync(process.execPath, [join(pkg, 'bin', 'halite.js')], { encoding: 'utf8', env: e });
    assert.equal(r.status, 0, r.stderr);
    return { ran: r.stdout.trim(), note: r.stderr.trim() };
  };
  const at = (file: string, s: number) => utimesSync(join(pkg, file), s, s);
  // As npm installs a package: every file the same time.
  for (const f of ['src/cli/main.ts', 'src/cli/parse.ts', 'dist/cli/main.js']) at(f, 1_000_000);
  assert.deepEqual(run(), { ran: 'dist', note: '' });
  at('src/cli/parse.ts', 1_000_100);
  const stale = run();
  assert.equal(stale.ran, 'src');
  assert.match(stale.note, /^halite: dist\/ is older than src\/cli\/parse\.ts; running the sources through tsx .*npx tsc/);
  assert.deepEqual(run({ HALITE_FROM_SOURCE: '1' }), { ran: 'src', note: '' });
  rmSync(join(pkg, 'dist'), { recursive: true });
  assert.match(run().note, /^halite: dist\/ is not built; running the sources through tsx/);
});

test("torchrun's LOCAL_WORLD_SIZE shares the machine's cores among its ranks; HALITE_THREADS and --threads still decide", () => {
  const threads = (extra: Record<string, string>, ...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, HALITE_FROM_SOURCE: '1', ...extra };
    if (extra.HALITE_THREADS === undefined) delete env.HALITE_THREADS;
    const r = spawnSync(process.execPath, ['bin/halite.js', ...args, 'doctor'], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    return Number(/^threads\s+(\d+)/m.exec(r.stdout)![1]);
  };
  const cores = availableParallelism();
  assert.equal(threads({ LOCAL_WORLD_SIZE: String(cores) }), 1);
  assert.equal(threads({ LOCAL_WORLD_SIZE: '1' }), cores);
  assert.equal(threads({ LOCAL_WORLD_SIZE: String(cores), HALITE_THREADS: '3' }), 3);
  assert.equal(threads({ LOCAL_WORLD_SIZE: String(cores) }, '--threads', '2'), 2);
});
