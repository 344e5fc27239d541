/**
 * The shard map's promises: the hash is the documented one (fixed vectors), every node computes
 * the same answer whatever order it lists the nodes in, shards and leaders spread evenly, and a
 * node coming or going moves only the shards it must.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fnv1a32, leaderPreference, preferredLeader, shardOf } from '../../src/cluster/shard-map.js';

const nodeIds = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 9 });

/** How far (in standard deviations of a binomial count) a share may stray from its mean. */
const spreadSigmasMax = 5;

function assertEvenSpread(counts: number[], total: number): void {
  const p = 1 / counts.length;
  const sigma = Math.sqrt(total * p * (1 - p));
  for (const count of counts) {
    assert.ok(
      Math.abs(count - total * p) <= spreadSigmasMax * sigma + 1,
      `share ${count} of ${total} over ${counts.length} is uneven (${counts.join(', ')})`,
    );
  }
}

test('shardOf is FNV-1a 32-bit over UTF-8 bytes, mod N (the documented vectors)', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  // UTF-8, not UTF-16: 'é' is the two bytes c3 a9.
  assert.equal(fnv1a32('é'), Math.imul(Math.imul(0x811c9dc5 ^ 0xc3, 0x01000193) ^ 0xa9, 0x01000193) >>> 0);
  assert.equal(shardOf('BTC-USD', 16), fnv1a32('BTC-USD') % 16);
  assert.throws(() => shardOf('BTC-USD', 0), /shard count/);
});

test('markets spread evenly over the shards', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 64 }), fc.string({ maxLength: 6 }), (shards, prefix) => {
      const total = 4096;
      const counts = new Array<number>(shards).fill(0);
      for (let i = 0; i < total; i++) counts[shardOf(`${prefix}MKT-${i}`, shards)]!++;
      assertEvenSpread(counts, total);
    }),
    { numRuns: 20 },
  );
});

test('the preferred leader does not depend on how the nodes are listed', () => {
  fc.assert(
    fc.property(nodeIds, fc.nat(1000), fc.nat(), (nodes, shard, turn) => {
      const rotated = [...nodes.slice(turn % nodes.length), ...nodes.slice(0, turn % nodes.length)];
      const reversed = [...nodes].reverse();
      const order = leaderPreference(shard, nodes);
      assert.deepEqual(leaderPreference(shard, reversed), order);
      assert.equal(preferredLeader(shard, rotated), order[0]);
      assert.deepEqual([...order].sort(), [...nodes].sort());
    }),
  );
  assert.equal(preferredLeader(0, []), null);
});

test('leaders spread evenly over the nodes', () => {
  fc.assert(
    fc.property(nodeIds, (nodes) => {
      const shards = 1024;
      const counts = new Map(nodes.map((n) => [n, 0]));
      for (let shard = 0; shard < shards; shard++) {
        const leader = preferredLeader(shard, nodes)!;
        counts.set(leader, counts.get(leader)! + 1);
      }
      assertEvenSpread([...counts.values()], shards);
    }),
    { numRuns: 20 },
  );
});

test('a node leaving moves only its own shards; a node joining takes shards and moves no others', () => {
  fc.assert(
    fc.property(nodeIds, fc.nat(), (nodes, pick) => {
      fc.pre(nodes.length >= 2);
      const gone = nodes[pick % nodes.length]!;
      const rest = nodes.filter((n) => n !== gone);
      for (let shard = 0; shard < 128; shard++) {
        const before = preferredLeader(shard, nodes);
        const after = preferredLeader(shard, rest);
        // Leaving: shards not led by `gone` stay put. Joining (read backwards): a shard moves
        // only to the newcomer.
        if (before !== gone) assert.equal(after, before, `shard ${shard} moved from ${before} to ${after}`);
        // The ranking of the others is unchanged, so the successor is the next in line.
        assert.deepEqual(
          leaderPreference(shard, rest),
          leaderPreference(shard, nodes).filter((n) => n !== gone),
        );
      }
    }),
  );
});

test('the inline UTF-8 encoding hashes the bytes TextEncoder gives', () => {
  const utf8 = new TextEncoder();
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      let h = 0x811c9dc5;
      for (const byte of utf8.encode(s)) h = Math.imul(h ^ byte, 0x01000193);
      assert.equal(fnv1a32(s), h >>> 0);
    }),
  );
  assert.equal(fnv1a32('\ud800'), fnv1a32('\ufffd'));
});
