/**
 * Alert-stream consumer for the founding-http suite, run in its own process so that the bench
 * client's ingest work (encoding, sending) does not delay the reading of events:
 *   alerts.ts <server url>
 * Follows GET /v2/alerts/stream with the client SDK and prints one JSON line per line of news:
 * `{"open":true}` when the stream is connected, then per alert `{ reflex, tick, tx, latencyMs,
 * receivedAtMs }` with latencyMs = Date.now() when the client yields the event − the alert's
 * durable_at_ms (both whole epoch ms), and receivedAtMs the same moment as a fractional epoch ms
 * (`wallClockMs`), comparable with the sender's. Exits when stdin closes.
 */
import { GswarmClient } from '../../src/client/index.js';
import { wallClockMs } from '../lib/timing.js';

const url = process.argv[2];
if (url === undefined) throw new Error('usage: alerts.ts <server url>');
const stop = new AbortController();
process.stdin.on('end', () => stop.abort());
process.stdin.resume();

const client = new GswarmClient({ url });
// Lines are written once the burst of events at hand is read: a write per event (a synchronous
// pipe write) would delay the reading, and so the timing, of the events behind it.
let lines: string[] = [];
const out = (value: unknown) => {
  if (lines.length === 0) setImmediate(flush);
  lines.push(JSON.stringify(value));
};
const flush = () => {
  process.stdout.write(`${lines.join('\n')}\n`);
  lines = [];
};
for await (const alert of client.alertStream({ signal: stop.signal, onOpen: () => out({ open: true }) })) {
  const receivedAtMs = wallClockMs();
  const latencyMs = Date.now() - alert.durable_at_ms;
  out({ reflex: alert.reflex, tick: alert.tick, tx: alert.tx, latencyMs, receivedAtMs });
}
if (lines.length > 0) flush();
process.exit(0);
