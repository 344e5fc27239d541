/** How the CLI prints a failure: the message, then a server's per-row reasons, capped. */
import { GswarmHttpError } from '../client/index.js';

/** Reasons printed before "... and N more". */
export const rowReasonsShownMax = 10;

export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const refusal = error instanceof GswarmHttpError ? error : (error as { cause?: unknown })?.cause;
  if (!(refusal instanceof GswarmHttpError)) return message;
  const rows = refusal.body.rows ?? [];
  const lines = rows.slice(0, rowReasonsShownMax).map((row) => {
    const place = row.line === undefined ? `batch row ${row.index}` : `line ${row.line}`;
    const column = row.column === undefined ? '' : `, column ${row.column}`;
    return `  ${place}${column}${row.field ? ` ${row.field}` : ''}: ${row.message}`;
  });
  if (rows.length > lines.length) lines.push(`  ... and ${rows.length - lines.length} more`);
  if (lines.length === 0) return message;
  // The reasons follow the server's message, before any note the CLI added after it.
  const [first, ...rest] = message.split('\n');
  return [first, ...lines, ...rest].join('\n');
}
