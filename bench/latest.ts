/**
 * Latest tick of a market as of a tx in the middle of the history, random markets. Gswarm: what a
 * user calls, `swarm.latest({ asOf, markets: [m] })`, and underneath it the market index alone.
 * SQLite: the (market, ts) index, newest first, skipping ticks stored after the tx.
 */
import type { View } from '../src/db/view.js';
import type { MarketIndex } from '../src/market/market-index.js';
import { loadedStores, marketCount } from './lib/fixture.js';
import { below, seeded } from './lib/prng.js';
import type { Row, Suite } from './lib/suite.js';
import { marketId } from './lib/ticks.js';
import { fmt, microsPerOp, ratio } from './lib/timing.js';

const lookups = 10_000;
const targetMicros = 1;

export const latest: Suite = {
  name: 'latest',
  title: 'Latest price of a market as of a mid-history tx, 10,000 random lookups',
  peer: 'SQLite, index on (market, ts), tx column',
  async run(ctx) {
    const { swarm, sqlite, txs } = await loadedStores(ctx);
    const midBatch = Math.floor(txs.length / 2);
    const midTx = txs[midBatch - 1]!;
    const random = seeded(7);
    const markets = Array.from({ length: lookups }, () => marketId(below(random, marketCount)));

    const select = sqlite.prepare(
      'SELECT id, price, volume, ts, tx FROM ticks INDEXED BY ticks_market_ts ' +
        'WHERE market = ? AND tx <= ? ORDER BY ts DESC LIMIT 1',
    );
    type SqlRow = { id: string; price: number; volume: number; ts: number; tx: number };

    // Same answers on both sides before timing anything (event time; ties may pick either tick).
    for (const m of markets.slice(0, 500)) {
      const ours = swarm.latest({ asOf: midTx, markets: [m] }).markets[m];
      const theirs = select.get(m, midBatch) as SqlRow | undefined;
      if (ours?.ts !== theirs?.ts) throw new Error(`latest(${m}) differs: ${ours?.ts} vs ${theirs?.ts}`);
    }

    let sink = 0;
    const api = microsPerOp(() => {
      for (const m of markets) sink += swarm.latest({ asOf: midTx, markets: [m] }).markets[m]!.price;
    }, lookups);

    // The path under swarm.latest: as-of view, market entity, market index (Swarm internals).
    const { index } = swarm as unknown as { index: MarketIndex };
    const conn = swarm.conn;
    const marketAttr = conn.view.attributeNamed('market/id');
    const viaIndex = microsPerOp(() => {
      for (const m of markets) {
        const view = conn.asOf(midTx);
        sink += index.latest(view, view.entityWith(marketAttr, m)!)!.price;
      }
    }, lookups);
    const view: View = conn.asOf(midTx);
    const entities = markets.map((m) => view.entityWith(marketAttr, m)!);
    const indexOnly = microsPerOp(() => {
      for (const e of entities) sink += index.latest(view, e)!.price;
    }, lookups);

    // SQLite steps back over the market's ticks stored after the tx: slow, so fewer lookups.
    const sqlLookups = markets.slice(0, 1000);
    const sqlPass = (statement: typeof select) => () => {
      for (const m of sqlLookups) sink += (statement.get(m, midBatch) as SqlRow).price;
    };
    const peer = microsPerOp(sqlPass(select), sqlLookups.length, 3);
    // A variant SQLite can answer from the index alone: (market, ts, tx), added untimed.
    sqlite.exec('CREATE INDEX IF NOT EXISTS ticks_market_ts_tx ON ticks(market, ts, tx)');
    const covering = sqlite.prepare(
      'SELECT id, price, volume, ts, tx FROM ticks INDEXED BY ticks_market_ts_tx ' +
        'WHERE market = ? AND tx <= ? ORDER BY ts DESC LIMIT 1',
    );
    const peerCovering = microsPerOp(sqlPass(covering), sqlLookups.length, 3);
    if (Number.isNaN(sink)) throw new Error('unreachable');
    ctx.log(
      `  latest: api ${fmt(api)} µs, index path ${fmt(viaIndex)} µs, sqlite ${fmt(peer)} µs, covering ${fmt(peerCovering)} µs`,
    );

    const row = (metric: string, us: number): Row => ({
      metric,
      gswarm: `${fmt(us)} µs`,
      peer: `${fmt(peer)} µs`,
      ratio: ratio(peer / us),
      target: `≤ ${targetMicros} µs`,
      met: us <= targetMicros,
    });
    return [
      row('swarm.latest({ asOf, markets: [m] })', api),
      row('asOf + entityWith + MarketIndex.latest', viaIndex),
      row('MarketIndex.latest on a ready view', indexOnly),
      {
        metric: 'swarm.latest vs SQLite with a covering index (market, ts, tx)',
        gswarm: `${fmt(api)} µs`,
        peer: `${fmt(peerCovering)} µs`,
        ratio: ratio(peerCovering / api),
      },
    ];
  },
};
