/**
 * The market's sketches on a store: answers as of each tx against exact counts of the ticks
 * committed by then, refused ticks never counted, and the same sketches rebuilt on reopen from
 * what the store holds (checkpoint and log).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { storage } from '../../../src/index.js';
import type { Sketches } from '../../../src/market/sketches/sketches.js';
import { Swarm, type TickRow } from '../../../src/market/swarm.js';

const minute = 60_000;
const markets = ['BTC', 'ETH', 'SOL', 'ADA', 'XRP'];

/** Tx i stores ticks of markets[0..i] over minutes 0..2, with volumes growing with the market. */
function batches(): TickRow[][] {
  return markets.map((_, i) =>
    markets.slice(0, i + 1).flatMap((market, m) =>
      [0, 1, 2].slice(0, m + 1).map((k) => ({
        id: `${market}-${i}-${k}`,
        market,
        price: 1,
        volume: 10 * (m + 1),
        ts: k * minute + i,
      })),
    ),
  );
}

function exact(ticks: readonly (TickRow & { tx: number })[], asOf: number, from: number, to: number) {
  const kept = ticks.filter((t) => t.tx <= asOf && t.ts >= from && t.ts < to);
  const count = new Map<string, number>();
  const volume = new Map<string, number>();
  for (const t of kept) {
    count.set(t.market, (count.get(t.market) ?? 0) + 1);
    volume.set(t.market, (volume.get(t.market) ?? 0) + t.volume);
  }
  return { distinct: count.size, count, volume };
}

async function seeded(swarm: Swarm) {
  await swarm.ingest({ markets: markets.map((id) => ({ id })) });
  const ticks: (TickRow & { tx: number })[] = [];
  const txs: number[] = [];
  for (const batch of batches()) {
    const { tx } = await swarm.ingest({ ticks: batch });
    txs.push(tx);
    ticks.push(...batch.map((t) => ({ ...t, tx })));
  }
  return { ticks, txs };
}

/** Everything the sketches hold for a few windows as of each tx, to compare two instances. */
function state(sketches: Sketches, txs: readonly number[]) {
  return txs.flatMap((tx) =>
    [
      [0, minute],
      [0, 3 * minute],
    ].map(([from, to]) => {
      const parts = sketches.buckets.window(from!, to!, tx).parts;
      return parts.map((p) => [p.distinct.registers, p.ticks.counters, p.volume.counters]);
    }),
  );
}

describe('market sketches', () => {
  it('answer distinct and hot markets as of each tx within their stated bounds', async () => {
    const swarm = await Swarm.open({ storage: storage.memory() });
    const { ticks, txs } = await seeded(swarm);
    for (const asOf of [...txs, txs[0]! - 1]) {
      for (const [from, to] of [
        [0, minute],
        [minute, 3 * minute],
        [0, 3 * minute],
      ] as const) {
        const truth = exact(ticks, asOf, from, to);
        const distinct = swarm.sketches.distinct('tick/market', { from, to, asOf });
        assert.equal(distinct.estimate, truth.distinct, `distinct as of ${asOf} in [${from}, ${to})`);
        assert.equal(distinct.from, from);
        assert.equal(distinct.to, to);
        assert.ok(distinct.basisTx <= asOf);
        for (const by of ['ticks', 'volume'] as const) {
          const hot = swarm.sketches.hot(by, 3, { from, to, asOf });
          const totals = by === 'ticks' ? truth.count : truth.volume;
          assert.equal(
            hot.total,
            [...totals.values()].reduce((x, y) => x + y, 0),
          );
          assert.ok(hot.markets.length === Math.min(3, totals.size));
          for (const { market, estimate } of hot.markets) {
            const real = totals.get(market) ?? 0;
            assert.ok(
              estimate >= real && estimate <= real + hot.errorBound,
              `${market}: ${estimate} vs ${real}`,
            );
          }
          const heaviest = Math.max(0, ...totals.values());
          if (heaviest > 0) assert.equal(hot.markets[0]!.estimate >= heaviest, true);
        }
      }
    }
    const now = swarm.sketches.hot('volume', 1);
    // SOL: 3 txs × 3 ticks × 30 = 270, ahead of ADA's 240 and ETH's 160.
    assert.equal(now.markets[0]!.market, 'SOL');
    assert.ok(now.markets[0]!.estimate >= 270);
    assert.equal(now.basisTx, swarm.conn.basisTx);
    assert.equal(now.from, null);
    await swarm.close();
  });

  it('never count the ticks of a refused batch', async () => {
    const swarm = await Swarm.open({ storage: storage.memory() });
    await swarm.ingest({
      markets: [{ id: 'A' }],
      ticks: [{ id: 't1', market: 'A', price: 1, volume: 1, ts: 0 }],
    });
    await assert.rejects(
      swarm.ingest({
        ticks: [
          { id: 't2', market: 'A', price: 1, volume: 1, ts: 0 },
          { id: 't3', market: 'Z', price: 1, volume: 1, ts: 0 },
        ],
      }),
    );
    assert.equal(swarm.sketches.hot('ticks', 5).total, 1);
    assert.equal(swarm.sketches.distinct('tick/market').estimate, 1);
    await swarm.close();
  });

  it("find a tick's time and volume wherever its datoms sit in the tx", async () => {
    const swarm = await Swarm.open({ storage: storage.memory() });
    await swarm.ingest({ markets: [{ id: 'A' }, { id: 'B' }] });
    await swarm.conn.transact([
      { 'db/id': 't', 'tick/id': 't', 'tick/market': ['market/id', 'A'], 'tick/price': 1 },
      { 'db/id': 'u', 'tick/id': 'u', 'tick/market': ['market/id', 'B'], 'tick/price': 1 },
      { 'db/id': 'u', 'tick/ts': 2 * minute, 'tick/volume': 7 },
      { 'db/id': 't', 'tick/ts': minute, 'tick/volume': 3 },
    ]);
    const hot = swarm.sketches.hot('volume', 2, { from: minute, to: 2 * minute });
    assert.deepEqual(hot.markets, [{ market: 'A', estimate: 3 }]);
    assert.deepEqual(swarm.sketches.hot('volume', 2).markets, [
      { market: 'B', estimate: 7 },
      { market: 'A', estimate: 3 },
    ]);
    await swarm.close();
  });

  it('are rebuilt on reopen as they were kept live', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gswarm-sketches-'));
    try {
      const first = await Swarm.open({ storage: storage.persistent(dir), sketches: { snapshotTicks: 2 } });
      const { txs } = await seeded(first);
      const live = state(first.sketches, txs);
      const answers = [
        first.sketches.hot('ticks', 5, { asOf: txs[2] }),
        first.sketches.distinct('tick/market'),
      ];
      await first.close();
      const second = await Swarm.open({ storage: storage.persistent(dir), sketches: { snapshotTicks: 2 } });
      assert.deepEqual(state(second.sketches, txs), live);
      assert.deepEqual(
        [second.sketches.hot('ticks', 5, { asOf: txs[2] }), second.sketches.distinct('tick/market')],
        answers,
      );
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
