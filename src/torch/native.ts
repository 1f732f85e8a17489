// Loads the Node-API addon over libtorch. Its surface is declared in native-api.ts; tensor.ts gives it a face.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeBinding } from './native-api.js';

export type { NativeBinding, NativeHandle } from './native-api.js';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('halite: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

function load(): NativeBinding {
  const root = packageRoot();
  const file = join(root, 'build', 'Release', 'halite_torch.node');
  if (!existsSync(file)) {
    throw new Error(
      `halite: the libtorch addon is not built (${file} is missing). Run \`npm run build\` in ${root}; ` +
        'it needs libtorch-dev (apt-get install libtorch-dev) or LIBTORCH=/path/to/libtorch.',
    );
  }
  // The one unchecked step: test/native-surface.test.ts holds the addon's exports to NativeBinding.
  return createRequire(import.meta.url)(file) as NativeBinding;
}

export const native: NativeBinding = load();
