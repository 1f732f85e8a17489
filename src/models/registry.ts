// Models by name, so configs, weights files and the command line can refer to them.
import type { Module } from '../nn/module.js';
import { checkResUNetOptions, ResUNet, RESUNET_DEFAULTS } from './resunet.js';
import { UNet, UNET_DEFAULTS } from './unet.js';
import { EncoderUNet, ENCODER_UNET_DEFAULTS } from './encoder-unet.js';

export interface ModelEntry {
  description: string;
  defaults: object;
  build(options: Record<string, unknown>): Module;
  /** Checks the options' values without building (throws as build would); kinds are checked before. */
  check?(options: Record<string, unknown>): void;
}

const models = new Map<string, ModelEntry>();

export function registerModel(name: string, entry: ModelEntry): void {
  if (models.has(name)) throw new Error(`model '${name}' is registered twice`);
  models.set(name, entry);
}

/**
 * Checks a model name and its option keys against the registry without building the model, so a
 * config can be refused before any weights are allocated. Each value must be of its default's kind
 * (number, switch, text or list). A model's own `check` then tests the values that shape it (resunet's
 * depth, dilations and widths); other ranges are the model's to check when it is built.
 * @throws Error `unknown model 'x' (known: ...)`, `model 'x' has no option 'y' (options: ...)` or
 *   `model 'x' option 'y' must be a number (like its default 16), got "4"`
 */
export function checkModelOptions(name: string, options: Record<string, unknown> = {}): ModelEntry {
  const e = models.get(name);
  if (!e) throw new Error(`unknown model '${name}' (known: ${[...models.keys()].join(', ')})`);
  const known = new Set(Object.keys(e.defaults));
  const defaults = e.defaults as Record<string, unknown>;
  for (const [k, v] of Object.entries(options)) {
    if (!known.has(k)) throw new Error(`model '${name}' has no option '${k}' (options: ${[...known].join(', ')})`);
    // The default's kind is the option's kind: a quoted number or "yes" for a switch is refused here,
    // before any folder is made, rather than deep inside libtorch.
    const want = kindOf(defaults[k]);
    if (want !== null && v !== undefined && kindOf(v) !== want) throw new Error(`model '${name}' option '${k}' must be ${want === 'array' ? 'a list' : `a ${want}`} (like its default ${JSON.stringify(defaults[k])}), got ${JSON.stringify(v)}`);
  }
  e.check?.(options);
  return e;
}

function kindOf(v: unknown): 'number' | 'boolean' | 'string' | 'array' | null {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isFinite(v) ? 'number' : null;
  return typeof v === 'boolean' || typeof v === 'string' ? typeof v as 'boolean' | 'string' : null;
}

export function createModel(name: string, options: Record<string, unknown> = {}): Module {
  return checkModelOptions(name, options).build(options);
}

export function listModels(): { name: string; description: string; defaults: object }[] {
  return [...models].map(([name, e]) => ({ name, description: e.description, defaults: e.defaults }));
}

registerModel('unet', {
  description: "the Keras write-up's plain U-Net (Model 1): 101 -> 128 resize, dropout 0.25/0.5",
  defaults: UNET_DEFAULTS,
  build: (o) => new UNet(o),
});
registerModel('resunet', {
  description: "the Keras write-up's residual U-Net (Model 2) at native 101x101; options: scSE on every level, fewer pooling stages (depth), a dilated middle and FPA",
  defaults: RESUNET_DEFAULTS,
  build: (o) => new ResUNet(o),
  check: (o) => { checkResUNetOptions(o); },
});
registerModel('encoder-unet', {
  description: 'U-Net on a ResNet / SE-ResNeXt encoder with scSE, FPA, hypercolumns, deep supervision and a salt-classifier gate',
  defaults: ENCODER_UNET_DEFAULTS,
  build: (o) => new EncoderUNet(o),
});
