/**
 * Time by the clock: wherever the API takes a tx (`as_of`, `since_tx`) it also takes an ISO-8601
 * instant, meaning the last tx committed at or before that instant. This is the one place that
 * resolution happens; responses then name both the basis tx and its instant.
 */
import { fail } from '../errors.js';
import type { Store, Timeline } from './store.js';

/** A tx id, or an ISO-8601 instant such as `2026-11-30T10:00:00Z` or `2026-11-30T11:00+01:00`. */
export type TxOrInstant = number | string;

const instantPattern =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms of an ISO-8601 instant with a date, a time and a zone; GSW_ERR_BAD_INSTANT otherwise. */
export function parseInstant(text: string): number {
  const parts = instantPattern.exec(text);
  const [year, month, day, hour, minute, second] = (parts ?? []).slice(1).map(Number);
  const ms = Date.parse(text);
  // Date.parse rolls 2026-02-30 over into March; a calendar check refuses it instead.
  const calendarDay = new Date(Date.UTC(year!, month! - 1, day!)).getUTCDate();
  if (
    parts === null ||
    Number.isNaN(ms) ||
    calendarDay !== day ||
    month! > 12 ||
    hour! > 23 ||
    minute! > 59 ||
    (second ?? 0) > 59
  ) {
    fail(
      'GSW_ERR_BAD_INSTANT',
      `${JSON.stringify(text)} is not an ISO-8601 instant like 2026-11-30T10:00:00Z (a date, a time and a zone)`,
      { instant: text },
    );
  }
  return ms;
}

/**
 * The tx a request reads as of: a tx id is kept as given (the view checks it); an instant becomes
 * the last tx at or before it; undefined becomes the view's own basis. An instant later than
 * `nowMs` is refused, since no tx can be known for it yet.
 */
export function resolveBasis(view: Timeline, given: TxOrInstant | undefined, nowMs: number): number {
  if (given === undefined) return view.basisTx;
  if (typeof given === 'number') return given;
  const instantMs = parseInstant(given);
  if (instantMs > nowMs) {
    fail('GSW_ERR_INSTANT_IN_FUTURE', `instant ${given} is later than the server's clock`, {
      instant: given,
      now: new Date(nowMs).toISOString(),
    });
  }
  return view.txAtInstant(instantMs);
}

export interface BasisFields {
  basis_tx: number;
  basis_instant?: string;
}

/** The wire fields naming a basis: the tx, and the instant it was committed at (none for tx 0). */
export function basisFields(view: Timeline, tx: number): BasisFields {
  const instantMs = view.txInstant(tx);
  return instantMs === undefined
    ? { basis_tx: tx }
    : { basis_tx: tx, basis_instant: new Date(instantMs).toISOString() };
}

/**
 * A request's basis, resolved against one timeline of the store so that the basis named in the
 * reply is the one read: the tx to read as of, and the fields that name it. In a cluster it waits
 * until the read is final on this node (every shard closed through the tx, and applied here).
 */
export async function requestBasis(
  store: Pick<Store, 'timeline' | 'settle'>,
  given: TxOrInstant | undefined,
  nowMs: number,
): Promise<{ tx: number; fields: BasisFields }> {
  const timeline = store.timeline();
  const tx = resolveBasis(timeline, given, nowMs);
  await store.settle?.(tx);
  return { tx, fields: basisFields(timeline, tx) };
}
