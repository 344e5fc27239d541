/**
 * Overview: ingest rate, commit latency and backpressure rejections over the last minutes; store
 * size; basis; distinct and hottest markets in a window (the sketches).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Basis, query, type Status } from '../api.js';
import { Chart } from '../chart.js';
import { samplesFromMetrics } from '../metrics-text.js';
import { Sketches } from './sketches.js';

/** Samples kept for the live charts: five minutes at one sample per refresh. */
const samplesMax = 150;

interface Sample {
  atS: number;
  ticksPerS: number;
  commitMs: number;
  rejections: number;
}

export function Overview({ asOf, refresh }: { asOf: string | undefined; refresh: number }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  const [storeBytes, setStoreBytes] = useState<number | undefined>();
  const [basis, setBasis] = useState<Basis | undefined>();
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [previous, setPrevious] = useState<{ commitSumS: number; commitCount: number; rejections: number }>();

  useEffect(() => {
    void (async () => {
      const [status, metricsText] = await Promise.all([
        api<Status>('/v2/status'),
        fetch('/metrics').then((r) => r.text()),
      ]);
      const m = samplesFromMetrics(metricsText);
      setStoreBytes(m.storeBytes);
      const commits = m.commitCount - (previous?.commitCount ?? m.commitCount);
      const commitMs = commits > 0 ? ((m.commitSumS - previous!.commitSumS) / commits) * 1000 : 0;
      const rejections = m.rejections - (previous?.rejections ?? m.rejections);
      setPrevious(m);
      const sample = { atS: Date.now() / 1000, ticksPerS: status.ingest_ticks_per_s, commitMs, rejections };
      setSamples((all) => [...all, sample].slice(-samplesMax));
    })().catch(() => undefined);
  }, [refresh]);

  useEffect(() => {
    void (async () => {
      const count = (attr: string) =>
        api<Basis & { count: number }>(`/v2/count/${encodeURIComponent(attr)}${query({ as_of: asOf })}`);
      const ticks = await count('tick/id');
      // The markets are counted as of the same tx, so both numbers describe one moment.
      const markets = await api<{ count: number }>(
        `/v2/count/market%2Fid${query({ as_of: ticks.basis_tx })}`,
      );
      setBasis(ticks);
      setCounts({ 'tick/id': ticks.count, 'market/id': markets.count });
    })().catch(() => undefined);
  }, [asOf, refresh]);

  const x = samples.map((s) => s.atS);
  return (
    <section>
      <h2>Overview</h2>
      <dl class="facts">
        <dt>basis tx</dt>
        <dd data-testid="basis-tx">{basis?.basis_tx ?? '—'}</dd>
        <dt>basis instant</dt>
        <dd>{basis?.basis_instant ?? '—'}</dd>
        <dt>ticks</dt>
        <dd>{counts['tick/id'] ?? '—'}</dd>
        <dt>markets</dt>
        <dd>{counts['market/id'] ?? '—'}</dd>
        <dt>store size</dt>
        <dd>{storeBytes === undefined ? '—' : `${(storeBytes / 1024 / 1024).toFixed(1)} MiB`}</dd>
      </dl>
      <div class="charts">
        <Chart title="Ingest (ticks/s)" series={['ticks/s']} data={[x, samples.map((s) => s.ticksPerS)]} />
        <Chart title="Commit latency (ms)" series={['mean ms']} data={[x, samples.map((s) => s.commitMs)]} />
        <Chart
          title="Backpressure rejections"
          series={['rejections']}
          data={[x, samples.map((s) => s.rejections)]}
        />
      </div>
      <p class="hint">Live rates are sampled from /metrics; the basis and counts follow the as-of control.</p>
      <Sketches asOf={asOf} refresh={refresh} />
    </section>
  );
}
