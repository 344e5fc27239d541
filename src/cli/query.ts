/** `gswarm query`: one read against a server, printed as JSON. */
import type { TxOrInstant } from '../api/basis.js';
import type { GswarmClient } from '../client/index.js';

export interface QueryOptions {
  asOf?: TxOrInstant;
  args?: string;
  count?: string;
  latest?: boolean;
  market?: string[];
  ticks?: string;
  candles?: string;
  interval?: string;
  from?: number;
  to?: number;
  limit?: number;
  distinct?: string;
  hot?: 'ticks' | 'volume';
  k?: number;
}

/** A Datalog query given as JSON is sent as JSON; anything else is sent as query text. */
function parseQuery(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function runQuery(client: GswarmClient, datalog: string | undefined, options: QueryOptions) {
  const { asOf } = options;
  if (options.count !== undefined) return client.count(options.count, { asOf });
  const window = { from: options.from, to: options.to, asOf };
  if (options.distinct !== undefined) return client.distinct(options.distinct, window);
  if (options.hot !== undefined) return client.hot(options.hot, { ...window, k: options.k });
  if (options.ticks !== undefined) {
    const { from, to, limit } = options;
    return client.ticks(options.ticks, { from, to, asOf, limit });
  }
  if (options.candles !== undefined) {
    const { from, to, interval } = options;
    return client.candles(options.candles, { interval: interval ?? '1m', from, to, asOf });
  }
  if (options.latest) {
    const tx = asOf ?? (await client.status()).basis_tx;
    return client.asOf(tx, { markets: options.market });
  }
  if (datalog === undefined)
    throw new Error('give a Datalog query, or --count, --latest, --ticks or --candles');
  const args = options.args === undefined ? undefined : parseArgs(options.args);
  return client.query(parseQuery(datalog), { args, asOf });
}

function parseArgs(text: string): unknown[] {
  let args: unknown;
  try {
    args = JSON.parse(text);
  } catch (error) {
    throw new Error(`--args is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(args)) throw new Error('--args must be a JSON array, one item per :in input');
  return args;
}
