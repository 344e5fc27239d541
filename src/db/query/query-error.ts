import { GswarmError } from '../../errors.js';

/** The one way queries fail: GSW_ERR_QUERY, with the offending clause (JSON) in message and data. */
export function queryError(message: string, clause: unknown): GswarmError {
  const shown = clause === undefined ? '' : ` in ${showClause(clause)}`;
  return new GswarmError('GSW_ERR_QUERY', `${message}${shown}`, { clause });
}

export function showClause(clause: unknown): string {
  return JSON.stringify(clause) ?? String(clause);
}
