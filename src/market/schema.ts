/** The market domain's schema (DESIGN.md): every tick/* attribute is write-once. */
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
};
