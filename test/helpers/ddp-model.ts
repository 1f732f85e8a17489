// Models for test/ddp.test.ts: without BatchNorm, two ranks with half batches and one process with the
// whole batch compute the same gradients; with it, only when BatchNorm is synchronised.
import * as nn from '../../src/nn/index.js';
import type { Tensor } from '../../src/torch/index.js';
import { registerModel } from '../../src/models/registry.js';

class TinyNet extends nn.Module {
  private readonly a = this.module('a', new nn.Conv2d(1, 4, 3, { padding: 1 }));
  private readonly b = this.module('b', new nn.Conv2d(4, 1, 3, { padding: 1 }));
  forward(x: Tensor): Tensor { return this.b.forward(this.a.forward(x).relu()); }
}

/** TinyNet with a BatchNorm after the first convolution (which then has no bias: BatchNorm's own takes its place). */
class TinyBNNet extends nn.Module {
  private readonly a = this.module('a', new nn.Conv2d(1, 4, 3, { padding: 1, bias: false }));
  private readonly bn = this.module('bn', new nn.BatchNorm2d(4));
  private readonly b = this.module('b', new nn.Conv2d(4, 1, 3, { padding: 1 }));
  forward(x: Tensor): Tensor { return this.b.forward(this.bn.forward(this.a.forward(x)).relu()); }
}

/** Registers 'ddp-tiny' (conv 1→4, ReLU, conv 4→1; 3×3, padded) and 'ddp-tiny-bn' (the same with a BatchNorm before the ReLU). */
export function registerTinyNet(): void {
  registerModel('ddp-tiny', { description: 'test only: two convolutions, no BatchNorm', defaults: {}, build: () => new TinyNet() });
  registerModel('ddp-tiny-bn', { description: 'test only: two convolutions with a BatchNorm between', defaults: {}, build: () => new TinyBNNet() });
}
