// Encoders by name, as configs and presets refer to them, and ImageNet weights loading.
import { existsSync } from 'node:fs';
import { loadSafetensors } from '../../io/safetensors.js';
import { StateDictError } from '../../nn/module.js';
import { dispose } from '../../torch/scope.js';
import type { Tensor } from '../../torch/tensor.js';
import type { Encoder } from './encoder.js';
import { ResNet, type EncoderOptions } from './resnet.js';
import { SEResNeXt } from './senet.js';

export { Encoder } from './encoder.js';
export { ResNet } from './resnet.js';
export { SEResNeXt } from './senet.js';
export { Bottleneck, SEModule } from './blocks.js';

interface EncoderEntry { description: string; build(o: EncoderOptions): Encoder }

const ENCODERS: Record<string, EncoderEntry> = {
  resnet18: { description: 'torchvision resnet18 (basic blocks 2-2-2-2)', build: (o) => new ResNet({ block: 'basic', layers: [2, 2, 2, 2] }, o) },
  resnet34: { description: 'torchvision resnet34 (basic blocks 3-4-6-3)', build: (o) => new ResNet({ block: 'basic', layers: [3, 4, 6, 3] }, o) },
  resnet34_3x3: {
    description: "the winners' resnet34: 3x3 stride-1 stem, no max-pool (finer maps for 101px tiles)",
    build: (o) => new ResNet({ block: 'basic', layers: [3, 4, 6, 3], stem: '3x3' }, o),
  },
  resnet50: { description: 'torchvision resnet50 (bottlenecks 3-4-6-3)', build: (o) => new ResNet({ block: 'bottleneck', layers: [3, 4, 6, 3] }, o) },
  se_resnext50_32x4d: { description: 'pretrainedmodels se_resnext50_32x4d', build: (o) => new SEResNeXt([3, 4, 6, 3], o) },
  se_resnext101_32x4d: { description: 'pretrainedmodels se_resnext101_32x4d', build: (o) => new SEResNeXt([3, 4, 23, 3], o) },
};

export const ENCODER_NAMES = Object.keys(ENCODERS);

export function createEncoder(name: string, o: EncoderOptions = {}): Encoder {
  const e = ENCODERS[name];
  if (!e) throw new Error(`unknown encoder '${name}' (known: ${ENCODER_NAMES.join(', ')})`);
  return e.build(o);
}

export function listEncoders(): { name: string; description: string }[] {
  return Object.entries(ENCODERS).map(([name, e]) => ({ name, description: e.description }));
}

/**
 * Loads ImageNet weights saved from torchvision or pretrainedmodels (as safetensors) into an encoder.
 * The classifier is left out; an RGB first conv feeds a grey encoder as the sum over its input
 * channels (segmentation_models.pytorch's rule: the same response to a grey image repeated three
 * times). Every other key must be present with its shape. Returns what was skipped, to be logged.
 */
export function loadEncoderWeights(encoder: Encoder, file: string): { skipped: string[] } {
  if (!existsSync(file)) throw new Error(`${file}: encoder weights file not found`);
  const { tensors } = loadSafetensors(file);
  const skipped: string[] = [];
  const own = encoder.stateDict();
  // Every tensor read from the file, and the summed stem, is freed at the end; the encoder holds copies.
  const toFree: Tensor[] = [...tensors.values()];
  try {
    for (const k of [...tensors.keys()]) if (k.startsWith(encoder.classifierPrefix)) { tensors.delete(k); skipped.push(k); }
    const first = tensors.get(encoder.firstConvKey), mine = own.get(encoder.firstConvKey)!;
    if (first && (first.shape[2] !== mine.shape[2] || first.shape[3] !== mine.shape[3])) {
      // The 3x3-stem variant: the ImageNet 7x7 stem does not fit; it keeps its random initialisation.
      tensors.set(encoder.firstConvKey, mine);
      skipped.push(encoder.firstConvKey);
    } else if (first && first.shape[1] !== mine.shape[1]) {
      if (mine.shape[1] !== 1) {
        throw new Error(`${file}: ${encoder.firstConvKey} has shape [${first.shape}], the encoder's is [${mine.shape}]; ` +
          'only RGB weights for a 1-channel encoder are adapted');
      }
      const summed = first.sum(1, true);
      toFree.push(summed);
      tensors.set(encoder.firstConvKey, summed);
    }
    try {
      encoder.loadStateDict(tensors);
    } catch (e) {
      if (e instanceof StateDictError) throw new StateDictError(e.missing, e.unexpected, e.mismatched, file);
      throw e;
    }
  } finally {
    dispose(toFree);
  }
  return { skipped };
}
