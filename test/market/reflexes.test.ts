/**
 * Reflexes: edge-triggered band alerts (src/market/reflex-rules.ts), stored as facts in the tx of
 * the tick that fired them, surviving restarts; and a property test against a naive model.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { GswarmError } from '../../src/errors.js';
import { type Alert, type Reflex, Swarm, type TickRow } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';

const temporary: string[] = [];
after(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A Swarm in memory with markets, recording every alert delivered to onAlert. */
async function swarmWith(markets: string[], options: { dir?: string } = {}) {
  const swarm = await Swarm.open({
    storage: options.dir ? storage.persistent(options.dir) : storage.memory(),
  });
  if (markets.length > 0) await swarm.ingest({ markets: markets.map((id) => ({ id })) });
  const heard: Alert[] = [];
  swarm.onAlert((alert) => heard.push(alert));
  return { swarm, heard };
}

let nextTs = 1_000;
function tick(id: string, market: string, price: number, extra: Partial<TickRow> = {}): TickRow {
  return { id, market, price, volume: 1, ts: (nextTs += 10), ...extra };
}

/** The alerts' reflex:tick pairs. */
const fired = (alerts: readonly Alert[]) => alerts.map((a) => `${a.reflex}:${a.tick}`);
/** The same, sorted: for batches where several reflexes fire (their order within a tx is not specified). */
const firedSet = (alerts: readonly Alert[]) => fired(alerts).sort();

describe('reflex edge semantics', () => {
  it('entering the band fires, staying in does not, leaving and re-entering fires again', async () => {
    const { swarm, heard } = await swarmWith(['A']);
    await swarm.putReflex({ id: 'up', market: 'A', above: 100 });
    await swarm.ingest({
      ticks: [tick('a1', 'A', 90), tick('a2', 'A', 110), tick('a3', 'A', 120), tick('a4', 'A', 95)],
    });
    await swarm.ingest({ ticks: [tick('a5', 'A', 105)] });
    await swarm.ingest({ ticks: [tick('a6', 'A', 130)] });
    await swarm.ingest({ ticks: [tick('a7', 'A', 100), tick('a8', 'A', 100.5)] });
    assert.deepEqual(fired(swarm.alerts()), ['up:a2', 'up:a5', 'up:a8']);
    assert.deepEqual(
      swarm.alerts().map((a) => [a.market, a.value]),
      [
        ['A', 110],
        ['A', 105],
        ['A', 100.5],
      ],
    );
    assert.deepEqual(fired(heard), fired(swarm.alerts()));
  });

  it('the first tick of a market fires when it is in the band; a reflex sees ticks from before it existed', async () => {
    const { swarm } = await swarmWith(['A', 'B']);
    await swarm.putReflex({ id: 'a', market: 'A', above: 10 });
    await swarm.ingest({ ticks: [tick('a1', 'A', 20)] });
    // B's last tick is in the band when the reflex is created: the next in-band tick is no entry.
    await swarm.ingest({ ticks: [tick('b1', 'B', 20)] });
    await swarm.putReflex({ id: 'b', market: 'B', above: 10 });
    await swarm.ingest({ ticks: [tick('b2', 'B', 30), tick('b3', 'B', 5), tick('b4', 'B', 11)] });
    assert.deepEqual(fired(swarm.alerts()), ['a:a1', 'b:b4']);
  });

  it('above, below, entering a band and leaving it; the bounds themselves are outside', async () => {
    const { swarm } = await swarmWith(['A']);
    await swarm.putReflex({ id: 'above', market: 'A', above: 50 });
    await swarm.putReflex({ id: 'below', market: 'A', below: 20 });
    await swarm.putReflex({ id: 'between', market: 'A', enters: { low: 30, high: 40 } });
    await swarm.putReflex({ id: 'breakout', market: 'A', leaves: { low: 20, high: 50 } });
    const prices = [25, 35, 50, 51, 40, 19, 20, 30, 39, 60, 10, 35];
    const { tx } = await swarm.ingest({ ticks: prices.map((p, i) => tick(`t${i}`, 'A', p)) });
    const alerts = swarm.alerts();
    const of = (reflex: string) => alerts.filter((a) => a.reflex === reflex).map((a) => [a.tick, a.value]);
    assert.deepEqual(of('above'), [
      ['t3', 51],
      ['t9', 60],
    ]);
    assert.deepEqual(of('below'), [
      ['t5', 19],
      ['t10', 10],
    ]);
    assert.deepEqual(of('between'), [
      ['t1', 35],
      ['t8', 39],
      ['t11', 35],
    ]);
    // Out above 50 (t3), back in at 40, out below 20 (t5), in at 20, out at 60 (t9); 10 is still out.
    assert.deepEqual(of('breakout'), [
      ['t3', 51],
      ['t5', 19],
      ['t9', 60],
    ]);
    assert.deepEqual(
      swarm.reflexes().find((r) => r.id === 'breakout'),
      { id: 'breakout', market: 'A', attr: 'tick/price', leaves: { low: 20, high: 50 } },
    );
    assert.ok(alerts.every((a) => a.tx === tx));
  });

  it('a reflex on tick/volume watches the volume, not the price', async () => {
    const { swarm } = await swarmWith(['A']);
    await swarm.putReflex({ id: 'vol', market: 'A', attr: 'tick/volume', above: 1000 });
    await swarm.putReflex({ id: 'price', market: 'A', above: 1000 });
    await swarm.ingest({
      ticks: [
        tick('t1', 'A', 5000, { volume: 10 }),
        tick('t2', 'A', 5, { volume: 2000 }),
        tick('t3', 'A', 5, { volume: 3000 }),
        tick('t4', 'A', 5000, { volume: 0 }),
        tick('t5', 'A', 5, { volume: 1001 }),
      ],
    });
    assert.deepEqual(
      swarm
        .alerts()
        .map((a) => [a.tick, a.reflex, a.value])
        .sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
      [
        ['t1', 'price', 5000],
        ['t2', 'vol', 2000],
        ['t4', 'price', 5000],
        ['t5', 'vol', 1001],
      ],
    );
    assert.deepEqual(swarm.reflexes().find((r) => r.id === 'vol')?.attr, 'tick/volume');
  });

  it('cooldownMs suppresses an entry within that much event time of the last alert', async () => {
    const { swarm } = await swarmWith(['A']);
    await swarm.putReflex({ id: 'cool', market: 'A', above: 100, cooldownMs: 100 });
    const at = (id: string, price: number, ts: number) => tick(id, 'A', price, { ts });
    await swarm.ingest({
      ticks: [
        at('t1', 150, 1000), // enters: fires
        at('t2', 50, 1010),
        at('t3', 150, 1050), // enters 50 ms after the alert: suppressed
        at('t4', 150, 1200), // still in the band (the suppressed entry counts): nothing
        at('t5', 50, 1210),
      ],
    });
    // Across batches the last alert's event time comes from the stored alerts.
    await swarm.ingest({ ticks: [at('t6', 150, 1099)] }); // 99 ms after t1: suppressed
    await swarm.ingest({ ticks: [at('t7', 50, 1100), at('t8', 150, 1100)] }); // exactly 100 ms: fires
    await swarm.ingest({ ticks: [at('t9', 50, 1150), at('t10', 150, 1199)] }); // 99 ms after t8
    // Event time, not arrival: a late tick whose ts is long after the last alert fires.
    await swarm.ingest({ ticks: [at('t11', 50, 5000), at('t12', 150, 900)] }); // before t8: suppressed
    await swarm.ingest({ ticks: [at('t13', 50, 5000), at('t14', 150, 5000)] });
    assert.deepEqual(fired(swarm.alerts()), ['cool:t1', 'cool:t8', 'cool:t14']);
  });

  it('a cooldown of 0 suppresses nothing', async () => {
    const { swarm } = await swarmWith(['A']);
    await swarm.putReflex({ id: 'r', market: 'A', below: 10, cooldownMs: 0 });
    await swarm.ingest({
      ticks: [tick('t1', 'A', 5, { ts: 7 }), tick('t2', 'A', 50, { ts: 7 }), tick('t3', 'A', 5, { ts: 7 })],
    });
    assert.deepEqual(fired(swarm.alerts()), ['r:t1', 'r:t3']);
  });

  it("a reflex on another market is untouched, and other markets' ticks do not move its edge", async () => {
    const { swarm } = await swarmWith(['A', 'B']);
    await swarm.putReflex({ id: 'onA', market: 'A', above: 100 });
    await swarm.putReflex({ id: 'onB', market: 'B', above: 100 });
    await swarm.ingest({ ticks: [tick('a1', 'A', 150), tick('b1', 'B', 50), tick('b2', 'B', 150)] });
    // A's last tick is in its band; B's out-of-band ticks in between do not count as A leaving.
    await swarm.ingest({ ticks: [tick('b3', 'B', 10), tick('a2', 'A', 160), tick('b4', 'B', 10)] });
    await swarm.ingest({ ticks: [tick('b5', 'B', 500)] });
    assert.deepEqual(fired(swarm.alerts()), ['onA:a1', 'onB:b2', 'onB:b5']);
  });

  it('duplicates never fire and do not move the edge', async () => {
    const { swarm, heard } = await swarmWith(['A']);
    await swarm.putReflex({ id: 'r', market: 'A', above: 100 });
    const t1 = tick('t1', 'A', 150);
    const t2 = tick('t2', 'A', 50);
    const t3 = tick('t3', 'A', 150);
    await swarm.ingest({ ticks: [t1, t2, t3] });
    // Re-sending the entering tick: a duplicate, no alert.
    let result = await swarm.ingest({ ticks: [t3] });
    assert.deepEqual([result.accepted, result.duplicates], [0, 1]);
    // Re-sending the out-of-band t2 is not a leave: t4 stays in the band.
    result = await swarm.ingest({ ticks: [t2, tick('t4', 'A', 170), t2] });
    assert.deepEqual([result.accepted, result.duplicates], [1, 2]);
    // A batch repeating an entering tick fires once.
    result = await swarm.ingest({
      ticks: [tick('t5', 'A', 10), tick('t6', 'A', 200, { ts: 1 }), tick('t6', 'A', 200, { ts: 1 })],
    });
    assert.deepEqual([result.accepted, result.duplicates], [2, 1]);
    assert.deepEqual(fired(swarm.alerts()), ['r:t1', 'r:t3', 'r:t6']);
    assert.deepEqual(fired(heard), ['r:t1', 'r:t3', 'r:t6']);
  });

  it('alerts are stored in the same tx as their tick and are facts as of any tx', async () => {
    const { swarm, heard } = await swarmWith(['A', 'B']);
    const seen: { alert: Alert; basisTx: number }[] = [];
    swarm.onAlert((alert) => seen.push({ alert, basisTx: swarm.conn.basisTx }));
    await swarm.putReflex({ id: 'r', market: 'A', above: 10 });
    await swarm.putReflex({ id: 's', market: 'B', below: 10 });
    const before = swarm.conn.basisTx;
    const first = await swarm.ingest({ ticks: [tick('a1', 'A', 20), tick('b1', 'B', 5)] });
    const quiet = await swarm.ingest({ ticks: [tick('a2', 'A', 30)] });
    const second = await swarm.ingest({ ticks: [tick('a3', 'A', 1), tick('a4', 'A', 40)] });
    const alerts = swarm.alerts();
    assert.deepEqual(
      alerts.map((a) => [a.reflex, a.tick, a.tx]),
      [
        ['r', 'a1', first.tx],
        ['s', 'b1', first.tx],
        ['r', 'a4', second.tx],
      ],
    );
    for (const alert of alerts) {
      // The tx that stored the tick stored the alert.
      const tickEntity = swarm.conn.view.datoms('avet', 'tick/id', alert.tick)[0]!;
      assert.equal(tickEntity.tx, alert.tx);
      const stored = swarm.conn.datoms('eavt', alert.seq).map((d) => d.tx);
      assert.deepEqual(new Set(stored), new Set([alert.tx]));
      assert.equal(alert.durableAtMs, swarm.conn.view.txInstant(alert.tx));
    }
    // Queryable as of a tx.
    const countAsOf = (tx: number) => swarm.conn.asOf(tx).count('alert/tx');
    assert.deepEqual(
      [countAsOf(before), countAsOf(first.tx), countAsOf(quiet.tx), countAsOf(second.tx)],
      [0, 2, 2, 3],
    );
    assert.deepEqual(fired(swarm.alerts({ sinceTx: first.tx })), ['r:a4']);
    assert.deepEqual(fired(swarm.alerts({ afterSeq: alerts[0]!.seq })), ['s:b1', 'r:a4']);
    assert.ok(alerts[0]!.seq < alerts[1]!.seq && alerts[1]!.seq < alerts[2]!.seq);
    // Listeners hear each alert once, in seq order, once its tx is durable.
    assert.deepEqual(
      heard.map(({ durableAtMs: _, ...a }) => a),
      alerts.map(({ durableAtMs: _, ...a }) => a),
    );
    for (const { alert, basisTx } of seen) assert.ok(basisTx >= alert.tx, 'heard only once durable');
  });

  it('a refused batch fires no alert', async () => {
    const { swarm, heard } = await swarmWith(['A']);
    await swarm.putReflex({ id: 'r', market: 'A', above: 10 });
    await assert.rejects(swarm.ingest({ ticks: [tick('t1', 'A', 20), tick('t2', 'NOPE', 20)] }), {
      code: 'GSW_ERR_DANGLING_REF',
    });
    assert.deepEqual(swarm.alerts(), []);
    assert.equal(swarm.conn.count('alert/tx'), 0);
    // The refused entry left no trace: the next entry fires.
    await swarm.ingest({ ticks: [tick('t3', 'A', 20)] });
    assert.deepEqual(fired(swarm.alerts()), ['r:t3']);
    assert.deepEqual(fired(heard), ['r:t3']);
  });
});

describe('reflex management', () => {
  it('putReflex replaces a reflex with the same id, removing absent bounds', async () => {
    const { swarm } = await swarmWith(['A', 'B']);
    const first = await swarm.putReflex({ id: 'r', market: 'A', above: 100, cooldownMs: 1000 });
    assert.equal(typeof first.tx, 'number');
    assert.deepEqual(swarm.reflexes(), [
      { id: 'r', market: 'A', attr: 'tick/price', above: 100, cooldownMs: 1000 },
    ]);
    await swarm.putReflex({ id: 'r', market: 'A', below: 50 });
    assert.deepEqual(swarm.reflexes(), [{ id: 'r', market: 'A', attr: 'tick/price', below: 50 }]);
    await swarm.ingest({
      ticks: [tick('t1', 'A', 150), tick('t2', 'A', 40), tick('t3', 'A', 60), tick('t4', 'A', 30)],
    });
    assert.deepEqual(fired(swarm.alerts()), ['r:t2', 'r:t4'], 'the new band, without the old cooldown');
    // Moving the reflex to another market.
    await swarm.putReflex({ id: 'r', market: 'B', below: 50, attr: 'tick/volume' });
    assert.deepEqual(swarm.reflexes(), [{ id: 'r', market: 'B', attr: 'tick/volume', below: 50 }]);
    await swarm.ingest({
      ticks: [tick('t5', 'A', 150), tick('t6', 'A', 10), tick('b1', 'B', 10, { volume: 10 })],
    });
    assert.deepEqual(fired(swarm.alerts()), ['r:t2', 'r:t4', 'r:b1']);
    assert.equal(swarm.conn.count('reflex/id'), 1, 'replaced, not duplicated');
  });

  it('deleteReflex stops it, keeps its alerts, and a second delete finds nothing', async () => {
    const { swarm } = await swarmWith(['A']);
    await swarm.putReflex({ id: 'r', market: 'A', above: 10 });
    await swarm.putReflex({ id: 'keep', market: 'A', above: 15 });
    await swarm.ingest({ ticks: [tick('t1', 'A', 20)] });
    const deleted = await swarm.deleteReflex('r');
    assert.ok(deleted);
    assert.equal(deleted.tx, swarm.conn.basisTx);
    assert.equal(await swarm.deleteReflex('r'), undefined);
    assert.equal(await swarm.deleteReflex('never'), undefined);
    assert.deepEqual(
      swarm.reflexes().map((r) => r.id),
      ['keep'],
    );
    await swarm.ingest({ ticks: [tick('t2', 'A', 5), tick('t3', 'A', 20)] });
    assert.deepEqual(firedSet(swarm.alerts()), ['keep:t1', 'keep:t3', 'r:t1']);
    // Re-creating it works, and it watches again.
    await swarm.putReflex({ id: 'r', market: 'A', below: 10 });
    await swarm.ingest({ ticks: [tick('t4', 'A', 5)] });
    assert.ok(fired(swarm.alerts()).includes('r:t4'));
  });

  it('refuses an invalid reflex or one on a market that does not exist, changing nothing', async () => {
    const { swarm } = await swarmWith(['A']);
    const basis = swarm.conn.basisTx;
    const bad: [Reflex, RegExp][] = [
      [{ id: 'r', market: 'A' }, /above/],
      [{ id: '', market: 'A', above: 1 }, /id/],
      [{ id: 'r', market: 'A', above: Number.NaN }, /above must be a finite number/],
      [{ id: 'r', market: 'A', below: 1, cooldownMs: -1 }, /cooldownMs/],
      [{ id: 'r', market: 'A', below: 1, attr: 'tick/ts' as 'tick/price' }, /attr/],
      // Rules that could never fire.
      [{ id: 'r', market: 'A', above: 110, below: 95 }, /ambiguous: give enters.*or leaves/],
      [{ id: 'r', market: 'A', above: 95, below: 110 }, /ambiguous/],
      [{ id: 'r', market: 'A', enters: { low: 110, high: 95 } }, /enters.low must be below high/],
      [{ id: 'r', market: 'A', leaves: { low: 100, high: 100 } }, /leaves.low must be below high/],
      [{ id: 'r', market: 'A', below: 0 }, /never negative/],
      [{ id: 'r', market: 'A', enters: { low: -5, high: 0 } }, /never negative/],
      [{ id: 'r', market: 'A', above: 1, leaves: { low: 1, high: 2 } }, /one of/],
    ];
    for (const [reflex, message] of bad) {
      await assert.rejects(swarm.putReflex(reflex), (error: GswarmError) => {
        assert.equal(error.code, 'GSW_ERR_VALUE_TYPE');
        assert.match(error.message, message);
        return true;
      });
    }
    await assert.rejects(swarm.putReflex({ id: 'r', market: 'NOPE', above: 1 }), (error: GswarmError) => {
      assert.equal(error.code, 'GSW_ERR_DANGLING_REF');
      assert.match(error.message, /NOPE/);
      return true;
    });
    assert.equal(swarm.conn.basisTx, basis);
    assert.deepEqual(swarm.reflexes(), []);
  });
});

describe('reflexes across a reopen', () => {
  it('reflexes and alerts survive, and edge state and cooldown continue', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gswarm-reflex-'));
    temporary.push(dir);
    let { swarm } = await swarmWith(['A', 'B'], { dir });
    await swarm.putReflex({ id: 'up', market: 'A', above: 100 });
    await swarm.putReflex({ id: 'cool', market: 'B', below: 10, cooldownMs: 1000 });
    await swarm.putReflex({ id: 'gone', market: 'A', below: 1 });
    await swarm.ingest({
      ticks: [tick('a1', 'A', 150), tick('b1', 'B', 5, { ts: 10_000 }), tick('a0', 'A', 0.5)],
    });
    await swarm.deleteReflex('gone');
    await swarm.ingest({ ticks: [tick('a2', 'A', 160), tick('b2', 'B', 50, { ts: 10_100 })] });
    const reflexes = swarm.reflexes();
    const alerts = swarm.alerts();
    assert.deepEqual(firedSet(alerts), ['cool:b1', 'gone:a0', 'up:a1', 'up:a2']);
    await swarm.close();

    const reopened = await swarmWith([], { dir });
    swarm = reopened.swarm;
    assert.deepEqual(swarm.reflexes(), reflexes);
    assert.deepEqual(swarm.alerts(), alerts);
    // A's last tick (a2) is in the band: staying in does not fire after the reopen either.
    await swarm.ingest({ ticks: [tick('a3', 'A', 170)] });
    // B re-enters within its cooldown of b1 (stored before the reopen): suppressed.
    await swarm.ingest({ ticks: [tick('b3', 'B', 5, { ts: 10_500 }), tick('b4', 'B', 50, { ts: 10_600 })] });
    assert.deepEqual(fired(swarm.alerts()), fired(alerts));
    await swarm.ingest({
      ticks: [
        tick('a4', 'A', 10),
        tick('a5', 'A', 110),
        tick('a6', 'A', 0.1),
        tick('b5', 'B', 1, { ts: 11_000 }),
      ],
    });
    assert.deepEqual(fired(swarm.alerts()), [...fired(alerts), 'up:a5', 'cool:b5']);
    assert.deepEqual(fired(reopened.heard), ['up:a5', 'cool:b5']);
    assert.deepEqual(swarm.reflexes(), reflexes);
    await swarm.close();

    // And once more from the checkpoint the close wrote.
    const again = await swarmWith([], { dir });
    assert.deepEqual(fired(again.swarm.alerts()), [...fired(alerts), 'up:a5', 'cool:b5']);
    // a6 left A's band before the close: a7 enters.
    await again.swarm.ingest({ ticks: [tick('a7', 'A', 200), tick('a8', 'A', 300)] });
    assert.deepEqual(fired(again.heard), ['up:a7']);
    await again.swarm.close();
  });
});

describe('reflexes against a naive model (property)', () => {
  type Row = { id: string; market: string; price: number; volume: number; ts: number };
  type Op =
    | { kind: 'ingest'; rows: ({ resend: number } | Omit<Row, 'id'>)[] }
    | { kind: 'put'; reflex: Reflex }
    | { kind: 'delete'; id: string };
  const markets = ['A', 'B', 'C'];
  const reflexIds = ['r0', 'r1', 'r2', 'r3'];

  const newRow = fc.record({
    market: fc.constantFrom(...markets),
    price: fc.constantFrom(5, 10, 20, 30, 40, 50, 60),
    volume: fc.constantFrom(0, 100, 1000, 2000),
    ts: fc.integer({ min: 0, max: 30 }).map((x) => x * 10),
  });
  const row = fc.oneof(
    { weight: 5, arbitrary: newRow },
    { weight: 1, arbitrary: fc.record({ resend: fc.nat() }) },
  );
  const band = fc
    .record({ low: fc.constantFrom(5, 20, 30), high: fc.constantFrom(31, 45, 1500) })
    .map((b) => ({ ...b }));
  const bounds = fc.oneof(
    fc.record({ above: fc.constantFrom(10, 25, 40, 55) }),
    fc.record({ below: fc.constantFrom(10, 25, 40, 55) }),
    fc.record({ enters: band }),
    fc.record({ leaves: band }),
  );
  const reflex: fc.Arbitrary<Reflex> = fc
    .tuple(
      fc.constantFrom(...reflexIds),
      fc.constantFrom(...markets),
      fc.constantFrom<'tick/price' | 'tick/volume' | undefined>('tick/price', 'tick/volume', undefined),
      bounds,
      fc.option(fc.constantFrom(0, 20, 100), { nil: undefined }),
    )
    .map(([id, market, attr, band, cooldownMs]) => {
      const r: Reflex = { id, market, ...band };
      if (attr !== undefined) r.attr = attr;
      if (cooldownMs !== undefined) r.cooldownMs = cooldownMs;
      return r;
    });
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('ingest' as const),
        rows: fc.array(row, { minLength: 1, maxLength: 8 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('put' as const), reflex }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.constantFrom(...reflexIds) }),
    },
  );

  const inBand = (r: Reflex, value: number) => {
    if (r.enters) return r.enters.low < value && value < r.enters.high;
    if (r.leaves) return value < r.leaves.low || r.leaves.high < value;
    return r.above !== undefined ? value > r.above : value < r.below!;
  };

  it('random tick sequences over several markets and reflexes fire exactly the modelled alerts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), async (ops) => {
        const { swarm, heard } = await swarmWith(markets);
        // The model: ticks per market in log order, live reflexes, each reflex's last alert ts.
        const stored = new Map<string, Row>();
        const byMarket = new Map<string, Row[]>(markets.map((m) => [m, []]));
        const live = new Map<string, Reflex>();
        const lastAlertTs = new Map<string, number>();
        const expected: { reflex: string; market: string; tick: string; value: number; tx: number }[] = [];
        let sent: Row[] = [];
        try {
          for (const [i, o] of ops.entries()) {
            if (o.kind === 'put') {
              await swarm.putReflex(o.reflex);
              live.set(o.reflex.id, o.reflex);
              continue;
            }
            if (o.kind === 'delete') {
              const result = await swarm.deleteReflex(o.id);
              assert.equal(result !== undefined, live.has(o.id));
              live.delete(o.id);
              continue;
            }
            const rows: Row[] = o.rows.map((r, k) =>
              'resend' in r
                ? sent.length > 0
                  ? sent[r.resend % sent.length]!
                  : { id: `t${i}-${k}`, market: 'A', price: 1, volume: 1, ts: 1 }
                : { id: `t${i}-${k}`, ...r },
            );
            const fresh: Row[] = [];
            const inBatch = new Set<string>();
            for (const r of rows) {
              if (stored.has(r.id) || inBatch.has(r.id)) continue;
              inBatch.add(r.id);
              fresh.push(r);
            }
            const result = await swarm.ingest({ ticks: rows });
            assert.equal(result.accepted, fresh.length);
            assert.equal(result.duplicates, rows.length - fresh.length);
            for (const market of markets) {
              const group = fresh.filter((r) => r.market === market);
              if (group.length === 0) continue;
              for (const [id, r] of live) {
                if (r.market !== market) continue;
                const attr = r.attr === 'tick/volume' ? 'volume' : 'price';
                const previous = byMarket.get(market)!.at(-1);
                let wasIn = previous !== undefined && inBand(r, previous[attr]);
                for (const t of group) {
                  const isIn = inBand(r, t[attr]);
                  if (isIn && !wasIn) {
                    const last = lastAlertTs.get(id) ?? Number.NEGATIVE_INFINITY;
                    if (r.cooldownMs === undefined || t.ts - last >= r.cooldownMs) {
                      expected.push({ reflex: id, market, tick: t.id, value: t[attr], tx: result.tx });
                      lastAlertTs.set(id, t.ts);
                    }
                  }
                  wasIn = isIn;
                }
              }
            }
            for (const r of fresh) {
              stored.set(r.id, r);
              byMarket.get(r.market)!.push(r);
            }
            sent = [...sent, ...fresh];
            assert.equal(swarm.count('alert/tx', result.tx).count, expected.length);
          }
          const key = (a: { tx: number; reflex: string; tick: string }) => `${a.tx}|${a.reflex}|${a.tick}`;
          const order = (x: { tx: number; reflex: string; tick: string }, y: typeof x) =>
            key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0;
          const actual = swarm
            .alerts()
            .map(({ reflex, market, tick, value, tx }) => ({ reflex, market, tick, value, tx }))
            .sort(order);
          assert.deepEqual(actual, [...expected].sort(order));
          assert.deepEqual(
            heard.map(({ durableAtMs: _, ...a }) => a),
            swarm.alerts().map(({ durableAtMs: _, ...a }) => a),
          );
          const reflexes = [...live.values()]
            .map((r) => ({ attr: 'tick/price', ...r }))
            .sort((x, y) => (x.id < y.id ? -1 : 1));
          assert.deepEqual(
            swarm.reflexes().map((r) => ({ ...r })),
            reflexes.map((r) => {
              const { id, market, attr, above, below, enters, leaves, cooldownMs } = r;
              return Object.fromEntries(
                Object.entries({ id, market, attr, above, below, enters, leaves, cooldownMs }).filter(
                  ([, v]) => v !== undefined,
                ),
              );
            }),
          );
        } finally {
          await swarm.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
