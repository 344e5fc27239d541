/**
 * A `text/csv` ingest body (src/market/tick-csv.ts) as a parsed batch: ticks only, each placed by
 * its line. A syntax or header error is a malformed body; empty or unparsable fields refuse the
 * batch listing each (line, column and field), like any invalid row.
 */
import { fail } from '../../errors.js';
import { rowErrorsMax } from '../../market/rows.js';
import { TickCsvError, ticksFromCsvText } from '../../market/tick-csv.js';
import type { ParsedBatch } from './parse.js';

export function parseCsvBatch(text: string): ParsedBatch {
  let read: ReturnType<typeof ticksFromCsvText>;
  try {
    read = ticksFromCsvText(text, rowErrorsMax);
  } catch (error) {
    if (!(error instanceof TickCsvError)) throw error;
    const { line, column } = error.problem;
    return fail('GSW_ERR_MALFORMED_BODY', `malformed CSV: ${error.message}`, { line, column });
  }
  const { ticks, problems, rowsInvalid } = read;
  if (rowsInvalid > 0) {
    const first = new TickCsvError(problems[0]!).message;
    fail(
      'GSW_ERR_INVALID_ROWS',
      `${rowsInvalid} CSV ${rowsInvalid === 1 ? 'row is' : 'rows are'} invalid (first: ${first}); nothing was stored`,
      {
        rows: problems.map(({ line, column, field, message }) => ({
          index: line - 1,
          line,
          column,
          field,
          message,
        })),
        rows_invalid: rowsInvalid,
      },
    );
  }
  return {
    marketLines: [],
    ticks: ticks.map(({ tick }) => tick),
    marketPlace: (i) => ({ index: i }),
    tickPlace: (i) => ({ index: ticks[i]!.line - 1, line: ticks[i]!.line }),
  };
}
