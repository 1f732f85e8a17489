// The run config: preset, file and flags deep-merged; every option (each phase's loss, the model's
// option keys, nested fields, unknown keys) refused at resolve time; reading a finished run needs none
// of its training inputs, while training or resuming it names the one that is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromFlags } from '../src/cli/config-flags.js';
import { writeSynth } from '../src/data/synth/generate.js';
import { writeReport } from '../src/report/report.js';
import { checkTrainingInputs, readRunConfig, resolveConfig, runDataFolder, type TrainConfig } from '../src/run/config.js';
import { preset } from '../src/train/presets.js';
import { train } from '../src/train/trainer.js';

const root = mkdtempSync(join(tmpdir(), 'halite-config-'));
const quiet = { log: () => {} };

test('deep merge: a file with optimizer {lr} keeps the preset optimizer; arrays and null replace whole; modelOptions merge', () => {
  const winner = preset('resnet34-winner').config;
  const c = resolveConfig([winner, { optimizer: { lr: 0.02 }, modelOptions: { scse: false }, phases: [{ loss: 'bce', epochs: 2 }], augmentations: [{ type: 'hflip', p: 0.5 }], earlyStopping: { patience: 3 } }]);
  assert.deepEqual(c.optimizer, { name: 'sgd', lr: 0.02, momentum: 0.9, weightDecay: 1e-4 });
  assert.equal(c.modelOptions.encoder, 'resnet34_3x3', 'the preset encoder survives {"scse": false}');
  assert.equal(c.modelOptions.scse, false);
  assert.equal(c.modelOptions.input, 'pad');
  assert.deepEqual(c.phases, [{ loss: 'bce', epochs: 2 }], 'a phase list is one value: the preset phases are gone, not merged index by index');
  assert.deepEqual(c.augmentations, [{ type: 'hflip', p: 0.5 }]);
  assert.equal(c.batchSize, 16, 'untouched preset fields stay');
  // null switches a behaviour off, and an object replaces a null below it.
  assert.equal(resolveConfig([{ reduceLROnPlateau: null }]).reduceLROnPlateau, null);
  assert.deepEqual(resolveConfig([{ heads: { classifier: 0.5 } }]).heads, { classifier: 0.5, deepSupervision: 0.1 });
  // Another model or optimizer starts its options afresh (encoder-unet options mean nothing to resunet; sgd's momentum nothing to adam).
  assert.deepEqual(resolveConfig([winner, { model: 'resunet' }]).modelOptions, {});
  assert.deepEqual(resolveConfig([winner, { optimizer: { name: 'adam' } }]).optimizer, { name: 'adam', lr: 0.01 });
});

test('the CLI layers preset, file and flags through the same merge', async () => {
  const file = join(root, 'partial.json');
  writeFileSync(file, JSON.stringify({ optimizer: { weightDecay: 0 }, modelOptions: { dropout: 0.1 } }));
  const bad = join(root, 'bad.json');
  writeFileSync(bad, JSON.stringify({ phases: [{ loss: 'nope', epochs: 1 }] }));
  const c = await configFromFlags({ preset: 'resnet34-winner', config: file, modelOptions: '{"scse":false}', lr: 0.05, epochs: [1, 4] });
  assert.deepEqual(c.optimizer, { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0 });
  assert.deepEqual([c.modelOptions.encoder, c.modelOptions.dropout, c.modelOptions.scse], ['resnet34_3x3', 0.1, false]);
  assert.deepEqual(c.phases.map((p) => [p.epochs, p.schedule?.cycles]), [[1, undefined], [4, 4]]);
  await assert.rejects(configFromFlags({ epochs: [6] }),
    /--epochs lists 1 phase\(s\) but the config has 2 \(bce, lovasz\); give one count per phase \(--epochs 30,20\) or name the losses too \(--losses bce\)/);
  await assert.rejects(configFromFlags({ epochs: [6], losses: 'bce,lovasz' }), /--epochs lists 1 phase\(s\) but --losses 2; give one epoch count per loss, e.g\. --epochs 10,10/);
  // A wrong model name is the first thing said, before an epoch count that would not fit its phases.
  await assert.rejects(configFromFlags({ model: 'nosuch', epochs: [1] }), /^Error: --model: unknown model 'nosuch' \(known: unet, resunet, encoder-unet\)/);
  // A resunet value that shapes the network is refused with the config, by its flag, before anything is built.
  await assert.rejects(configFromFlags({ preset: 'cpu-60min', modelOptions: '{"widths":[0,32,64,128]}' }),
    /^Error: --model-options: resunet option widths must be empty or list depth \+ 1 = 4 positive integers .*got \[0,32,64,128\]/);
  await assert.rejects(configFromFlags({ preset: 'cpu-60min', modelOptions: '{"depth":4,"widths":[12,32,64,128]}' }), /^Error: --model-options: .*depth \+ 1 = 5 positive/);
  assert.throws(() => resolveConfig([{ model: 'resunet', modelOptions: { dilations: [2] } }], 'run.json'), /run\.json\.modelOptions: resunet option dilations must be two positive integers/);
  // A fault in what a flag set is told by the flag, not by the merged config's field (cpu-60min.phases[2].loss).
  await assert.rejects(configFromFlags({ preset: 'cpu-60min', losses: 'bce,lovasz,foo', epochs: [1, 1, 1] }), /^Error: --losses \(loss 3 of bce,lovasz,foo\): unknown loss 'foo' \(known: /);
  // An empty --name is refused, not taken as no name (which would train under a made-up one).
  await assert.rejects(configFromFlags({ preset: 'cpu-60min', name: '' }), /^Error: --name: must be a non-empty string, got ""/);
  await assert.rejects(configFromFlags({ device: 'gpu' }), /^Error: --device: must be cpu, cuda or cuda:N, got "gpu"/);
  // A fault the preset itself holds keeps its field's name.
  await assert.rejects(configFromFlags({ config: bad, lr: 0.1 }), /bad\.json\.phases\[0\]\.loss: unknown loss 'nope'/);
  await assert.rejects(configFromFlags({ config: '/nope/halite.json' }), /\/nope\/halite\.json: cannot read: no such file; check the path/);
});

test('every phase loss is checked before training, naming the phase, the loss and the known ones', () => {
  const phases = (loss: unknown) => [{ loss: 'bce', epochs: 1 }, { loss, epochs: 1 }] as TrainConfig['phases'];
  assert.throws(() => resolveConfig([{ phases: phases('lovaz') }], 'my.json'),
    { name: 'ConfigError', message: "my.json.phases[1].loss: unknown loss 'lovaz' (known: bce, dice, focal, lovasz, bce_dice, sum)" });
  assert.throws(() => resolveConfig([{ phases: phases({ name: 'lovasz', activaton: 'elu' }) }]),
    /config\.phases\[1\]\.loss\.activaton: loss 'lovasz' has no option 'activaton' \(options: perImage, activation, symmetric\)/);
  assert.throws(() => resolveConfig([{ phases: phases({ name: 'lovasz', activation: 'tanh' }) }]), /phases\[1\]\.loss\.activation: must be "relu" or "elu", got "tanh"/);
  assert.throws(() => resolveConfig([{ phases: phases({ name: 'sum', terms: [{ weight: 1, loss: 'bce' }, { weight: 1, loss: 'hinge' }] }) }]),
    /phases\[1\]\.loss\.terms\[1\]\.loss: unknown loss 'hinge'/);
  assert.throws(() => resolveConfig([{ phases: [{ epochs: 1 }] as TrainConfig['phases'] }]), /phases\[0\]\.loss: is missing/);
  assert.throws(() => resolveConfig([{ phases: [{ loss: 'bce', epochs: 1, shedule: {} }] as TrainConfig['phases'] }]), /phases\[0\]\.shedule: unknown field \(known: loss, epochs, lr, schedule, snapshots, crop\)/);
});

test('unknown keys, model names and options, and nested fields are refused with the field and what is known', () => {
  assert.throws(() => resolveConfig([{ batchsize: 8 } as never], 'run.json'), /run\.json\.batchsize: unknown field; did you mean batchSize\? \(known: data, runsDir, name, model, .*batchSize/);
  assert.throws(() => resolveConfig([{ model: 'vnet' }]), /config\.model: unknown model 'vnet' \(known: unet, resunet, encoder-unet\)/);
  assert.throws(() => resolveConfig([{ model: 'unet', modelOptions: { startFilter: 8 } }]), /config\.modelOptions: model 'unet' has no option 'startFilter'/);
  assert.throws(() => resolveConfig([preset('resnet34-winner').config, { modelOptions: { scce: true } }]), /modelOptions: model 'encoder-unet' has no option 'scce'/);
  assert.throws(() => resolveConfig([{ optimizer: { momentun: 0.9 } as never }]), /config\.optimizer\.momentun: unknown field \(known: name, lr, weightDecay, momentum\)/);
  assert.throws(() => resolveConfig([{ optimizer: { name: 'sgd', momentum: 1.5 } }]), /optimizer\.momentum: must be in \[0, 1\), got 1\.5/);
  // A run's name is one folder inside runsDir: nothing that climbs out of it or nests.
  for (const name of ['../../etc/x', 'a/b', 'a\\b', '..', '.']) {
    assert.throws(() => resolveConfig([{ name }]), /config\.name: must be one folder name, without \/ or \\ and not \. or \.\., got .*: put the folder part in the runs folder \(--runs, or "runsDir" in a config file\)/, name);
  }
  assert.equal(resolveConfig([{ name: 'my run..2' }]).name, 'my run..2');
  assert.throws(() => resolveConfig([{ device: 'cuda:x' }]), /config\.device: must be cpu, cuda or cuda:N, got "cuda:x"/);
  assert.equal(resolveConfig([{ device: 'cuda:1' }]).device, 'cuda:1');
  assert.throws(() => resolveConfig([{ reduceLROnPlateau: { factor: 2, patience: 5, minLr: 0 } }]), /reduceLROnPlateau\.factor: must be in \(0, 1\), got 2/);
  assert.throws(() => resolveConfig([{ earlyStopping: { patience: 0 } }]), /earlyStopping\.patience: must be a positive integer/);
  assert.throws(() => resolveConfig([{ earlyStopping: { patiance: 3 } as never }]), /earlyStopping\.patiance: unknown field \(known: patience\)/);
  assert.throws(() => resolveConfig([{ sweep: { steps: 2.5 } }]), /sweep\.steps: must be a positive integer, got 2\.5/);
  assert.throws(() => resolveConfig([{ sweep: { from: 0.9, to: 0.1 } }]), /config\.sweep: needs 0 <= from <= to <= 1/);
  // Every field a run writes is known: a saved config.json, name and runsDir included, reads back as it was.
  const saved = { ...resolveConfig([{ folds: 5, fold: 1, splitSeed: 3, threads: 2, maxMinutes: 9 }]), name: 'old' };
  const run = join(root, 'old');
  mkdirSync(run);
  writeFileSync(join(run, 'config.json'), JSON.stringify(saved, null, 2));
  assert.deepEqual(readRunConfig(run), saved);
});

test('a finished run reads without its encoder weights or pseudo-labels; training or resuming it names what is gone', async () => {
  const weights = join(root, 'enc.safetensors'), pseudo = join(root, 'pseudo'), data = join(root, 'somedata');
  writeFileSync(weights, 'x');
  mkdirSync(pseudo);
  mkdirSync(data);
  const c = resolveConfig([{ data, model: 'encoder-unet', modelOptions: { encoder: 'resnet18' }, encoderWeights: weights, pseudoLabels: pseudo }]);
  const run = join(root, 'finished');
  mkdirSync(run);
  writeFileSync(join(run, 'config.json'), JSON.stringify({ ...c, name: 'finished' }, null, 2));
  rmSync(weights);
  rmSync(pseudo, { recursive: true });

  assert.equal(readRunConfig(run).encoderWeights, weights, 'reading the run needs neither file');
  // A resume loads the encoder from its checkpoint, so the weights file is not asked for; the pseudo-labels are.
  await assert.rejects(train({ resume: run }, quiet),
    { name: 'ConfigError', message: `${join(run, 'config.json')}.pseudoLabels: pseudo-label folder ${pseudo} not found; resuming this run needs it (put it back there, or set pseudoLabels in the run's config.json to where it is now)` });
  assert.ok(!existsSync(join(run, 'status')), 'refused before the run directory is touched');
  assert.doesNotThrow(() => checkTrainingInputs({ ...c, pseudoLabels: undefined }, 'config.json', { resuming: true }));
  // A new training needs the weights file.
  await assert.rejects(train({ ...c, pseudoLabels: undefined, runsDir: join(root, 'runs'), name: 'fresh' }, quiet),
    /config\.encoderWeights: encoder weights file .*enc\.safetensors not found; training needs it/);
  assert.ok(!existsSync(join(root, 'runs', 'fresh')), 'no run directory is made for a training that cannot start');
});

test('a finished run whose data folder was renamed still reports, and what needs its validation tiles says so', async () => {
  const data = join(root, 'data'), moved = join(root, 'data-moved');
  writeSynth({ out: data, train: 32, test: 2, seed: 3 });
  const r = await train(resolveConfig([{ data, runsDir: join(root, 'runs'), name: 'small', modelOptions: { startFilters: 2 }, batchSize: 16, valFraction: 0.25,
    seed: 1, threads: 1, phases: [{ loss: 'bce', epochs: 1 }], sweep: { from: 0.4, to: 0.6, steps: 3 } }]), quiet);
  const recorded = JSON.parse(readFileSync(join(r.run, 'threshold.json'), 'utf8')).score as number;
  renameSync(data, moved);

  const report = await writeReport(r.run);
  assert.deepEqual(report.sections, ['Summary', 'Training curves', 'Threshold', 'Configuration']);
  assert.equal(report.map, recorded, 'the mAP threshold.json recorded');
  assert.match(report.note!, /data folder .*data is gone \(renamed or deleted\), so this report leaves out the validation scores .*--data DIR/);
  const html = readFileSync(report.path, 'utf8');
  assert.match(html, /<p class="note">The run's data folder .*data is gone/);
  assert.ok(!html.includes('id="gallery"'));
  assert.throws(() => runDataFolder(readRunConfig(r.run), 'start halite serve with --data DIR'),
    /the run's data folder .*data is gone \(renamed or deleted\); the run's validation tiles come from it: start halite serve with --data DIR/);
  // Given the folder's new place, the full report comes back and scores the same.
  const full = await writeReport(r.run, moved);
  assert.equal(full.sections.length, 7);
  assert.ok(Math.abs(full.map - recorded) < 1e-9, `${full.map} vs ${recorded}`);
});
