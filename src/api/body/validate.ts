/**
 * Validates every row of a parsed batch against the compiled TypeBox schemas and either returns
 * the typed rows or refuses the whole batch, listing each bad row (up to a cap).
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { fail } from '../../errors.js';
import { type Market, MarketLine, type RowError, Tick } from '../wire.js';
import type { ParsedBatch, RowPlace } from './parse.js';

export interface ValidBatch {
  markets: Market[];
  ticks: Tick[];
}

const marketLineSchema = TypeCompiler.Compile(MarketLine);
const tickSchema = TypeCompiler.Compile(Tick);

export function validateBatch(batch: ParsedBatch, rowErrorsMax: number): ValidBatch {
  const rows: RowError[] = [];
  let rowsInvalid = 0;
  const check = <T>(
    schema: typeof tickSchema | typeof marketLineSchema,
    values: unknown[],
    place: (i: number) => RowPlace,
    field: (path: string) => string,
  ) => {
    for (let i = 0; i < values.length; i++) {
      if (schema.Check(values[i])) continue;
      rowsInvalid++;
      for (const error of schema.Errors(values[i])) {
        if (rows.length === rowErrorsMax) break;
        rows.push({ ...place(i), field: field(error.path), message: error.message });
      }
    }
    return values as T[];
  };
  // Fields as the store names them: `price` for a tick, `markets.id` for a market.
  const dotted = (path: string) => path.slice(1).replaceAll('/', '.');
  const marketField = (path: string) => `markets.${dotted(path.replace(/^\/market/, ''))}`.replace(/\.$/, '');
  const marketLines = check<{ market: Market }>(
    marketLineSchema,
    batch.marketLines,
    batch.marketPlace,
    marketField,
  );
  const ticks = check<Tick>(tickSchema, batch.ticks, batch.tickPlace, dotted);
  if (rowsInvalid > 0) {
    fail(
      'GSW_ERR_INVALID_ROWS',
      `${rowsInvalid} ${rowsInvalid === 1 ? 'row is' : 'rows are'} invalid; nothing was stored`,
      {
        rows,
        rows_invalid: rowsInvalid,
      },
    );
  }
  if (marketLines.length === 0 && ticks.length === 0) fail('GSW_ERR_INVALID_ROWS', 'the batch is empty');
  return { markets: marketLines.map((line) => line.market), ticks };
}
