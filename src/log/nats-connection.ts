/**
 * Connections to NATS: the only file that opens one. Servers and mutual-TLS files come from the
 * node's options (`--nats`, `--nats-tls-cert`, `--nats-tls-key`, `--nats-ca`); a refused or
 * unreachable connection is GSW_ERR_NATS_UNREACHABLE naming the servers and the cause.
 */
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { fail, GswarmError } from '../errors.js';

export interface NatsOptions {
  /** Server URLs (`nats://host:port`); at least one. */
  servers: readonly string[];
  /** Mutual TLS: this node's certificate and key, and the CA the servers' certificates chain to. */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /** The name the servers show for this connection (the node id). */
  name?: string;
  /** How long the first connection may take, per server, ms. */
  connectMsMax?: number;
}

const connectMsMaxDefault = 5_000;
/** After a lost server, try the next at once, then every so often, forever. */
const reconnectWaitMs = 100;

export async function connectNats(options: NatsOptions): Promise<NatsConnection> {
  // The client defaults to 127.0.0.1:4222 when given no server: never let that happen silently.
  if (options.servers.length === 0) fail('GSW_ERR_NATS_UNREACHABLE', 'no NATS server given');
  const connectMsMax = options.connectMsMax ?? connectMsMaxDefault;
  const connecting = connect({
    servers: [...options.servers],
    name: options.name,
    timeout: connectMsMax,
    tls: options.tls ? { ...options.tls } : undefined,
    maxReconnectAttempts: -1,
    reconnectTimeWait: reconnectWaitMs,
    waitOnFirstConnect: false,
  });
  // The client's own timeout does not cover a TLS handshake that the server ends by refusing our
  // certificate (with TLS 1.3 the client sees that only later): the connect never settles. Our
  // own deadline turns that into a refusal, and closes the connection should it arrive after all.
  const deadlineMs = connectMsMax * options.servers.length;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `no server completed the connection within ${deadlineMs} ms${options.tls ? ' (was the client certificate refused?)' : ''}`,
          ),
        ),
      deadlineMs,
    );
  });
  try {
    return await Promise.race([connecting, deadline]);
  } catch (error) {
    connecting.then((late) => late.close()).catch(() => {});
    const cause = error instanceof Error ? `${error.message}${causeOf(error)}` : String(error);
    throw new GswarmError(
      'GSW_ERR_NATS_UNREACHABLE',
      `cannot connect to NATS at ${options.servers.join(', ')}${options.tls ? ' over mutual TLS' : ''}: ${cause}`,
      { servers: options.servers },
      error,
    );
  } finally {
    clearTimeout(timer);
  }
}

function causeOf(error: Error): string {
  const cause = error.cause;
  return cause instanceof Error && !error.message.includes(cause.message) ? ` (${cause.message})` : '';
}
