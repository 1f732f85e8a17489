// The declared native surface (NativeBinding in src/torch/native-api.ts) against what the C++ registers
// (DEF lines in native/*.cc) and what the loaded addon exports: names, arity, optional arguments, void results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { native } from '../src/torch/native.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const API = join(root, 'src', 'torch', 'native-api.ts');
const NATIVE = join(root, 'native');

interface Declared {
  /** Most parameters over the member's overloads. */
  arity: number;
  /** Indices of parameters that may be left out or passed null. */
  omissible: Set<number>;
  /** Whether every overload returns void. */
  returnsVoid: boolean;
}

/** NativeBinding's members, read from the source with the TypeScript compiler. */
function declaredSurface(source = readFileSync(API, 'utf8')): { members: Map<string, Declared>; anys: string[] } {
  const file = ts.createSourceFile(API, source, ts.ScriptTarget.ES2022, true);
  const iface = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'NativeBinding');
  assert.ok(iface, `${API} declares no interface NativeBinding`);
  const members = new Map<string, Declared>();
  for (const m of iface.members) {
    assert.ok(ts.isMethodSignature(m), `NativeBinding member at ${API}:${file.getLineAndCharacterOfPosition(m.getStart()).line + 1} must be a method signature`);
    const name = m.name.getText(file);
    const d = members.get(name) ?? { arity: 0, omissible: new Set<number>(), returnsVoid: true };
    d.arity = Math.max(d.arity, m.parameters.length);
    m.parameters.forEach((p, i) => {
      const nullable = p.type !== undefined && ts.isUnionTypeNode(p.type) &&
        p.type.types.some((t) => ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword);
      if (p.questionToken || nullable) d.omissible.add(i);
    });
    d.returnsVoid &&= m.type?.kind === ts.SyntaxKind.VoidKeyword;
    members.set(name, d);
  }
  const anys: string[] = [];
  const visit = (n: ts.Node): void => {
    if (n.kind === ts.SyntaxKind.AnyKeyword) anys.push(`${API}:${file.getLineAndCharacterOfPosition(n.getStart()).line + 1}`);
    ts.forEachChild(n, visit);
  };
  visit(file);
  return { members, anys };
}

interface Registered {
  file: string;
  /** Highest argument index the C++ reads (a.t(i), a.ints(i), opts(a, i, j), ...), plus one. */
  arity: number;
  /** Indices the C++ tests before reading: a.has(i), a.optT(i), a.optF64(i). */
  guarded: Set<number>;
  /** Whether every return statement returns undefined. */
  returnsVoid: boolean;
}

/** Reads what a C++ function body does with its Args. */
function readBody(body: string): Omit<Registered, 'file'> {
  const indices = [...body.matchAll(/\ba\.\w+\((\d+)/g)].map((m) => Number(m[1]));
  for (const m of body.matchAll(/\bopts\(a,\s*(\d+),\s*(\d+)\)/g)) indices.push(Number(m[1]), Number(m[2]));
  const guarded = new Set([...body.matchAll(/\ba\.(?:has|optT|optF64)\((\d+)\)/g)].map((m) => Number(m[1])));
  const returns = [...body.matchAll(/\breturn\s+([^;]*);/g)].map((m) => m[1]!.trim());
  return {
    arity: indices.length ? Math.max(...indices) + 1 : 0,
    guarded,
    returnsVoid: returns.length > 0 && returns.every((r) => r === 'a.env().Undefined()'),
  };
}

/** The text between the brace at `open` and its match. */
function braced(src: string, open: number): string {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === '{') depth++;
    else if (src[i] === '}' && --depth === 0) return src.slice(open + 1, i);
  }
  throw new Error(`unbalanced braces after offset ${open}`);
}

/** Every op registered by DEF(name) in native/*.cc, with what its C++ function reads and returns. */
function registeredSurface(): { ops: Map<string, Registered>; duplicates: string[] } {
  const ops = new Map<string, Registered>();
  const duplicates: string[] = [];
  for (const f of readdirSync(NATIVE).filter((n) => n.endsWith('.cc')).sort()) {
    const src = readFileSync(join(NATIVE, f), 'utf8');
    const bodies = new Map<string, Omit<Registered, 'file'>>();
    for (const m of src.matchAll(/Napi::Value (\w+)\(const Args& a\) \{/g)) {
      bodies.set(m[1]!, readBody(braced(src, m.index! + m[0].length - 1)));
    }
    // Function-defining macros, e.g. BINARY(NAME, FN): the body is the #define's continued lines.
    const macros = new Map<string, Omit<Registered, 'file'>>();
    for (const m of src.matchAll(/^#define (\w+)\(NAME[^)]*\)((?:[^\n]*\\\n)*[^\n]*)/gm)) macros.set(m[1]!, readBody(m[2]!));
    for (const m of src.matchAll(/^(\w+)\((\w+),\s*\w+\)\s*$/gm)) {
      const macro = macros.get(m[1]!);
      if (macro) bodies.set(m[2]!, macro);
    }
    for (const m of src.matchAll(/^\s*DEF\((\w+)\);/gm)) {
      const name = m[1]!;
      if (ops.has(name)) duplicates.push(`${name} (${ops.get(name)!.file} and ${f})`);
      const body = bodies.get(name);
      assert.ok(body, `native/${f}: DEF(${name}) registers a function whose body this test cannot find`);
      ops.set(name, { file: f, ...body });
    }
  }
  return { ops, duplicates };
}

/** Names in a but not b, and in b but not a, as one readable line; '' when they agree. */
function difference(aName: string, a: Iterable<string>, bName: string, b: Iterable<string>): string {
  const A = new Set(a), B = new Set(b);
  const onlyA = [...A].filter((n) => !B.has(n)).sort();
  const onlyB = [...B].filter((n) => !A.has(n)).sort();
  const parts: string[] = [];
  if (onlyA.length) parts.push(`in ${aName} but not ${bName}: ${onlyA.join(', ')}`);
  if (onlyB.length) parts.push(`in ${bName} but not ${aName}: ${onlyB.join(', ')}`);
  return parts.join('; ');
}

const declared = declaredSurface();
const registered = registeredSurface();

test('the parsers read the whole surface (this test can fail)', () => {
  // Counts from native/*.cc at the time of writing; a parser that silently read nothing would pass the rest.
  assert.ok(registered.ops.size >= 150, `only ${registered.ops.size} DEF lines read from native/*.cc`);
  assert.ok(declared.members.size >= 150, `only ${declared.members.size} NativeBinding members read`);
  assert.equal(registered.ops.get('conv2d')?.arity, 7);
  assert.equal(registered.ops.get('mul')?.arity, 2, 'BINARY(mul, mul) reads two arguments');
  assert.equal(registered.ops.get('liveTensors')?.arity, 0);
  assert.equal(registered.ops.get('zeros')?.arity, 3, 'zeros reads opts(a, 1, 2)');
  // native/distributed.cc: promise-returning ops are read like the others.
  assert.equal(registered.ops.get('distInit')?.file, 'distributed.cc');
  assert.equal(registered.ops.get('distInit')?.arity, 10, 'distInit reads a.str(0) ... a.i64(9)');
  assert.equal(registered.ops.get('distAllreduce')?.arity, 3);
  assert.equal(registered.ops.get('distDestroy')?.returnsVoid, false, 'distDestroy returns a boolean');
  // A surface with one op removed disagrees with the registration list.
  const withoutOne = declaredSurface(readFileSync(API, 'utf8').replace(/^\s*mseLoss\(.*$/m, ''));
  assert.match(difference('NativeBinding', withoutOne.members.keys(), 'native/*.cc', registered.ops.keys()),
    /in native\/\*\.cc but not NativeBinding: .*\bmseLoss\b/);
});

test('NativeBinding names exactly the ops native/*.cc registers', () => {
  assert.deepEqual(registered.duplicates, [], 'an op is registered twice');
  assert.equal(difference('NativeBinding (src/torch/native-api.ts)', declared.members.keys(), 'native/*.cc DEF lines', registered.ops.keys()), '');
});

test('NativeBinding names exactly what the loaded addon exports', () => {
  const exported = Object.keys(native);
  for (const n of exported) assert.equal(typeof (native as unknown as Record<string, unknown>)[n], 'function', `addon export ${n} is not a function`);
  assert.equal(difference('NativeBinding (src/torch/native-api.ts)', declared.members.keys(), 'the addon (build/Release/halite_torch.node)', exported), '',
    'if native/*.cc changed, rebuild the addon: npm run build');
});

test('NativeBinding declares no any', () => {
  assert.deepEqual(declared.anys, []);
});

test("each op's parameters match the arguments its C++ reads", () => {
  const wrong: string[] = [];
  for (const [name, op] of registered.ops) {
    const d = declared.members.get(name);
    if (!d) continue; // reported by the name test
    const where = `${name} (native/${op.file})`;
    if (d.arity !== op.arity) wrong.push(`${where}: C++ reads ${op.arity} arguments, NativeBinding declares ${d.arity}`);
    for (const i of d.omissible) {
      if (!op.guarded.has(i)) wrong.push(`${where}: argument ${i} is optional or nullable in NativeBinding but the C++ reads it without a.has(${i})/a.optT(${i})`);
    }
    if (d.returnsVoid !== op.returnsVoid) {
      wrong.push(`${where}: C++ ${op.returnsVoid ? 'returns undefined' : 'returns a value'}, NativeBinding declares ${d.returnsVoid ? 'void' : 'a result'}`);
    }
  }
  assert.deepEqual(wrong, []);
});
