/**
 * The Gswarm console: overview, markets, a market page, alerts, query and (in a cluster) the
 * cluster, all read as of one moment chosen with the as-of control, or live.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Status, token } from './api.js';
import { AsOfControl } from './as-of-control.js';
import { Alerts } from './panels/alerts.js';
import { Cluster } from './panels/cluster.js';
import { Market } from './panels/market.js';
import { Markets } from './panels/markets.js';
import { Overview } from './panels/overview.js';
import { Query } from './panels/query.js';

/** How often live panels re-read the server. */
const refreshMs = 2000;

function useHashRoute(): string {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const update = () => setHash(location.hash || '#/');
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return hash;
}

function Login({ onLogin, failed }: { onLogin: () => void; failed: boolean }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="login"
      onSubmit={(e) => {
        e.preventDefault();
        token.set(value);
        onLogin();
      }}
    >
      <h1>Gswarm</h1>
      <p>This server requires a token. It is kept in this tab's session storage only.</p>
      <input
        type="password"
        placeholder="bearer token"
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        data-testid="login-token"
      />
      <button type="submit">Sign in</button>
      {failed && <p class="error">That token was refused.</p>}
    </form>
  );
}

function App() {
  const route = useHashRoute();
  const [status, setStatus] = useState<Status>();
  const [auth, setAuth] = useState<'unknown' | 'ok' | 'needed' | 'refused'>('unknown');
  const [asOf, setAsOf] = useState<string>();
  const [refresh, setRefresh] = useState(0);

  const check = () =>
    api<Status>('/v2/status')
      .then((s) => {
        setStatus(s);
        setAuth('ok');
      })
      .catch((e) => {
        if (e instanceof ApiError && e.status === 401) setAuth(token.get() === null ? 'needed' : 'refused');
      });
  useEffect(() => {
    void check();
  }, [refresh]);
  useEffect(() => {
    const timer = setInterval(() => setRefresh((n) => n + 1), refreshMs);
    return () => clearInterval(timer);
  }, []);

  if (auth === 'needed' || auth === 'refused')
    return <Login onLogin={() => void check()} failed={auth === 'refused'} />;
  if (auth === 'unknown') return <p class="hint">Connecting…</p>;

  const marketId = route.startsWith('#/market/')
    ? decodeURIComponent(route.slice('#/market/'.length))
    : undefined;
  const nav = (href: string, label: string) => (
    <a href={href} class={route === href ? 'active' : ''}>
      {label}
    </a>
  );
  return (
    <div class="layout">
      <header>
        <h1>Gswarm</h1>
        <nav>
          {nav('#/', 'Overview')}
          {nav('#/markets', 'Markets')}
          {nav('#/alerts', 'Alerts')}
          {nav('#/query', 'Query')}
          {status?.cluster !== undefined && nav('#/cluster', 'Cluster')}
        </nav>
        <AsOfControl asOf={asOf} onChange={setAsOf} refresh={refresh} />
      </header>
      <main>
        {route === '#/' && <Overview asOf={asOf} refresh={refresh} />}
        {route === '#/markets' && <Markets asOf={asOf} refresh={refresh} />}
        {marketId !== undefined && <Market id={marketId} asOf={asOf} refresh={refresh} />}
        {route === '#/alerts' && <Alerts asOfMs={asOf === undefined ? undefined : Date.parse(asOf)} />}
        {route === '#/query' && <Query asOf={asOf} />}
        {route === '#/cluster' && <Cluster cluster={status?.cluster} />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
