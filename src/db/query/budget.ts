/**
 * The time and row budgets of one query. Evaluation is synchronous, so the running query's budget
 * is module state: relations report their growth (every `checkEvery` rows) and scans their work,
 * and the budget throws a coded error as soon as a limit is passed. That bounds how long a query
 * holds the event loop (`queryMsMax`) and how large any relation grows (`queryRowsMax`, and a
 * fixed cap on cells so a wide relation stays far below V8's array size limit).
 */
import { GswarmError } from '../../errors.js';

export interface QueryLimits {
  /** Wall time one query may run before it is ended. */
  readonly queryMsMax: number;
  /** Rows any one relation of a query (intermediate or final) may hold. */
  readonly queryRowsMax: number;
}

export const defaultQueryLimits: QueryLimits = { queryMsMax: 10_000, queryRowsMax: 5_000_000 };

/** Values one relation may hold (rows × width): V8 aborts on arrays of about 112M elements. */
const relationCellsMax = 1 << 25;
/** Rows appended or datoms visited between two looks at the clock. */
const checkEvery = 4096;

class Budget {
  private readonly deadline: number;
  private work = 0;

  constructor(
    readonly limits: QueryLimits,
    private readonly now: () => number,
  ) {
    this.deadline = now() + limits.queryMsMax;
  }

  rows(size: number, width: number): void {
    if (size > this.limits.queryRowsMax || size * width > relationCellsMax) {
      throw new GswarmError(
        'GSW_ERR_QUERY_ROWS',
        `the query built a relation of more than ${Math.min(this.limits.queryRowsMax, Math.floor(relationCellsMax / Math.max(1, width)))} rows (queryRowsMax ${this.limits.queryRowsMax}); bind more variables or add constants so fewer rows match`,
        { limit: 'queryRowsMax', queryRowsMax: this.limits.queryRowsMax },
      );
    }
    this.spend(checkEvery);
  }

  spend(units: number): void {
    this.work += units;
    if (this.work < checkEvery) return;
    this.work = 0;
    if (this.now() > this.deadline) {
      throw new GswarmError(
        'GSW_ERR_QUERY_TIMEOUT',
        `the query ran longer than queryMsMax ${this.limits.queryMsMax} ms and was ended`,
        { limit: 'queryMsMax', queryMsMax: this.limits.queryMsMax },
      );
    }
  }
}

let active: Budget | null = null;

/** Runs `evaluate` under the limits; nested runs (a query inside a query) keep the outer budget. */
export function withinBudget<T>(limits: QueryLimits, now: () => number, evaluate: () => T): T {
  if (active !== null) return evaluate();
  active = new Budget(limits, now);
  try {
    return evaluate();
  } finally {
    active = null;
  }
}

/** A relation reached `size` rows (called every `rowCheckMask + 1` rows). */
export function relationGrew(size: number, width: number): void {
  active?.rows(size, width);
}

/** `units` of work done without growing a relation (datoms visited, rows tested). */
export function spend(units: number): void {
  active?.spend(units);
}

/** Relations report their size when `size & rowCheckMask` is 0. */
export const rowCheckMask = 0xfff;
