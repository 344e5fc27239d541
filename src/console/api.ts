/** The console's calls to the API: the bearer token from session storage, errors as ApiError. */
import type { StatusResponse } from '../api/wire.js';

export type {
  Alert,
  Candle,
  DistinctResponse as Distinct,
  HotResponse as Hot,
  LatestTick,
  Reflex,
  Tick,
  TimelineResponse as Timeline,
} from '../api/wire.js';

const tokenKey = 'gswarm-token';

export const token = {
  get: (): string | null => sessionStorage.getItem(tokenKey),
  set: (value: string) => sessionStorage.setItem(tokenKey, value),
  clear: () => sessionStorage.removeItem(tokenKey),
};

/** The API's error body: `{ error, code, ...details }`. */
export interface ErrorBody {
  error: string;
  code: string;
  rows?: { index: number; field: string; message: string }[];
  [key: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.error);
  }
}

export function authHeaders(): Record<string, string> {
  const value = token.get();
  return value === null ? {} : { authorization: `Bearer ${value}` };
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = authHeaders();
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = (await response.json().catch(() => ({ error: response.statusText, code: '' }))) as T &
    ErrorBody;
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** `?as_of=...` (and any other parameters) for a read, omitted when live. */
export function query(parameters: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters))
    if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

export interface Basis {
  basis_tx: number;
  basis_instant?: string;
}

export interface Status extends StatusResponse {
  /** Present only when the node runs in a cluster. */
  cluster?: unknown;
}
