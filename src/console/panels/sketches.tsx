/**
 * The store's sketches on the overview: how many distinct markets traded, and the hottest markets
 * by ticks and by volume, in an event-time window that ends at the moment viewed (now when live,
 * the as-of instant otherwise), as of the console's basis, each answer with its error bound.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Distinct, type Hot, query } from '../api.js';
import { formatError, formatPercent } from '../format.js';
import { HotMarkets } from './hot-markets.js';

/** The windows offered, as event time back from the moment viewed; `all` is unbounded. */
const windows = [
  { id: '5m', label: 'last 5 min', spanMs: 5 * 60_000 },
  { id: '1h', label: 'last hour', spanMs: 60 * 60_000 },
  { id: '1d', label: 'last day', spanMs: 24 * 60 * 60_000 },
  { id: 'all', label: 'all time', spanMs: undefined },
] as const;
type WindowId = (typeof windows)[number]['id'];

/** Markets each ranking shows. */
const hotMarketsMax = 5;

interface Answers {
  distinct: Distinct;
  ticks: Hot;
  volume: Hot;
}

/** The window an answer covers, as the server rounded it out to whole buckets. */
function windowText({ from, to, basis_tx }: Distinct): string {
  const at = (ms: number) => new Date(ms).toISOString();
  const range =
    from === null && to === null
      ? 'every event time'
      : `event time ${from === null ? '' : `from ${at(from)} `}${to === null ? 'on' : `to ${at(to)}`}`;
  return `Covers ${range}, ticks committed by tx ${basis_tx}.`;
}

/** The three answers for a window ending at the moment viewed, all as of one tx. */
async function readSketches(windowId: WindowId, asOf: string | undefined): Promise<Answers> {
  const { spanMs } = windows.find((w) => w.id === windowId)!;
  const endMs = asOf === undefined ? Date.now() : Date.parse(asOf);
  const from = spanMs === undefined ? undefined : endMs - spanMs;
  const distinct = await api<Distinct>(
    `/v2/sketches/distinct${query({ attr: 'tick/market', from, as_of: asOf })}`,
  );
  // Both rankings read as of the distinct count's tx, so the three answers describe one moment.
  const hot = (by: Hot['by']) =>
    api<Hot>(`/v2/sketches/hot${query({ by, k: hotMarketsMax, from, as_of: distinct.basis_tx })}`);
  const [ticks, volume] = await Promise.all([hot('ticks'), hot('volume')]);
  return { distinct, ticks, volume };
}

export function Sketches({ asOf, refresh }: { asOf: string | undefined; refresh: number }) {
  const [windowId, setWindowId] = useState<WindowId>('1h');
  const [answers, setAnswers] = useState<Answers>();
  const [error, setError] = useState<string>();
  /** The window and as-of last asked for: an answer to an earlier choice is dropped. */
  const wanted = useRef('');
  /** The choice being read: a refresh while it is read waits for it instead of abandoning it. */
  const reading = useRef<string>();

  useEffect(() => {
    const choice = `${windowId} ${asOf ?? 'live'}`;
    wanted.current = choice;
    // A long window on a large store may take longer than a refresh: let it finish, once.
    if (reading.current === choice) return;
    reading.current = choice;
    readSketches(windowId, asOf)
      .then(
        (read) => {
          if (wanted.current !== choice) return;
          setAnswers(read);
          setError(undefined);
        },
        (e: Error) => wanted.current === choice && setError(e.message),
      )
      .finally(() => {
        if (reading.current === choice) reading.current = undefined;
      });
  }, [asOf, refresh, windowId]);

  const distinct = answers?.distinct;
  return (
    <div class="sketches" data-testid="sketches">
      <h3>
        Markets traded,{' '}
        <select
          value={windowId}
          onChange={(e) => setWindowId((e.target as HTMLSelectElement).value as WindowId)}
          data-testid="sketch-window"
          aria-label="event-time window"
        >
          {windows.map((w) => (
            <option key={w.id} value={w.id}>
              {w.label}
            </option>
          ))}
        </select>
      </h3>
      <p class="hint">
        A window ends at the moment viewed: now when live, the as-of instant otherwise; the server widens it
        to whole event-time buckets.
      </p>
      {error && <p class="error">{error}</p>}
      {answers && distinct && (
        <>
          <p class="hint" data-testid="sketch-window-covered">
            {windowText(distinct)}
          </p>
          <dl class="facts">
            <dt>distinct markets</dt>
            <dd data-testid="sketch-distinct">
              ≈ <span data-testid="distinct-estimate">{distinct.estimate}</span> ±{' '}
              {formatError(distinct.standard_error)}{' '}
              <span class="hint">
                (HyperLogLog, standard error {formatPercent(distinct.relative_standard_error)})
              </span>
            </dd>
          </dl>
          <div class="hot-lists">
            <HotMarkets title="Hottest by ticks" answer={answers.ticks} />
            <HotMarkets title="Hottest by volume" answer={answers.volume} />
          </div>
        </>
      )}
    </div>
  );
}
