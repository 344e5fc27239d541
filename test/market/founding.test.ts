/**
 * The founding scenario as a correctness test: a persistent store, five markets with reflexes,
 * 10,000 ticks ingested in concurrent batches with band crossings at known places; exactly the
 * expected alerts, delivered and stored, and the same after a reopen.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Alert, type IngestResult, Swarm, type TickRow } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';

const markets = ['M0', 'M1', 'M2', 'M3', 'M4'];
const perMarket = 2000;
const batchSize = 250;
const t0 = 1_750_000_000_000;

/** Prices and volumes off the baseline, by market and tick index; the rest sit at 45..55 and 100. */
const spikes: Record<string, Record<number, { price?: number; volume?: number }>> = {
  // above 100 (M0-high) and above 100 with a 1 s cooldown (M0-cool); ticks are 100 ms apart.
  M0: {
    100: { price: 120 },
    101: { price: 130 },
    102: { price: 125 },
    777: { price: 150 },
    900: { price: 101 },
    902: { price: 200 }, // re-entry 200 ms after 900: M0-cool is cooling down
    903: { price: 100 }, // on the bound: outside
    1200: { price: 100.01 },
    1999: { price: 300 },
  },
  // below 10 (M1-low); 998..1003 straddles a batch boundary and stays in the band.
  M1: {
    50: { price: 9 },
    998: { price: 5 },
    999: { price: 4 },
    1000: { price: 3 },
    1001: { price: 2 },
    1002: { price: 1 },
    1003: { price: 0 },
    1500: { price: 10 }, // on the bound: outside
    1501: { price: 9.99 },
  },
  // between 60 and 70 (M2-mid).
  M2: {
    300: { price: 65 },
    301: { price: 66 },
    303: { price: 70 },
    304: { price: 60 },
    305: { price: 61 },
    1600: { price: 75 },
    1601: { price: 69 }, // from above the band into it
  },
  // volume above 5000 (M3-vol); prices spike too but no reflex watches M3's price.
  M3: {
    400: { volume: 6000 },
    401: { volume: 7000, price: 500 },
    1800: { volume: 5001 },
    1850: { price: 900 },
  },
  // No reflex on M4: its spikes fire nothing.
  M4: { 10: { price: 1000 }, 11: { price: 0 } },
};

const expectedAlerts = [
  ['M0-high', 'M0-100', 120],
  ['M0-high', 'M0-777', 150],
  ['M0-high', 'M0-900', 101],
  ['M0-high', 'M0-902', 200],
  ['M0-high', 'M0-1200', 100.01],
  ['M0-high', 'M0-1999', 300],
  ['M0-cool', 'M0-100', 120],
  ['M0-cool', 'M0-777', 150],
  ['M0-cool', 'M0-900', 101],
  ['M0-cool', 'M0-1200', 100.01],
  ['M0-cool', 'M0-1999', 300],
  ['M1-low', 'M1-50', 9],
  ['M1-low', 'M1-998', 5],
  ['M1-low', 'M1-1501', 9.99],
  ['M2-mid', 'M2-300', 65],
  ['M2-mid', 'M2-305', 61],
  ['M2-mid', 'M2-1601', 69],
  ['M3-vol', 'M3-400', 6000],
  ['M3-vol', 'M3-1800', 5001],
] as const;

function tickAt(k: number): TickRow {
  const market = markets[k % markets.length]!;
  const index = Math.floor(k / markets.length);
  const spike = spikes[market]![index] ?? {};
  return {
    id: `${market}-${index}`,
    market,
    price: spike.price ?? 45 + ((index * 7) % 11),
    volume: spike.volume ?? 100,
    ts: t0 + index * 100,
  };
}

const key = (reflex: string, tick: string, value: number) => `${reflex} ${tick} ${value}`;
const sortedKeys = (alerts: readonly Alert[]) => alerts.map((a) => key(a.reflex, a.tick, a.value)).sort();
const expectedKeys = expectedAlerts.map(([r, t, v]) => key(r, t, v)).sort();

describe('the founding scenario', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gswarm-founding-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('10,000 ticks over five markets fire exactly the expected alerts, and keep them after a reopen', async () => {
    let swarm = await Swarm.open({ storage: storage.persistent(dir), checkpointDatoms: 20_000 });
    await swarm.ingest({ markets: markets.map((id) => ({ id, name: `market ${id}` })) });
    await swarm.putReflex({ id: 'M0-high', market: 'M0', above: 100 });
    await swarm.putReflex({ id: 'M0-cool', market: 'M0', above: 100, cooldownMs: 1000 });
    await swarm.putReflex({ id: 'M1-low', market: 'M1', below: 10 });
    await swarm.putReflex({ id: 'M2-mid', market: 'M2', enters: { low: 60, high: 70 } });
    await swarm.putReflex({ id: 'M3-vol', market: 'M3', attr: 'tick/volume', above: 5000 });
    const heard: Alert[] = [];
    swarm.onAlert((alert) => heard.push(alert));

    const total = markets.length * perMarket;
    const batches: TickRow[][] = [];
    for (let k = 0; k < total; k += batchSize) {
      batches.push(Array.from({ length: Math.min(batchSize, total - k) }, (_, i) => tickAt(k + i)));
    }
    // Four batches in flight at a time: they share commits and keep their order.
    const results: IngestResult[] = [];
    for (let b = 0; b < batches.length; b += 4) {
      results.push(
        ...(await Promise.all(batches.slice(b, b + 4).map((batch) => swarm.ingest({ ticks: batch })))),
      );
    }
    assert.equal(
      results.reduce((n, r) => n + r.accepted, 0),
      total,
    );
    assert.equal(
      results.reduce((n, r) => n + r.duplicates, 0),
      0,
    );
    for (let i = 1; i < results.length; i++) assert.ok(results[i]!.tx > results[i - 1]!.tx);

    assert.equal(swarm.count('tick/id').count, 10_000);
    assert.equal(swarm.conn.count('tick/id'), 10_000);
    assert.equal(swarm.latest().counts['tick/id'], 10_000);
    assert.deepEqual(sortedKeys(swarm.alerts()), expectedKeys);
    assert.deepEqual(sortedKeys(heard), expectedKeys);
    assert.deepEqual(
      heard.map((a) => a.seq),
      swarm.alerts().map((a) => a.seq),
      'listeners hear alerts in seq order',
    );
    // Each alert is in the tx of its tick's batch, and names the tick's market.
    const txOfTick = new Map<string, number>();
    batches.forEach((batch, b) => {
      for (const t of batch) txOfTick.set(t.id, results[b]!.tx);
    });
    for (const alert of swarm.alerts()) {
      assert.equal(alert.tx, txOfTick.get(alert.tick), `${alert.tick}: alert in its tick's tx`);
      assert.equal(alert.market, alert.tick.split('-')[0]);
    }
    // Half-way through, as of that tx: half the ticks and the alerts fired so far.
    const middle = results[results.length / 2 - 1]!.tx;
    assert.equal(swarm.count('tick/id', middle).count, 5_000);
    const firedByMiddle = swarm.alerts().filter((a) => a.tx <= middle).length;
    assert.equal(swarm.conn.asOf(middle).count('alert/tx'), firedByMiddle);
    assert.equal(firedByMiddle, expectedAlerts.filter(([, t]) => Number(t.split('-')[1]) < 1000).length);
    assert.deepEqual(swarm.latest({ markets: ['M0'] }).markets.M0, {
      price: 300,
      volume: 100,
      ts: t0 + 1999 * 100,
      tick: 'M0-1999',
      tx: results[results.length - 1]!.tx,
    });

    // Re-sending a batch stores nothing and fires nothing.
    const again = await swarm.ingest({ ticks: batches[0]! });
    assert.deepEqual([again.accepted, again.duplicates], [0, batchSize]);
    assert.equal(heard.length, expectedAlerts.length);

    const before = swarm.alerts();
    await swarm.close();
    swarm = await Swarm.open({ storage: storage.persistent(dir) });
    try {
      assert.equal(swarm.count('tick/id').count, 10_000);
      assert.deepEqual(swarm.alerts(), before);
      assert.equal(swarm.reflexes().length, 5);
    } finally {
      await swarm.close();
    }
  });
});
