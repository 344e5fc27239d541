/** Helpers for the adversarial HTTP tests: raw request lines, the route table, liveness. */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';

export interface Route {
  method: string;
  path: string;
}

/** Every registered route, read from Fastify's route tree (`printRoutes`), parameters as written. */
export function routesOf(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const parents: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (match === null) continue;
    const depth = match[1]!.length / 4;
    const path = (parents[depth - 1] ?? '') + match[2]!;
    parents[depth] = path;
    for (const method of match[3]!.split(', ')) routes.push({ method, path });
  }
  return routes;
}

/** The path with its parameters and wildcards filled in. */
export const concrete = (path: string) => path.replace(/:[^/]+/g, 'x1').replace(/\*/g, 'x');

/** The path with its first letter percent-encoded: `/v2/status` → `/%762/status`. */
export const percentEncoded = (path: string) => `/%${path.charCodeAt(1).toString(16)}${path.slice(2)}`;

/**
 * Sends `head` (a request line and headers, CRLF-separated, no blank line) and `body` on a new
 * socket, with a Content-Length unless `head` has one; resolves with all the server sent.
 */
export async function rawExchange(port: number, head: string, body = ''): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port });
  const received: Buffer[] = [];
  socket.on('data', (chunk) => received.push(chunk));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const length = /^content-length:/im.test(head) ? '' : `\r\ncontent-length: ${Buffer.byteLength(body)}`;
  socket.end(`${head}\r\nconnection: close${length}\r\n\r\n${body}`);
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return Buffer.concat(received).toString('utf8');
}

export const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

/** A socket that has sent `text` and stays open; the caller destroys it. */
export async function openSocket(port: number, text: string): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(text);
  return socket;
}

/** Sends each text on its own socket, left open; resolves once the server has begun handling each. */
export async function openRequests(app: FastifyInstance, texts: string[]): Promise<Socket[]> {
  const port = (app.server.address() as { port: number }).port;
  let seen = 0;
  const count = () => seen++;
  app.server.on('request', count);
  const sockets = await Promise.all(texts.map((text) => openSocket(port, text)));
  while (seen < texts.length) await turn();
  app.server.off('request', count);
  // A few more turns of the loop: the hooks before the handler are asynchronous.
  for (let i = 0; i < 20; i++) await turn();
  return sockets;
}

/** The server still answers its liveness route. */
export async function assertAlive(app: FastifyInstance): Promise<void> {
  const response = await app.inject('/healthz');
  assert.equal(response.statusCode, 200, 'the server answers /healthz');
}
