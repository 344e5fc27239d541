/**
 * Mutual TLS to NATS: with client verification on (client and route connections), a node with a
 * certificate from the cluster's CA connects and uses its log; one without a certificate, or with
 * one from another CA, is refused with GSW_ERR_NATS_UNREACHABLE naming the server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GswarmError } from '../../src/errors.js';
import { JetStreamLog } from '../../src/log/jetstream-log.js';
import { connectNats } from '../../src/log/nats-connection.js';
import { NatsCluster } from '../cluster/nats-cluster.js';

describe('mutual TLS to NATS', () => {
  let cluster: NatsCluster;
  before(async () => {
    cluster = await NatsCluster.start({ tls: true });
  });
  after(async () => {
    await cluster?.close();
  });

  const refused = (server: string) => (error: unknown) => {
    assert.ok(error instanceof GswarmError, String(error));
    assert.equal(error.code, 'GSW_ERR_NATS_UNREACHABLE');
    assert.ok(error.message.startsWith(`cannot connect to NATS at ${server}`), error.message);
    return true;
  };

  it('a node with a certificate from the cluster CA connects, and its log appends and reads', async () => {
    const certificates = cluster.certificates!;
    const nats = await connectNats({
      servers: cluster.urls,
      tls: {
        certFile: certificates.clientCertFile,
        keyFile: certificates.clientKeyFile,
        caFile: certificates.caFile,
      },
    });
    const log = await JetStreamLog.open({ nats, cluster: 'tls', shard: 0, ownsConnection: true });
    try {
      assert.equal(await log.append([Uint8Array.of(7)], { expectedLast: 0 }), 1);
      const read = [];
      for await (const entry of log.read(0)) read.push([entry.position, [...entry.records[0]!]]);
      assert.deepEqual(read, [[1, [7]]]);
    } finally {
      await log.close();
    }
  });

  it('a node without a client certificate is refused', async () => {
    const server = cluster.url(0);
    await assert.rejects(
      connectNats({ servers: [server], tls: undefined, connectMsMax: 3000 }),
      refused(server),
    );
  });

  it('a node with a certificate from another CA is refused', async () => {
    const certificates = cluster.certificates!;
    const server = cluster.url(2);
    await assert.rejects(
      connectNats({
        servers: [server],
        tls: {
          certFile: certificates.strangerCertFile,
          keyFile: certificates.strangerKeyFile,
          caFile: certificates.caFile,
        },
        connectMsMax: 3000,
      }),
      refused(server),
    );
  });
});
