/** Helpers for the adversarial HTTP tests: raw request lines, the route table, liveness. */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
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

/** Sends `head` (a request line and headers, CRLF-separated, no blank line) and `body` on a new socket; resolves with what the server sent until it closed. */
export async function rawExchange(port: number, head: string, body = ''): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port });
  const received: Buffer[] = [];
  socket.on('data', (chunk) => received.push(chunk));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.end(`${head}\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
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

/** The server still answers its liveness route. */
export async function assertAlive(app: FastifyInstance): Promise<void> {
  const response = await app.inject('/healthz');
  assert.equal(response.statusCode, 200, 'the server answers /healthz');
}
