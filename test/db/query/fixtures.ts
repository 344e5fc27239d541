/** A small market database shared by the query tests. */
import type { Datom, SchemaSpec, Value } from '../../../src/db/types.js';
import { naiveSource } from './naive-source.js';

export const marketSchema: SchemaSpec = {
  'market/id': { valueType: 'string', unique: 'identity' },
  'market/name': { valueType: 'string' },
  'market/tags': { valueType: 'string', cardinality: 'many' },
  'tick/market': { valueType: 'ref' },
  'tick/price': { valueType: 'number' },
  'tick/volume': { valueType: 'number' },
  'node/parent': { valueType: 'ref' },
  'node/name': { valueType: 'string' },
};

export const tx0 = 1000;

export function facts(rows: readonly [number, string, Value][]): Datom[] {
  return rows.map(([e, a, v]) => ({ e, a, v, tx: tx0, added: true }));
}

/** Markets 1 (BTC) and 2 (ETH); ticks 10..14; a parent chain 20 ← 21 ← 22 ← 23 and a lone node 24. */
export const marketDatoms = facts([
  [1, 'market/id', 'm_btc'],
  [1, 'market/name', 'Bitcoin'],
  [1, 'market/tags', 'crypto'],
  [1, 'market/tags', 'large'],
  [2, 'market/id', 'm_eth'],
  [2, 'market/tags', 'crypto'],
  [10, 'tick/market', 1],
  [10, 'tick/price', 100],
  [10, 'tick/volume', 5],
  [11, 'tick/market', 1],
  [11, 'tick/price', 110],
  [11, 'tick/volume', 0],
  [12, 'tick/market', 1],
  [12, 'tick/price', 90],
  [12, 'tick/volume', 2],
  [13, 'tick/market', 2],
  [13, 'tick/price', 10],
  [13, 'tick/volume', 7],
  [14, 'tick/market', 2],
  [14, 'tick/price', 12],
  [14, 'tick/volume', 0],
  [20, 'node/name', 'root'],
  [21, 'node/name', 'a'],
  [21, 'node/parent', 20],
  [22, 'node/name', 'b'],
  [22, 'node/parent', 21],
  [23, 'node/name', 'c'],
  [23, 'node/parent', 22],
  [24, 'node/name', 'lone'],
]);

export const marketDb = naiveSource(marketSchema, marketDatoms);

/** Order-insensitive comparison of relation results. */
export function sorted(rows: unknown): unknown[] {
  return [...(rows as unknown[])].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}
