/**
 * The market domain's schema (DESIGN.md): markets, ticks (every tick/* attribute write-once),
 * reflexes (price-band rules, stored as data), the alerts they fired, and the candles that
 * retention keeps in place of the ticks it prunes.
 */
import type { SchemaSpec } from '../db/types.js';

export const marketSchema: SchemaSpec = {
  'market/id': { valueType: 'string', unique: 'identity', doc: "the market's identity" },
  'market/name': { valueType: 'string', doc: 'a display name' },
  'tick/id': {
    valueType: 'string',
    unique: 'identity',
    immutable: true,
    doc: "the tick's identity: re-sending is a no-op",
  },
  'tick/market': { valueType: 'ref', immutable: true, doc: 'the market traded (must exist)' },
  'tick/price': { valueType: 'number', immutable: true, doc: 'finite, ≥ 0' },
  'tick/volume': { valueType: 'number', immutable: true, doc: 'finite, ≥ 0' },
  'tick/ts': { valueType: 'instant', immutable: true, doc: 'event time at the source, epoch ms' },
  'reflex/id': { valueType: 'string', unique: 'identity', doc: "the reflex's identity" },
  'reflex/market': { valueType: 'ref', doc: 'the market watched; absent once the reflex is deleted' },
  'reflex/attr': { valueType: 'string', doc: 'tick/price or tick/volume' },
  'reflex/above': { valueType: 'number', doc: 'in band when the value is above this' },
  'reflex/below': { valueType: 'number', doc: 'in band when the value is below this' },
  'reflex/band': {
    valueType: 'string',
    doc: 'enters: above and below hold together; leaves: either one holds (absent: one bound, or enters)',
  },
  'reflex/cooldownMs': { valueType: 'integer', doc: 'minimum event time between two alerts' },
  'alert/reflex': { valueType: 'ref', immutable: true, doc: 'the reflex that fired' },
  'alert/tick': { valueType: 'ref', immutable: true, doc: 'the tick that entered the band' },
  'alert/value': { valueType: 'number', immutable: true, doc: "the tick's value of the reflex attribute" },
  'alert/tx': { valueType: 'integer', immutable: true, doc: 'the tx that stored the tick and the alert' },
  'candle/market': { valueType: 'ref', immutable: true, doc: 'the market of a candle of pruned ticks' },
  'candle/start': { valueType: 'instant', immutable: true, doc: "the candle's first event time" },
  'candle/width': { valueType: 'integer', immutable: true, doc: "the candle's width, ms" },
  'candle/open': { valueType: 'number', immutable: true, doc: 'price of the first tick by event time' },
  'candle/high': { valueType: 'number', immutable: true, doc: 'highest price' },
  'candle/low': { valueType: 'number', immutable: true, doc: 'lowest price' },
  'candle/close': { valueType: 'number', immutable: true, doc: 'price of the last tick by event time' },
  'candle/volume': { valueType: 'number', immutable: true, doc: 'summed volume' },
  'candle/ticks': { valueType: 'integer', immutable: true, doc: 'number of ticks' },
  'candle/openTs': { valueType: 'instant', immutable: true, doc: 'event time of the open' },
  'candle/closeTs': { valueType: 'instant', immutable: true, doc: 'event time of the close' },
  // Where the open and close ticks stood in store order, to break event-time ties with ticks
  // held. Integers, not refs: a ref would name the pruned ticks, and a prune keeps what is named.
  'candle/openTx': { valueType: 'integer', immutable: true, doc: 'the tx that stored the open' },
  'candle/openE': { valueType: 'integer', immutable: true, doc: "the open tick's entity id" },
  'candle/closeTx': { valueType: 'integer', immutable: true, doc: 'the tx that stored the close' },
  'candle/closeE': { valueType: 'integer', immutable: true, doc: "the close tick's entity id" },
};
