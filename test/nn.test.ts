// Modules: PyTorch's names and counts, state dicts and their errors, layers and initialisers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../src/torch/index.js';
import * as nn from '../src/nn/index.js';
import { ResUNet } from '../src/models/resunet.js';
import { createModel, listModels } from '../src/models/registry.js';

test('Sequential names, parameter counts and state-dict order follow torch.nn', () => {
  const m = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 'same' }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Conv2d(4, 2, 1, { bias: false }));
  assert.deepEqual([...m.stateDict().keys()], [
    '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '3.weight',
  ]);
  assert.equal(m.numParameters(), 4 * 9 + 4 + 4 + 4 + 8);
  const lin = new nn.Linear(10, 3);
  assert.equal(lin.numParameters(), 33);
  assert.deepEqual(new nn.ConvTranspose2d(8, 4, 3).weight.shape, [8, 4, 3, 3]);
  assert.equal(new nn.Conv2d(8, 4, 3, { groups: 2 }).numParameters(), 4 * 4 * 9 + 4);
  assert.throws(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /divide by groups/);
  const out = T.tidy(() => m.forward(T.rand([2, 1, 8, 8])).shape);
  assert.deepEqual(out, [2, 2, 8, 8]);
});

test('loadStateDict: copies values, and names missing, unexpected and mis-shaped keys', () => {
  const a = new nn.Sequential(new nn.Linear(3, 2), new nn.Linear(2, 1));
  const b = new nn.Sequential(new nn.Linear(3, 2), new nn.Linear(2, 1));
  b.loadStateDict(a.stateDict());
  for (const [k, t] of a.stateDict()) assert.ok(t.equal(b.stateDict().get(k)!), k);
  const sd = new Map(a.stateDict());
  sd.delete('1.bias');
  assert.throws(() => b.loadStateDict(sd), /missing keys: 1\.bias/);
  const extra = new Map(a.stateDict());
  extra.set('2.weight', T.zeros([1]));
  assert.throws(() => b.loadStateDict(extra), /unexpected keys: 2\.weight/);
  const bad = new Map(a.stateDict());
  bad.set('0.weight', T.zeros([2, 4]));
  assert.throws(() => b.loadStateDict(bad), /0\.weight: expected shape \[2, 3\], got \[2, 4\]/);
  assert.deepEqual(b.loadStateDict(sd, false).missing, ['1.bias']);
});

test('train/eval switch dropout and batch-norm statistics; BN running stats use PyTorch momentum', () => {
  const bn = new nn.BatchNorm2d(1, { momentum: 0.1 });
  T.tidy(() => {
    const x = T.tensor([1, 2, 3, 6]).reshape(4, 1, 1, 1);
    bn.train().forward(x);
    // mean 3, unbiased var (4+1+0+9)/3 = 14/3.
    assert.ok(Math.abs(bn.runningMean!.item() - 0.3) < 1e-6);
    assert.ok(Math.abs(bn.runningVar!.item() - (0.9 + 0.1 * 14 / 3)) < 1e-6);
    assert.equal(bn.numBatchesTracked!.item(), 1);
    const y = bn.eval().forward(x).toNumbers();
    const sd = Math.sqrt(0.9 + 0.1 * 14 / 3 + 1e-5);
    y.forEach((v, i) => assert.ok(Math.abs(v - ([1, 2, 3, 6][i]! - 0.3) / sd) < 1e-5));
    const drop = new nn.Dropout(0.5);
    assert.deepEqual(drop.eval().forward(T.ones([4])).toNumbers(), [1, 1, 1, 1]);
    assert.ok(drop.train().forward(T.ones([100])).toNumbers().some((v) => v === 0));
  });
});

test('initialisers: Glorot uniform and Kaiming bounds, zero bias', () => {
  T.manualSeed(0);
  const keras = new nn.Conv2d(16, 32, 3, { init: 'keras' });
  const limit = Math.sqrt(6 / (16 * 9 + 32 * 9));
  const w = keras.weight.toNumbers();
  assert.ok(w.every((v) => Math.abs(v) <= limit));
  assert.ok(Math.max(...w.map(Math.abs)) > 0.95 * limit, 'draws fill the range');
  assert.ok(keras.bias!.toNumbers().every((v) => v === 0));
  const torchDefault = new nn.Conv2d(16, 32, 3);
  const bound = 1 / Math.sqrt(16 * 9); // kaiming_uniform(a=sqrt(5)): gain*sqrt(3/fan_in) = 1/sqrt(fan_in)
  const tw = torchDefault.weight.toNumbers();
  assert.ok(tw.every((v) => Math.abs(v) <= bound) && Math.max(...tw.map(Math.abs)) > 0.95 * bound);
  assert.ok(torchDefault.bias!.toNumbers().every((v) => Math.abs(v) <= bound));
  T.tidy(() => {
    const t = T.empty([256, 128]);
    nn.init.kaimingNormal_(t, 0, 'relu');
    const std = Math.sqrt(t.var().item());
    assert.ok(Math.abs(std - Math.sqrt(2 / 128)) < 0.005);
  });
});

test("the seed's residual U-Net: 5,112,497 trainable parameters, 101x101 logits", () => {
  const m = new ResUNet();
  assert.equal(m.numParameters(), 5112497);
  m.eval();
  const shape = T.tidy(() => T.noGrad(() => m.forward(T.rand([2, 1, 101, 101])).shape));
  assert.deepEqual(shape, [2, 1, 101, 101]);
  assert.throws(() => T.tidy(() => m.forward(T.rand([1, 1, 128, 128]))), /101x101 tiles or crops of side 101 - 16k.*got 128x128: try 101$/);
  assert.throws(() => T.tidy(() => m.forward(T.rand([1, 1, 70, 70]))), /got 70x70: try 69 or 85/);
  // A crop of side 101 - 32 halves 69 -> 34 -> 17 -> 8 -> 4 with 101's parities, so every skip matches.
  const crop = T.tidy(() => T.noGrad(() => m.forward(T.rand([1, 1, 69, 69])).shape));
  assert.deepEqual(crop, [1, 1, 69, 69]);
  m.to({ memoryFormat: 'channelsLast' });
  assert.ok(m.stateDict().get('enc1.conv.weight')!.isContiguous('channelsLast'));
  m.dispose();
});

test('resunet with scSE adds one scSE per level: 15,159 parameters by hand', () => {
  // scSE(c) with reduction 16, m = max(1, c/16): c·m + m (squeeze) + m·c + c (excite) + c + 1 (spatial 1x1).
  // Levels 16, 32, 64, 128, 256 (middle), 128, 64, 32, 16: 66 + 195 + 645 + 2,313 + 8,721 + 2,313 + 645 + 195 + 66.
  const m = createModel('resunet', { scse: true });
  assert.equal(m.numParameters(), 5112497 + 15159);
  m.eval();
  assert.deepEqual(T.tidy(() => T.noGrad(() => m.forward(T.rand([2, 1, 101, 101])).shape)), [2, 1, 101, 101]);
  assert.ok(m.stateDict().has('dec1.scse.sse.weight'));
  m.dispose();
});

test('resunet of depth 3 with a dilated middle and FPA: 84,398 parameters by hand, 101x101 logits at every depth', () => {
  // Level(cin, f) = 9·cin·f + f (entry conv) + two residual blocks of 18f² + 6f, the second with its
  // final BN (+2f): 9·cin·f + 36f² + 15f. Widths 4, 8, 16, middle 32:
  // enc 672 + 2,712 + 10,608; middle 41,952; FPA(32, 32) 1,024 (global 1x1) + 1,088 (1x1 + BN)
  // + 1,570 (7x7 to 1 + BN) + 27 + 11 + 11 + 27 + 51 (one-channel 5x5, 3x3, 3x3, 5x5, 7x7 + BN) = 3,809;
  // transposed convs 18f² + f: 4,624 + 1,160 + 292; decoder Level(2f, f) = 54f² + 15f: 14,064 + 3,576 + 924; head 5.
  const o = { startFilters: 4, depth: 3, dilations: [2, 4], fpa: true };
  const m = createModel('resunet', o);
  assert.equal(m.numParameters(), 84398);
  assert.ok(m.stateDict().has('middle.fpa.down1.conv.weight') && !m.stateDict().has('enc4.conv.weight'));
  // The dilations are in the function, not only in the options: the same weights without them give another output.
  const plain = createModel('resunet', { ...o, dilations: [1, 1] });
  plain.loadStateDict(m.stateDict());
  m.eval(); plain.eval();
  const x = T.rand([2, 1, 101, 101]);
  const [a, b] = T.tidy(() => T.noGrad(() => [m.forward(x).toArray() as Float32Array, plain.forward(x).toArray() as Float32Array]));
  assert.equal(a.length, 2 * 101 * 101);
  assert.ok(a.some((v, i) => Math.abs(v - b[i]!) > 1e-4), 'dilation 2 and 4 change the middle');
  for (const depth of [1, 2, 5]) {
    const d = createModel('resunet', { startFilters: 2, depth });
    d.eval();
    assert.deepEqual(T.tidy(() => T.noGrad(() => d.forward(x).shape)), [2, 1, 101, 101], `depth ${depth}`);
    d.dispose();
  }
  assert.throws(() => createModel('resunet', { depth: 6 }), /depth must be an integer from 1 to 5/);
  assert.throws(() => createModel('resunet', { dilations: [2] }), /dilations must be two positive integers/);
  T.dispose([x]);
  m.dispose(); plain.dispose();
});

test('resunet widths per level: 6,108 parameters by hand for [3, 5, 7] at depth 2; the doubling widths build the default network', () => {
  // Depth 2, widths a, b (encoder) and m (middle), with Level(cin, f) = 9·cin·f + 36f² + 15f:
  // enc Level(1, a) + Level(a, b); middle Level(b, m); transposed convs 9·m·b + b and 9·b·a + a;
  // decoders Level(2b, b) + Level(2a, a); head a + 1. In all 90a² + 41a + 18ab + 90b² + 31b + 18bm + 36m² + 15m + 1.
  const count = (a: number, b: number, m: number) => 90 * a * a + 41 * a + 18 * a * b + 90 * b * b + 31 * b + 18 * b * m + 36 * m * m + 15 * m + 1;
  const narrow = createModel('resunet', { depth: 2, widths: [3, 5, 7] });
  assert.equal(count(3, 5, 7), 6108);
  assert.equal(narrow.numParameters(), 6108);
  const shapes = (m: ReturnType<typeof createModel>) => [...m.stateDict()].map(([k, t]) => `${k} ${t.shape.join('x')}`);
  assert.ok(shapes(narrow).includes('up2.weight 7x5x3x3') && shapes(narrow).includes('head.weight 1x3x1x1'));
  // widths [4, 8, 16] is what startFilters 4 doubles to: the same parameters, name by name and shape by shape.
  const doubled = createModel('resunet', { startFilters: 4, depth: 2 }), listed = createModel('resunet', { depth: 2, widths: [4, 8, 16] });
  assert.equal(doubled.numParameters(), count(4, 8, 16));
  assert.deepEqual(shapes(listed), shapes(doubled));
  narrow.eval();
  const x = T.rand([2, 1, 101, 101]);
  assert.deepEqual(T.tidy(() => T.noGrad(() => narrow.forward(x).shape)), [2, 1, 101, 101]);
  assert.throws(() => createModel('resunet', { depth: 3, widths: [8, 16, 32] }), /widths must be empty or list depth \+ 1 = 4 positive integers .*got \[8,16,32\]/);
  assert.throws(() => createModel('resunet', { depth: 1, widths: [8, 0] }), /widths must be empty or list depth \+ 1 = 2 positive integers/);
  T.dispose([x]);
  for (const m of [narrow, doubled, listed]) m.dispose();
});

test("the seed's plain U-Net: 2,158,417 parameters, 101 -> 128 -> 101", () => {
  // By hand, 16 start filters: encoder 2,480 + 13,888 + 55,424 + 221,440 + middle 885,248;
  // decoder (transposed conv + two convs) 737,664 + 184,512 + 46,176 + 11,568; 1x1 head 17.
  const m = createModel('unet');
  assert.equal(m.numParameters(), 2158417);
  m.eval();
  assert.deepEqual(T.tidy(() => T.noGrad(() => m.forward(T.rand([2, 1, 101, 101])).shape)), [2, 1, 101, 101]);
  assert.equal(createModel('resunet', { startFilters: 8 }).numParameters() < 5112497 / 3, true);
  assert.throws(() => createModel('vnet'), /unknown model 'vnet' \(known: unet, resunet, encoder-unet\)/);
  assert.throws(() => createModel('unet', { startFilter: 8 }), /model 'unet' has no option 'startFilter'/);
  assert.deepEqual(listModels().map((e) => e.name), ['unet', 'resunet', 'encoder-unet']);
  m.dispose();
});

test('call() frees what forward() makes and keeps its output; forward() alone leaves them to the caller', () => {
  class Affine extends nn.Module {
    forward(x: T.Tensor): T.Tensor { return x.mul(2).add(1).relu(); } // two intermediates, one output
  }
  class Twice extends nn.Module {
    private readonly a = this.module('a', new Affine());
    forward(x: T.Tensor): T.Tensor { return this.a.call(this.a.call(x)).neg(); }
  }
  class Fails extends nn.Module {
    forward(x: T.Tensor): T.Tensor { x.mul(2).add(1); throw new Error('bad tile'); }
  }
  const x = T.fromArray(new Float32Array([-1, 0, 2]), [3]);
  const base = T.liveTensors();
  const y = new Affine().call(x);
  assert.equal(T.liveTensors(), base + 1, 'only the output is alive');
  assert.deepEqual([...y.toArray()], [0, 1, 5]); // relu(2x + 1)
  const z = new Twice().call(x);
  assert.equal(T.liveTensors(), base + 2, 'nested calls: only the outer output is added');
  assert.deepEqual([...z.toArray()], [-1, -3, -11]); // -relu(2·relu(2x + 1) + 1)
  assert.throws(() => new Fails().call(x), /bad tile/);
  assert.equal(T.liveTensors(), base + 2, 'a throwing forward frees what it made');
  const inner = T.tidy(() => {
    const out = new Affine().call(x);
    assert.equal(T.liveTensors(), base + 3, 'inside tidy: the output lives on');
    return out.sum().item();
  });
  assert.equal(inner, 6);
  assert.equal(T.liveTensors(), base + 2, 'the enclosing scope frees the output it did not return');
  new Affine().forward(x); // outside any scope its intermediates wait for the garbage collector
  assert.equal(T.liveTensors(), base + 5);
  [y, z].forEach((t) => t.dispose());
});

test('inline(): a part registers under its parent\'s names, train/eval reach it, a name taken twice is refused', () => {
  class Part extends nn.Module {
    readonly drop = this.module('drop', new nn.Dropout(0.5));
    readonly head = this.module('head', new nn.Conv2d(2, 1, 1));
    forward(x: T.Tensor): T.Tensor { return this.head.call(this.drop.call(x)); }
  }
  class Whole extends nn.Module {
    readonly body = this.module('body', new nn.Conv2d(1, 2, 1));
    readonly part = this.inline(new Part());
    constructor(clash = false) {
      super();
      if (clash) this.module('head', new nn.Identity());
    }
    forward(x: T.Tensor): T.Tensor { return this.part.call(this.body.call(x)); }
  }
  const m = new Whole();
  assert.deepEqual([...m.stateDict().keys()], ['body.weight', 'body.bias', 'head.weight', 'head.bias']);
  assert.deepEqual([...m.namedChildren()].map(([n]) => n), ['body', 'drop', 'head']);
  m.eval();
  assert.equal(m.part.drop.training, false);
  assert.deepEqual(T.tidy(() => m.call(T.rand([1, 1, 4, 4])).shape), [1, 1, 4, 4]);
  assert.throws(() => new Whole(true), /Whole: 'head' is registered twice/);
});
