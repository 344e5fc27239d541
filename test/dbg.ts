import { ingest, startServer, tick } from './api/harness.js';
import { openRequests } from './adversarial/http.js';
const h = await startServer({
  limits: { decodedBytesInFlightMax: 1000, bodyTimeoutMs: 60_000, retryAfterS: 3 },
});
await h.app.listen({ host: '127.0.0.1', port: 0 });
console.log((await ingest(h.app, { markets: [{ id: 'M' }] })).statusCode);
const alone = await ingest(h.app, `[${' '.repeat(1200)}]`);
console.log('alone', alone.statusCode);
const [held] = await openRequests(h.app, [
  `POST /v2/ingest HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2000\r\n\r\n[${' '.repeat(799)}`,
]);
held!.on('data', (d) => console.log('held got', d.toString()));
for (let i = 0; i < 3; i++) {
  const r = await ingest(h.app, `${JSON.stringify([tick(1)])}${' '.repeat(300)}`);
  console.log(r.statusCode, r.body);
  await new Promise((r) => setTimeout(r, 100));
}
held!.destroy();
for (let i = 0; i < 3; i++) {
  const r = await ingest(h.app, `${JSON.stringify([tick(1)])}${' '.repeat(300)}`);
  console.log(r.statusCode, r.body);
  await new Promise((r) => setTimeout(r, 100));
}
await h.close();
