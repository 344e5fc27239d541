/**
 * The one as-of control of the console: a slider over the tx history (first tx to latest) and a
 * date-time picker, both naming an instant that the server resolves to the last tx at or before
 * it; "Live" returns to the present.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Timeline } from './api.js';

/** An instant as the value of a datetime-local input, in the browser's zone, to the millisecond. */
function localInput(ms: number): string {
  const local = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 23);
}

export function AsOfControl(props: {
  asOf: string | undefined;
  onChange: (asOf: string | undefined) => void;
  refresh: number;
}) {
  const { asOf, onChange, refresh } = props;
  const [timeline, setTimeline] = useState<Timeline>();
  useEffect(() => {
    void api<Timeline>('/v2/timeline')
      .then(setTimeline)
      .catch(() => undefined);
  }, [refresh]);

  const firstMs = timeline?.first_instant ? Date.parse(timeline.first_instant) : Date.now();
  const lastMs = timeline?.basis_instant ? Date.parse(timeline.basis_instant) : Date.now();
  const atMs = asOf === undefined ? lastMs : Date.parse(asOf);
  const pick = (ms: number) => onChange(new Date(ms).toISOString());
  return (
    <div class="as-of" data-testid="as-of">
      <input
        type="range"
        min={firstMs}
        max={Math.max(lastMs, atMs)}
        step={1}
        value={atMs}
        onInput={(e) => pick(Number((e.target as HTMLInputElement).value))}
        data-testid="as-of-slider"
        aria-label="as of"
      />
      <input
        type="datetime-local"
        step={0.001}
        value={localInput(atMs)}
        onChange={(e) => {
          const ms = new Date((e.target as HTMLInputElement).value).getTime();
          if (Number.isFinite(ms)) pick(ms);
        }}
        data-testid="as-of-picker"
        aria-label="as of date and time"
      />
      <button
        type="button"
        onClick={() => onChange(undefined)}
        disabled={asOf === undefined}
        data-testid="as-of-live"
      >
        Live
      </button>
      <span class="as-of-label" data-testid="as-of-label">
        {asOf === undefined ? `live · tx ${timeline?.basis_tx ?? '…'}` : `as of ${asOf}`}
      </span>
    </div>
  );
}
