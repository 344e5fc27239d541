/** One market: its latest tick, a tick or candle chart (drag to zoom), and its reflexes. */
import { useEffect, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import {
  api,
  type Basis,
  type Candle,
  type LatestTick,
  query,
  type Reflex,
  type Status,
  type Tick,
} from '../api.js';
import { Chart } from '../chart.js';
import { ReflexEditor } from './reflex-editor.js';

/** Ticks one chart draws at most; candles summarise longer histories. */
const chartTicksMax = 5000;
const intervals = ['ticks', '1s', '1m', '5m', '1h', '1d'] as const;

export function Market({ id, asOf, refresh }: { id: string; asOf: string | undefined; refresh: number }) {
  const [interval, setChartInterval] = useState<(typeof intervals)[number]>('ticks');
  const [latest, setLatest] = useState<LatestTick>();
  const [data, setData] = useState<uPlot.AlignedData>([[], []]);
  const [reflexes, setReflexes] = useState<Reflex[]>([]);
  const [saved, setSaved] = useState(0);
  const [error, setError] = useState<string>();

  useEffect(() => {
    void (async () => {
      const at = asOf ?? (await api<Status>('/v2/status')).basis_tx;
      const r = await api<Basis & { markets: Record<string, LatestTick> }>(
        `/v2/query/as_of/${encodeURIComponent(at)}${query({ market: id })}`,
      );
      setLatest(r.markets[id]);
      const path = `/v2/markets/${encodeURIComponent(id)}`;
      if (interval === 'ticks') {
        const { ticks } = await api<{ ticks: Tick[] }>(
          `${path}/ticks${query({ as_of: at, limit: chartTicksMax })}`,
        );
        setData([ticks.map((t) => t.ts / 1000), ticks.map((t) => t.price)]);
      } else {
        const { candles } = await api<{ candles: Candle[] }>(
          `${path}/candles${query({ interval, as_of: at })}`,
        );
        const x = candles.map((c) => c.start / 1000);
        setData([x, candles.map((c) => c.close), candles.map((c) => c.high), candles.map((c) => c.low)]);
      }
      setError(undefined);
    })().catch((e: Error) => setError(e.message));
  }, [id, asOf, refresh, interval]);

  useEffect(() => {
    void api<{ reflexes: Reflex[] }>('/v2/reflexes')
      .then((r) => setReflexes(r.reflexes.filter((x) => x.market === id)))
      .catch(() => undefined);
  }, [id, saved]);

  return (
    <section>
      <h2>
        Market <span data-testid="market-id">{id}</span>
      </h2>
      {error && <p class="error">{error}</p>}
      <dl class="facts">
        <dt>latest price</dt>
        <dd data-testid="market-latest-price">{latest?.price ?? '—'}</dd>
        <dt>volume</dt>
        <dd>{latest?.volume ?? '—'}</dd>
        <dt>event time</dt>
        <dd>{latest ? new Date(latest.ts).toISOString() : '—'}</dd>
      </dl>
      <label>
        chart{' '}
        <select
          value={interval}
          onChange={(e) => setChartInterval((e.target as HTMLSelectElement).value as typeof interval)}
        >
          {intervals.map((i) => (
            <option key={i} value={i}>
              {i === 'ticks' ? 'ticks' : `${i} candles`}
            </option>
          ))}
        </select>
      </label>
      <Chart
        title={interval === 'ticks' ? `${id} price` : `${id} ${interval} close, high, low`}
        series={interval === 'ticks' ? ['price'] : ['close', 'high', 'low']}
        band={interval === 'ticks' ? undefined : [2, 3]}
        data={data}
        height={320}
        testId="market-chart"
      />
      <p class="hint">
        Drag across the chart or use the wheel to zoom, the arrows to pan, double-click to see it all.
      </p>
      <h3>Reflexes</h3>
      <table data-testid="market-reflexes">
        <tbody>
          {reflexes.map((r) => (
            <tr key={r.id}>
              <td>{r.id}</td>
              <td>{r.attr ?? 'tick/price'}</td>
              <td>{r.above === undefined ? '' : `above ${r.above}`}</td>
              <td>{r.below === undefined ? '' : `below ${r.below}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ReflexEditor market={id} onSaved={() => setSaved((n) => n + 1)} />
    </section>
  );
}
