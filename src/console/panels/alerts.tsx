/** Alerts: the live feed (resumes after a reconnect), filtered by market and reflex, and as of the basis. */
import { useEffect, useState } from 'preact/hooks';
import { followAlerts } from '../alert-feed.js';
import type { Alert } from '../api.js';

/** Alerts the feed keeps in memory; older ones stay in the store (GET /v2/alerts). */
const feedAlertsMax = 1000;

export function Alerts({ asOfMs }: { asOfMs: number | undefined }) {
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [connected, setConnected] = useState(false);
  const [market, setMarket] = useState('');
  const [reflex, setReflex] = useState('');

  useEffect(
    () => followAlerts((alert) => setAlerts((all) => [alert, ...all].slice(0, feedAlertsMax)), setConnected),
    [],
  );

  const shown = alerts.filter(
    (a) =>
      (asOfMs === undefined || a.durable_at_ms <= asOfMs) &&
      a.market.includes(market) &&
      a.reflex.includes(reflex),
  );
  return (
    <section>
      <h2>
        Alerts <span class={connected ? 'live' : 'offline'}>{connected ? 'live' : 'reconnecting'}</span>
      </h2>
      <input
        placeholder="market"
        value={market}
        onInput={(e) => setMarket((e.target as HTMLInputElement).value)}
      />
      <input
        placeholder="reflex"
        value={reflex}
        onInput={(e) => setReflex((e.target as HTMLInputElement).value)}
      />
      <table data-testid="alerts-feed">
        <thead>
          <tr>
            <th>seq</th>
            <th>reflex</th>
            <th>market</th>
            <th>tick</th>
            <th>value</th>
            <th>durable at</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((a) => (
            <tr key={a.seq} data-reflex={a.reflex}>
              <td class="num">{a.seq}</td>
              <td>{a.reflex}</td>
              <td>{a.market}</td>
              <td>{a.tick}</td>
              <td class="num">{a.value}</td>
              <td>{new Date(a.durable_at_ms).toISOString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
