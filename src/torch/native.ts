// Loads the Node-API addon over libtorch. Everything typed lives in tensor.ts; this file is the seam.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque reference to one at::Tensor in the addon's slot table. */
export type NativeHandle = bigint;

// The addon's surface is uniform (handles, numbers, arrays, strings); tensor.ts gives it types.
export type NativeBinding = Record<string, (...args: any[]) => any>;

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
  return createRequire(import.meta.url)(file) as NativeBinding;
}

export const native: NativeBinding = load();
