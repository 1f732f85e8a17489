// A model without BatchNorm for test/ddp.test.ts, so that two ranks with half batches and one process
// with the whole batch compute the same gradients (per-rank BatchNorm statistics would differ).
import * as nn from '../../src/nn/index.js';
import type { Tensor } from '../../src/torch/index.js';
import { registerModel } from '../../src/models/registry.js';

class TinyNet extends nn.Module {
  private readonly a = this.module('a', new nn.Conv2d(1, 4, 3, { padding: 1 }));
  private readonly b = this.module('b', new nn.Conv2d(4, 1, 3, { padding: 1 }));
  forward(x: Tensor): Tensor { return this.b.forward(this.a.forward(x).relu()); }
}

/** Registers 'ddp-tiny' (conv 1→4, ReLU, conv 4→1; 3×3, padded). */
export function registerTinyNet(): void {
  registerModel('ddp-tiny', { description: 'test only: two convolutions, no BatchNorm', defaults: {}, build: () => new TinyNet() });
}
