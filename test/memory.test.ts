// A long training loop holds steady memory: RSS after step 1000 within 5% of RSS after step 100.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../src/torch/index.js';
import * as nn from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';

test('RSS is steady over 1000 training steps', () => {
  T.manualSeed(0);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 'same' }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.Dropout(0.2),
    new nn.Conv2d(8, 1, 3, { padding: 'same' }),
  );
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  let rss100 = 0;
  let loss = 0;
  for (let step = 1; step <= 1000; step++) {
    loss = T.tidy(() => {
      const x = T.rand([8, 1, 32, 32]);
      const y = x.gt(0.5).float();
      opt.zeroGrad();
      const l = T.F.bceWithLogits(model.forward(x), y);
      l.backward();
      opt.step();
      return l.item();
    });
    if (step === 100) rss100 = process.memoryUsage.rss();
  }
  const rss1000 = process.memoryUsage.rss();
  const growth = (rss1000 - rss100) / rss100;
  console.log(`rss step 100 ${(rss100 / 2 ** 20).toFixed(1)} MiB, step 1000 ${(rss1000 / 2 ** 20).toFixed(1)} MiB, growth ${(growth * 100).toFixed(2)}%`);
  assert.ok(Number.isFinite(loss) && loss < 0.69, `the loop trains (loss ${loss})`);
  assert.ok(Math.abs(growth) <= 0.05, `RSS grew ${(growth * 100).toFixed(2)}%`);
});
