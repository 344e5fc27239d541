/** Markets: the latest price, volume and time of each market as of the console's basis, searchable. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Basis, type LatestTick, type Status } from '../api.js';

export function Markets({ asOf, refresh }: { asOf: string | undefined; refresh: number }) {
  const [markets, setMarkets] = useState<Record<string, LatestTick>>({});
  const [search, setSearch] = useState('');
  const [error, setError] = useState<string>();

  useEffect(() => {
    void (async () => {
      const at = asOf ?? (await api<Status>('/v2/status')).basis_tx;
      const r = await api<Basis & { markets: Record<string, LatestTick> }>(
        `/v2/query/as_of/${encodeURIComponent(at)}`,
      );
      setMarkets(r.markets);
      setError(undefined);
    })().catch((e: Error) => setError(e.message));
  }, [asOf, refresh]);

  const rows = Object.entries(markets)
    .filter(([id]) => id.toLowerCase().includes(search.toLowerCase()))
    .sort(([x], [y]) => (x < y ? -1 : 1));
  return (
    <section>
      <h2>Markets</h2>
      <input
        type="search"
        placeholder="Search markets"
        value={search}
        onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        data-testid="market-search"
      />
      {error && <p class="error">{error}</p>}
      <table data-testid="markets-table">
        <thead>
          <tr>
            <th>market</th>
            <th>price</th>
            <th>volume</th>
            <th>event time</th>
            <th>tx</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([id, t]) => (
            <tr key={id} data-market={id}>
              <td>
                <a href={`#/market/${encodeURIComponent(id)}`}>{id}</a>
              </td>
              <td class="num" data-testid="latest-price">
                {t.price}
              </td>
              <td class="num">{t.volume}</td>
              <td>{new Date(t.ts).toISOString()}</td>
              <td class="num">{t.tx}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p class="hint">No markets with ticks as of this moment.</p>}
    </section>
  );
}
