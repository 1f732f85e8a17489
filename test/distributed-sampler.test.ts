// DistributedSampler against PyTorch's own (torch.utils.data.distributed.DistributedSampler, run by
// /usr/bin/python3): its padding, cutting and striding on PyTorch's permutations, its unshuffled
// shards exactly, and the structure of halite's own seeded permutations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { DistributedSampler, samplesPerRank, shardOrder } from '../src/data/distributed-sampler.js';
import { BatchLoader } from '../src/data/loader.js';

interface Case { n: number; world: number; seed: number; epoch: number; dropLast: boolean }
const CASES: Case[] = [];
for (const n of [1, 7, 10, 12, 13]) {
  for (const world of [1, 2, 3, 5]) {
    for (const dropLast of [false, true]) {
      if (dropLast && n < world) continue;
      CASES.push({ n, world, seed: n * 7 + world, epoch: world % 3, dropLast });
    }
  }
}

// Per case: PyTorch's permutation for (seed + epoch) and every rank's list, shuffled and not.
const PEER = `
import json, sys, torch
from torch.utils.data.distributed import DistributedSampler
out = []
for c in json.loads(sys.argv[1]):
    data = list(range(c['n']))
    def ranks(shuffle):
        lists = []
        for r in range(c['world']):
            s = DistributedSampler(data, num_replicas=c['world'], rank=r, shuffle=shuffle, seed=c['seed'], drop_last=c['dropLast'])
            s.set_epoch(c['epoch'])
            lists.append(list(iter(s)))
        return lists
    g = torch.Generator(); g.manual_seed(c['seed'] + c['epoch'])
    out.append({'perm': torch.randperm(c['n'], generator=g).tolist(), 'shuffled': ranks(True), 'ordered': ranks(False)})
print(json.dumps(out))
`;

interface Peer { perm: number[]; shuffled: number[][]; ordered: number[][] }
const peer: Peer[] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PEER, JSON.stringify(CASES)], { encoding: 'utf8' }));

const ranksOf = (c: Case) => Array.from({ length: c.world }, (_, r) => r);

test("on PyTorch's own permutation, each rank's share is DistributedSampler's", () => {
  assert.equal(peer.length, CASES.length);
  CASES.forEach((c, k) => {
    const want = peer[k]!.shuffled;
    assert.equal(want.length, c.world);
    for (const r of ranksOf(c)) {
      assert.deepEqual(shardOrder(peer[k]!.perm, r, c.world, c.dropLast), want[r], `case ${JSON.stringify(c)} rank ${r}`);
      assert.equal(want[r]!.length, samplesPerRank(c.n, c.world, c.dropLast), `samplesPerRank for ${JSON.stringify(c)}`);
    }
  });
});

test("unshuffled, DistributedSampler deals exactly PyTorch's lists", () => {
  CASES.forEach((c, k) => {
    const items = Array.from({ length: c.n }, (_, i) => i);
    for (const r of ranksOf(c)) {
      const s = new DistributedSampler(items, { numReplicas: c.world, rank: r, shuffle: false, seed: c.seed, dropLast: c.dropLast });
      assert.deepEqual(s.indices(c.epoch), peer[k]!.ordered[r], `case ${JSON.stringify(c)} rank ${r}`);
      assert.equal(s.numSamples, peer[k]!.ordered[r]!.length);
    }
  });
});

test("halite's shuffled shards: one permutation for all ranks, disjoint when W divides n, padded from its start, new per epoch", () => {
  const items = Array.from({ length: 13 }, (_, i) => 100 + i); // positions in a source, not 0..n-1
  for (const world of [1, 2, 3, 4]) {
    const samplers = Array.from({ length: world }, (_, r) => new DistributedSampler(items, { numReplicas: world, rank: r, seed: 5 }));
    const perm = samplers[0]!.permutation(3);
    assert.deepEqual([...perm].sort((a, b) => a - b), items, 'a permutation of the items');
    for (const s of samplers) assert.deepEqual(s.permutation(3), perm, 'every rank draws the same permutation');
    const shares = samplers.map((s) => s.indices(3));
    const per = Math.ceil(13 / world);
    for (const sh of shares) assert.equal(sh.length, per);
    // Interleaved back, the shares are the permutation followed by its first (per * W - 13) items.
    const merged = Array.from({ length: per * world }, (_, i) => shares[i % world]![Math.floor(i / world)]);
    assert.deepEqual(merged, [...perm, ...perm.slice(0, per * world - 13)]);
    assert.deepEqual(new Set(merged), new Set(items), 'every item is seen');
  }
  const s = new DistributedSampler(items, { numReplicas: 2, rank: 0, seed: 5 });
  assert.notDeepEqual(s.permutation(0), s.permutation(1), 'each epoch has its own order');
  assert.deepEqual(s.permutation(1), new DistributedSampler(items, { numReplicas: 2, rank: 1, seed: 5 }).permutation(1));
  assert.notDeepEqual(s.permutation(1), new DistributedSampler(items, { numReplicas: 2, rank: 0, seed: 6 }).permutation(1), 'the seed matters');
  // dropLast: 13 over 4 ranks gives 3 each, 12 distinct items, none twice.
  const dropped = Array.from({ length: 4 }, (_, r) => new DistributedSampler(items, { numReplicas: 4, rank: r, seed: 5, dropLast: true }).indices(2));
  assert.deepEqual(dropped.map((d) => d.length), [3, 3, 3, 3]);
  assert.equal(new Set(dropped.flat()).size, 12);
});

test("with one rank the order is the loader's for the same seed and items", () => {
  const items = [4, 9, 2, 7, 1, 0, 5];
  const source = { images: new Float32Array(10 * 4), height: 2, width: 2 };
  const loader = new BatchLoader(source, items, { batchSize: 2, seed: 11, shuffle: true });
  const s = new DistributedSampler(items, { numReplicas: 1, rank: 0, seed: 11 });
  for (const epoch of [0, 1, 5]) assert.deepEqual(s.indices(epoch), loader.order(epoch));
});

test('bad options name what is wrong', () => {
  assert.throws(() => new DistributedSampler([1, 2], { numReplicas: 2, rank: 2 }), /rank must be a whole number in \[0, 1\], got 2/);
  assert.throws(() => new DistributedSampler([1, 2], { numReplicas: 0, rank: 0 }), /numReplicas must be a whole number/);
  assert.throws(() => new DistributedSampler([], { numReplicas: 1, rank: 0 }), /no items/);
  assert.throws(() => new DistributedSampler([1, 2], { numReplicas: 3, rank: 0, dropLast: true }), /2 items cannot give each of 3 ranks one with dropLast/);
});
