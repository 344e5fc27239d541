/** One ranking of the hottest markets (Count-Min and top-k), each estimate with the bound the server states. */
import type { Hot } from '../api.js';
import { formatAmount, formatError, formatPercent } from '../format.js';

export function HotMarkets({ title, answer }: { title: string; answer: Hot }) {
  const { error_bound: bound, epsilon, delta, total } = answer;
  const sure = formatPercent(1 - delta);
  return (
    <div data-testid={`hot-${answer.by}`}>
      <h4>{title}</h4>
      <table>
        <thead>
          <tr>
            <th>market</th>
            <th>estimate</th>
            <th>true value ({sure} sure)</th>
          </tr>
        </thead>
        <tbody>
          {answer.markets.map(({ market, estimate }) => (
            <tr key={market} data-market={market}>
              <td>
                <a href={`#/market/${encodeURIComponent(market)}`}>{market}</a>
              </td>
              <td class="num" data-testid="hot-estimate">
                ≈ {formatAmount(estimate)}
              </td>
              <td class="num">
                {formatAmount(Math.max(0, estimate - bound))} to {formatAmount(estimate)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {answer.markets.length === 0 && <p class="hint">No ticks in this window.</p>}
      <p class="hint" data-testid="hot-bound">
        {`Never below the truth; above it by at most ε·N = ${formatError(bound)} (ε = ${formatPercent(epsilon)}, N = ${formatAmount(total)}) with probability ${sure}.`}
      </p>
    </div>
  );
}
