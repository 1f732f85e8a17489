// The submission checker on the real masks: perfect and all-empty submissions, and bad submissions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { halite } from './helpers/cli.js';

const TGS = join(import.meta.dirname, '..', '..', 'shared', 'tgs');
const dir = mkdtempSync(join(tmpdir(), 'halite-eval-'));
const skip = !existsSync(TGS) && 'no ../shared/tgs';

test('a perfect submission scores exactly 1.0 and an all-empty one the empty fraction', { skip }, () => {
  const lines = readFileSync(join(TGS, 'train.csv'), 'utf8').trim().split('\n');
  const perfect = join(dir, 'perfect.csv');
  writeFileSync(perfect, lines.join('\n') + '\n');
  let r = halite('evaluate', '--data', TGS, '--submission', perfect, '--json');
  assert.equal(r.status, 0, r.stderr);
  const p = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(p.map, 1);
  assert.deepEqual(p.confusion, { bothEmpty: 1172, falseSalt: 0, missedSalt: 0, bothSalt: 1829 });
  assert.match(r.stdout, /mAP 1\.0000 over 3001 images/);
  const empty = join(dir, 'empty.csv');
  writeFileSync(empty, ['id,rle_mask', ...lines.slice(1).map((l) => `${l.split(',')[0]},`)].join('\n'));
  r = halite('evaluate', '--data', TGS, '--submission', empty, '--json');
  assert.equal(r.status, 0, r.stderr);
  const e = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(e.map, 1172 / 3001);
  assert.equal(e.byCoverageClass.find((c: { coverageClass: number }) => c.coverageClass === 0).score, 1);
});

test('missing, unknown, duplicate ids and malformed RLE are errors naming file, line and id', { skip }, () => {
  const lines = readFileSync(join(TGS, 'train.csv'), 'utf8').trim().split('\n');
  const cases: [string, string[], RegExp][] = [
    ['missing.csv', lines.slice(0, -1), /missing 1 id\(s\): /],
    ['unknown.csv', [...lines, 'deadbeef00,1 1'], /1 unknown id\(s\) \(first on line 3003\): deadbeef00/],
    ['dup.csv', [...lines, lines[1]!], new RegExp(`dup\\.csv:3003: duplicate id ${lines[1]!.split(',')[0]} \\(first on line 2\\)`)],
    ['odd.csv', [lines[0]!, `${lines[1]!.split(',')[0]},5 6 7`, ...lines.slice(2)], new RegExp(`odd\\.csv:2 \\(id ${lines[1]!.split(',')[0]}\\): malformed RLE: odd number of tokens`)],
    ['nocol.csv', ['id,mask', ...lines.slice(1)], /nocol\.csv:1: missing column 'rle_mask'/],
    ['png.csv', ['\x89PNG', '"IHDR\x00\x01'], /png\.csv:\d+: not a CSV file halite can read \(Quote Not Closed: .*\); expected comma-separated text whose header line is 'id,rle_mask'/],
  ];
  for (const [name, content, re] of cases) {
    const f = join(dir, name);
    writeFileSync(f, content.join('\n') + '\n');
    const r = halite('evaluate', '--data', TGS, '--submission', f);
    assert.notEqual(r.status, 0, name);
    assert.match(r.stderr, re, name);
    assert.ok(r.stderr.includes(f), `${name}: the message names the file`);
  }
  const gone = halite('evaluate', '--data', TGS, '--submission', join(dir, 'nope.csv'));
  assert.match(gone.stderr, /nope\.csv: cannot read: no such file; check the path/);
});
