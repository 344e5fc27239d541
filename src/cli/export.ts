/** `gswarm export`: streams every market and tick as of a tx or an instant from a server. */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import type { TxOrInstant } from '../api/basis.js';

export interface ExportOptions {
  url: string;
  token?: string;
  asOf?: TxOrInstant;
  format: 'ndjson' | 'csv';
}

export async function exportStore(out: Writable, options: ExportOptions): Promise<void> {
  const search = new URLSearchParams({ format: options.format });
  if (options.asOf !== undefined) search.set('as_of', String(options.asOf));
  const response = await fetch(`${options.url}/v2/export?${search}`, {
    headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
  });
  if (!response.ok || response.body === null) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new Error(`export refused (${response.status}): ${body.error ?? response.statusText}`);
  }
  await pipeline(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), out, { end: false });
}
