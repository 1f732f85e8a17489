// halite's layers: no module imports from a layer above its own, no import circle joins two src/
// folders, and the web pages reach only browser-safe modules. Imports are read from TypeScript's own
// syntax tree, so comments and strings are never mistaken for imports and a dynamic import() or a
// type-only import counts like a static one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * halite's layers, bottom up: a module may import from its own layer and the ones below it. A layer is
 * a folder of src/ (src/data/synth/ is in data). src/index.ts, the library's public face, may import
 * anything and nothing may import it. README.md's Layout section quotes this list.
 */
const LAYERS = ['torch', 'distributed', 'nn', 'optim', 'losses', 'io', 'segy', 'data', 'models', 'metrics', 'run', 'infer', 'export', 'train', 'report', 'serve', 'bench', 'cli'];
const INDEX = 'src/index.ts';

/** The src/ folders the browser pages (web/) may import from: the pure modules of these only. */
const BROWSER_LAYERS = ['data', 'metrics', 'infer', 'report'];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** One import: the importing file (repo-relative, '/'-separated), its 1-based line, the specifier as written, and the file it names. */
interface Import { file: string; line: number; spec: string; target: string }

/**
 * Every module `text` names (import and export ... from, `export * as ns from`, import type,
 * import(), `import('m').T` in a type, import = require): the specifier and its 1-based line. Read
 * from TypeScript's syntax tree (ts.preProcessFile's scanner misses `export * as ns from`).
 */
function specifiersOf(file: string, text: string): { spec: string; line: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: { spec: string; line: number }[] = [];
  const add = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) out.push({ spec: node.text, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Every relative import of `text` with the repo-relative path it resolves to (`.js` read as the `.ts` source); packages and Node built-ins left out. */
function importsOf(file: string, text: string): Import[] {
  return specifiersOf(file, text)
    .filter((r) => r.spec.startsWith('.'))
    .map((r) => ({ file, line: r.line, spec: r.spec, target: posix.normalize(posix.join(posix.dirname(file), r.spec)).replace(/\.js$/, '.ts') }));
}

/** The layer of a repo-relative src/ path: its first folder, 'index' for src/index.ts, undefined outside src/. */
function layerOf(path: string): string | undefined {
  const parts = path.split('/');
  if (parts[0] !== 'src') return undefined;
  return parts.length === 2 ? 'index' : parts[1];
}

/** A layer's height: its place in LAYERS, the index above all of them, -1 when it is no layer. */
const rank = (layer: string) => (layer === 'index' ? LAYERS.length : LAYERS.indexOf(layer));
const where = (i: Import) => `${i.file}:${i.line} imports '${i.spec}' (${i.target})`;

/** Imports between src/ folders that run upward (or into a folder that is no layer), one message each. */
function layerViolations(imports: Import[]): string[] {
  const out: string[] = [];
  for (const i of imports) {
    const from = layerOf(i.file), to = layerOf(i.target);
    if (!from || !to || from === to) continue;
    for (const l of [from, to]) if (rank(l) < 0) out.push(`${where(i)}: src/${l}/ is in no layer; add it to LAYERS in test/layers.test.ts and to the README's Layout section`);
    if (rank(from) >= 0 && rank(to) > rank(from)) {
      out.push(`${where(i)}: ${from} (layer ${rank(from) + 1}) may not import from ${to} (layer ${rank(to) + 1}${to === 'index' ? ', the public face' : ''}), a layer above it`);
    }
  }
  return out;
}

/** Circles of imports between src/ folders (Tarjan's strongly connected components), each with the imports that close it. */
function folderCycles(imports: Import[]): string[] {
  const edges = new Map<string, Map<string, Import[]>>();
  for (const i of imports) {
    const from = layerOf(i.file), to = layerOf(i.target);
    if (!from || !to || from === to) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.has(to)) edges.set(to, new Map());
    const e = edges.get(from)!;
    e.set(to, [...(e.get(to) ?? []), i]);
  }
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size); low.set(v, index.get(v)!); stack.push(v); onStack.add(v);
    for (const w of edges.get(v)!.keys()) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1) components.push(c.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return components.sort((a, b) => a[0]!.localeCompare(b[0]!)).map((c) => `import cycle between src/ folders ${c.join(', ')}: ` + c.flatMap((a) => [...edges.get(a)!]
    .filter(([b]) => c.includes(b))
    .map(([b, is]) => `${a} -> ${b} (${is.map((i) => `${i.file}:${i.line} '${i.spec}'`).join(', ')})`)).join('; '));
}

function tsFiles(dir: string): string[] {
  return (readdirSync(join(root, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `${dir}/${f.split(sep).join('/')}`).sort();
}
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const srcImports = () => tsFiles('src').flatMap((f) => importsOf(f, read(f)));

test('the layer check finds upward static, dynamic, type and re-exported imports and folder cycles in planted sources, and nothing in comments or strings', () => {
  const planted: Record<string, string> = {
    'src/torch/a.ts': "import { b } from '../nn/b.js';\n",
    'src/nn/b.ts': "export { a } from '../torch/a.js';\n// import { x } from '../cli/x.js';\nconst s = \"import('../cli/x.js')\";\nlet t: typeof import('../optim/o.js').O;\n",
    'src/data/synth/c.ts': "import { readFileSync } from 'node:fs';\n\nconst m = await import('../../models/m.js');\n",
    'src/models/m.ts': "import type { C } from '../data/synth/c.js';\nexport * from '../torch/a.js';\n",
    'src/index.ts': "export * as x from './cli/x.js';\n",
    'src/cli/x.ts': "import '../index.js';\nexport * from '../nowhere/y.js';\n",
  };
  const imports = Object.entries(planted).flatMap(([f, t]) => importsOf(f, t));
  assert.equal(imports.length, 9, JSON.stringify(imports)); // the comment, the string and node:fs are no imports
  assert.deepEqual(layerViolations(imports), [
    "src/torch/a.ts:1 imports '../nn/b.js' (src/nn/b.ts): torch (layer 1) may not import from nn (layer 3), a layer above it",
    "src/nn/b.ts:4 imports '../optim/o.js' (src/optim/o.ts): nn (layer 3) may not import from optim (layer 4), a layer above it",
    "src/data/synth/c.ts:3 imports '../../models/m.js' (src/models/m.ts): data (layer 8) may not import from models (layer 9), a layer above it",
    "src/cli/x.ts:1 imports '../index.js' (src/index.ts): cli (layer 18) may not import from index (layer 19, the public face), a layer above it",
    "src/cli/x.ts:2 imports '../nowhere/y.js' (src/nowhere/y.ts): src/nowhere/ is in no layer; add it to LAYERS in test/layers.test.ts and to the README's Layout section",
  ]);
  assert.deepEqual(folderCycles(imports), [
    "import cycle between src/ folders cli, index: cli -> index (src/cli/x.ts:1 '../index.js'); index -> cli (src/index.ts:1 './cli/x.js')",
    "import cycle between src/ folders data, models: data -> models (src/data/synth/c.ts:3 '../../models/m.js'); models -> data (src/models/m.ts:1 '../data/synth/c.js')",
    "import cycle between src/ folders nn, torch: nn -> torch (src/nn/b.ts:1 '../torch/a.js'); torch -> nn (src/torch/a.ts:1 '../nn/b.js')",
  ]);
});

test('every src/ folder is a layer, and no module imports from a layer above its own', () => {
  const imports = srcImports();
  assert.ok(imports.length > 300, `only ${imports.length} imports read from src/`);
  const problems = layerViolations(imports);
  assert.deepEqual(problems, [], `layers bottom up: ${LAYERS.join(' → ')}\n${problems.join('\n')}`);
});

test('no import cycle joins two src/ folders', () => {
  const cycles = folderCycles(srcImports());
  assert.deepEqual(cycles, [], cycles.join('\n'));
});

test('the web pages import only browser layers, and nothing they reach imports a Node built-in or the addon', () => {
  const problems: string[] = [];
  const seen = new Set<string>(), todo = tsFiles('web');
  let fromWeb = 0;
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = read(file);
    for (const r of specifiersOf(file, text)) {
      if (isBuiltin(r.spec)) problems.push(`${file}:${r.line} imports '${r.spec}', a Node built-in the browser does not have (the web app's bundle includes ${file})`);
    }
    for (const i of importsOf(file, text)) {
      const to = layerOf(i.target);
      if (file.startsWith('web/') && to) {
        fromWeb++;
        if (!BROWSER_LAYERS.includes(to)) problems.push(`${where(i)}: ${to} is not a browser layer (web/ may import only from ${BROWSER_LAYERS.join(', ')})`);
      }
      if (to === 'torch') problems.push(`${where(i)}: the libtorch addon cannot load in the browser (the web app's bundle includes ${file})`);
      if (!existsSync(join(root, i.target))) problems.push(`${where(i)}: no such file`);
      else todo.push(i.target);
    }
  }
  assert.ok(fromWeb > 0, 'web/ imports nothing from src/: the check read nothing');
  assert.deepEqual(problems, [], problems.join('\n'));
});

test("the README's Layout section states the same layer order", () => {
  const readme = read('README.md');
  const layout = readme.slice(readme.indexOf('## Layout'), readme.indexOf('\n## ', readme.indexOf('## Layout') + 1));
  assert.ok(layout.includes(LAYERS.join(' → ')), `README.md's Layout section should state: ${LAYERS.join(' → ')}`);
  assert.ok(layout.includes('test/layers.test.ts'), "README.md's Layout section should name the test that enforces the order");
});
