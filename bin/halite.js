#!/usr/bin/env node
// Runs the compiled dist/ (npm ci and npm install build it through `prepare`), which starts in a
// fraction of the time tsx takes to compile src/. In a checkout where dist/ is missing or older than
// a source file it runs src/ through tsx instead, with a one-line note, so stale code never runs
// silently. HALITE_FROM_SOURCE=1 runs src/ without the note (the test suite, which needs no build).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const compiled = new URL('../dist/cli/main.js', import.meta.url);

/** The newest .ts file under dir and its time (ms), or null when there is none. */
function newestSource(dir) {
  let best = null;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts')) continue;
    const path = `${e.parentPath ?? e.path}/${e.name}`;
    const t = statSync(path).mtimeMs;
    if (!best || t > best.t) best = { path, t };
  }
  return best;
}

function staleReason() {
  const main = fileURLToPath(compiled);
  if (!existsSync(main)) return 'dist/ is not built';
  // An installed package carries src/ too; npm gives both the same time, so equal is fresh.
  const src = existsSync(`${root}/src`) ? newestSource(`${root}/src`) : null;
  if (src && src.t > statSync(main).mtimeMs) return `dist/ is older than ${src.path.slice(root.length + 1)}`;
  return null;
}

const fromSource = process.env.HALITE_FROM_SOURCE === '1';
const reason = fromSource ? 'HALITE_FROM_SOURCE=1' : staleReason();
if (reason === null) {
  await import(compiled.href);
} else {
  if (!fromSource) console.error(`halite: ${reason}; running the sources through tsx (slower start). \`npx tsc\` in ${root} rebuilds dist/.`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
