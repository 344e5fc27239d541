/**
 * Turning a batch of market and tick rows into tx data, against the head. Everything a batch can
 * get wrong is found here, for every row at once: a tick whose market neither exists nor comes in
 * the batch (dangling), and a tick id already stored (or repeated in the batch) with different
 * content (conflict). Identical re-sent ticks are duplicates: counted, and left out of the tx.
 */
import type { View } from '../db/view.js';
import { fail } from '../errors.js';
import type { NewTick } from './reflexes.js';
import { type MarketRow, type RowError, rowErrorsMax, type TickRow } from './rows.js';

/** Markets a refusal names; the count says how many more there are. */
const missingMarketsNamedMax = 10;

const tickColumns = ['db/id', 'tick/id', 'tick/market', 'tick/price', 'tick/volume', 'tick/ts'];

export interface TickBatch {
  txData: unknown[];
  newTicks: NewTick[];
  duplicates: number;
}

export function planTickBatch(
  head: View,
  markets: readonly MarketRow[],
  ticks: readonly TickRow[],
): TickBatch {
  const marketIdAttr = head.attributeNamed('market/id');
  const tickIdAttr = head.attributeNamed('tick/id');
  const txData: unknown[] = [];
  const marketRefs = new Map<string, number | string>();
  for (const m of markets) {
    const tempid = `market:${m.id}`;
    const entity: Record<string, unknown> = { 'db/id': tempid, 'market/id': m.id };
    if (m.name !== undefined) entity['market/name'] = m.name;
    if (!marketRefs.has(m.id)) txData.push(entity);
    else Object.assign(txData.find((x) => (x as Record<string, unknown>)['db/id'] === tempid)!, entity);
    marketRefs.set(m.id, head.entityWith(marketIdAttr, m.id) ?? tempid);
  }
  const dangling: RowError[] = [];
  let danglingCount = 0;
  const missingMarkets = new Set<string>();
  const conflicts = new Set<string>();
  const seen = new Map<string, TickRow>();
  const newTicks: NewTick[] = [];
  const rows: unknown[][] = [];
  let duplicates = 0;
  ticks.forEach((tick, i) => {
    let market = marketRefs.get(tick.market);
    if (market === undefined) {
      market = head.entityWith(marketIdAttr, tick.market);
      if (market !== undefined) marketRefs.set(tick.market, market);
    }
    if (market === undefined) {
      danglingCount++;
      missingMarkets.add(tick.market);
      if (dangling.length < rowErrorsMax) dangling.push(danglingRow(i, tick.market));
      return;
    }
    const earlier = seen.get(tick.id);
    if (earlier !== undefined) {
      if (sameTick(earlier, tick)) duplicates++;
      else conflicts.add(tick.id);
      return;
    }
    seen.set(tick.id, tick);
    const stored = head.entityWith(tickIdAttr, tick.id);
    if (stored !== undefined) {
      if (storedMatches(head, stored, tick)) duplicates++;
      else conflicts.add(tick.id);
      return;
    }
    const row = [null, tick.id, market, tick.price, tick.volume, tick.ts];
    rows.push(row);
    if (typeof market === 'number')
      newTicks.push({ row, index: i, market, price: tick.price, volume: tick.volume, ts: tick.ts });
  });
  if (dangling.length > 0) failDangling(dangling, danglingCount, missingMarkets);
  if (conflicts.size > 0) {
    const ids = [...conflicts].slice(0, rowErrorsMax);
    fail(
      'GSW_ERR_WRITE_ONCE_CONFLICT',
      `tick id(s) already stored with different content: ${ids.join(', ')}`,
      { ids },
    );
  }
  if (rows.length > 0) txData.push(['db/bulk', tickColumns, rows]);
  return { txData, newTicks, duplicates };
}

/**
 * Refuses a batch whose ticks name markets that neither exist in `head` nor come in the batch,
 * as planTickBatch would, without planning the batch (a cluster node checks before forwarding).
 */
export function refuseDanglingTicks(
  head: View,
  markets: readonly MarketRow[],
  ticks: readonly TickRow[],
): void {
  const marketIdAttr = head.attributeNamed('market/id');
  const known = new Set(markets.map((m) => m.id));
  const dangling: RowError[] = [];
  const missing = new Set<string>();
  let count = 0;
  ticks.forEach((tick, i) => {
    if (known.has(tick.market)) return;
    if (head.entityWith(marketIdAttr, tick.market) !== undefined) {
      known.add(tick.market);
      return;
    }
    count++;
    missing.add(tick.market);
    if (dangling.length < rowErrorsMax) dangling.push(danglingRow(i, tick.market));
  });
  if (count > 0) failDangling(dangling, count, missing);
}

function danglingRow(index: number, market: string): RowError {
  return { index, field: 'market', message: `market ${JSON.stringify(market)} does not exist` };
}

function failDangling(rows: RowError[], count: number, missing: ReadonlySet<string>): never {
  const named = [...missing].slice(0, missingMarketsNamedMax);
  const more = missing.size - named.length;
  fail(
    'GSW_ERR_DANGLING_REF',
    `${count} tick(s) name ${missing.size} market(s) that do not exist: ` +
      `${named.map((id) => JSON.stringify(id)).join(', ')}${more > 0 ? ` and ${more} more` : ''}; ` +
      "declare them in the batch's markets (gswarm ingest --create-markets does it for you)",
    { rows, markets: named, markets_missing: missing.size },
  );
}

function sameTick(a: TickRow, b: TickRow): boolean {
  return a.market === b.market && a.price === b.price && a.volume === b.volume && a.ts === b.ts;
}

function storedMatches(head: View, e: number, tick: TickRow): boolean {
  const stored = head.pull(e, ['tick/price', 'tick/volume', 'tick/ts', { 'tick/market': ['market/id'] }]);
  const market = stored?.['tick/market'] as { 'market/id'?: string } | undefined;
  return (
    market?.['market/id'] === tick.market &&
    stored?.['tick/price'] === tick.price &&
    stored?.['tick/volume'] === tick.volume &&
    stored?.['tick/ts'] === tick.ts
  );
}
