/**
 * The market domain's rows as users send them, and the guards every batch passes before it
 * reaches the database: each bad field is reported with its row, nothing is stored.
 */
export interface MarketRow {
  id: string;
  name?: string;
}

export interface TickRow {
  id: string;
  market: string;
  price: number;
  volume: number;
  /** Event time at the source, epoch ms. */
  ts: number;
}

export interface RowError {
  /** Index of the row in its list (`ticks`, or `markets` when `field` starts with "markets."). */
  index: number;
  field: string;
  message: string;
}

export const idLengthMax = 256;
export const rowErrorsMax = 100;

/** The rules a batch breaks (at most `rowErrorsMax` listed) and how many rows break one. */
export function checkRows(
  markets: readonly MarketRow[],
  ticks: readonly TickRow[],
): { errors: RowError[]; badRows: number } {
  const errors: RowError[] = [];
  const bad = new Set<string>();
  const report = (index: number, field: string, message: string) => {
    bad.add(`${field.startsWith('markets.') ? 'market' : 'tick'} ${index}`);
    if (errors.length < rowErrorsMax) errors.push({ index, field, message });
  };
  markets.forEach((m, i) => {
    checkId(m?.id, (message) => report(i, 'markets.id', message));
    if (m?.name !== undefined && typeof m.name !== 'string') report(i, 'markets.name', 'must be a string');
  });
  ticks.forEach((t, i) => {
    if (t === null || typeof t !== 'object') return report(i, 'tick', 'must be an object');
    checkId(t.id, (message) => report(i, 'id', message));
    checkId(t.market, (message) => report(i, 'market', message));
    checkAmount(t.price, (message) => report(i, 'price', message));
    checkAmount(t.volume, (message) => report(i, 'volume', message));
    if (!Number.isSafeInteger(t.ts) || t.ts < 0)
      report(i, 'ts', 'must be epoch milliseconds: an integer ≥ 0');
  });
  return { errors, badRows: bad.size };
}

function checkId(id: unknown, report: (message: string) => void): void {
  if (typeof id !== 'string' || id.length === 0) report('must be a non-empty string');
  else if (id.length > idLengthMax) report(`must be at most ${idLengthMax} characters`);
}

function checkAmount(x: unknown, report: (message: string) => void): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) report('must be a finite number ≥ 0');
}
