/**
 * Operating a cluster of `gswarm serve --nats` processes: a rolling restart of every node under
 * ingest loses no acknowledged tick, nor does the death of a whole node (its NATS server with it);
 * with mutual TLS on the NATS cluster a failover works the same,
 * and a node without a certificate, or with one from another CA, is refused at start with a clear
 * error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gswarm } from '../cli/gswarm-process.js';
import { GswarmCluster, hangGuardMs } from './gswarm-cluster.js';
import { createMarkets, IngestLoad, killLeaderUnderLoad, tickIdsAt } from './ingest-load.js';

async function assertEveryAcknowledgedTickEverywhere(
  cluster: GswarmCluster,
  load: IngestLoad,
): Promise<void> {
  assert.ok(load.ids.size > 0);
  for (const i of cluster.running()) {
    const stored = await tickIdsAt(cluster.url(i));
    const missing = [...load.ids].filter((id) => !stored.has(id));
    assert.deepEqual(missing, [], `node n${i + 1} holds every acknowledged tick`);
  }
}

describe('a rolling restart of a three-node cluster under ingest', () => {
  let cluster: GswarmCluster;
  before(async () => {
    cluster = await GswarmCluster.start();
    await createMarkets(cluster.url(0));
  });
  after(async () => {
    await cluster?.close();
  });

  it('drains and restarts each node in turn, and loses no acknowledged tick', async () => {
    const load = new IngestLoad();
    for (let i = 0; i < cluster.nodes; i++) {
      const others = cluster.running().filter((j) => j !== i);
      const running = load.run(() => others.map((j) => cluster.url(j)));
      await load.acknowledged(load.count + 5);
      assert.equal(await cluster.stop(i), 0, `node n${i + 1} drains and exits 0`);
      await load.acknowledged(load.count + 5);
      load.stop();
      await running;
      await cluster.startNode(i);
      await cluster.settled();
    }
    await assertEveryAcknowledgedTickEverywhere(cluster, load);
  });
});

describe('a cluster whose nodes each share a machine with one NATS server', () => {
  let cluster: GswarmCluster;
  before(async () => {
    cluster = await GswarmCluster.start({ colocated: true });
    await createMarkets(cluster.url(0));
  });
  after(async () => {
    await cluster?.close();
  });

  it('survives the death of a whole node (gswarm and its NATS server) and its return, twice, losing no acknowledged tick', async () => {
    const load = new IngestLoad();
    for (let round = 0; round < 2; round++) await killLeaderUnderLoad(cluster, load, { wholeNode: true });
    await assertEveryAcknowledgedTickEverywhere(cluster, load);
  });
});

describe('a cluster whose nodes reach NATS over mutual TLS', () => {
  let cluster: GswarmCluster;
  before(async () => {
    cluster = await GswarmCluster.start({ tls: true });
    await createMarkets(cluster.url(0));
  });
  after(async () => {
    await cluster?.close();
  });

  it('fails over as without TLS', async () => {
    const load = new IngestLoad();
    await killLeaderUnderLoad(cluster, load);
    await assertEveryAcknowledgedTickEverywhere(cluster, load);
  });

  it('refuses a node without a client certificate, or with one from another CA', async () => {
    const args = cluster.serveArgs(3);
    const certificates = cluster.nats.certificates!;
    const withoutTls = args.slice(0, args.indexOf('--nats-tls-cert'));
    const stranger = args.map((arg) =>
      arg === certificates.clientCertFile
        ? certificates.strangerCertFile
        : arg === certificates.clientKeyFile
          ? certificates.strangerKeyFile
          : arg,
    );
    for (const refused of [withoutTls, stranger]) {
      const run = gswarm(['serve', '--port', '0', ...refused], {}, { timeout: hangGuardMs });
      await assert.rejects(run, (error: { code?: number; stderr?: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr ?? '', /NATS|nats/);
        return true;
      });
    }
  });
});
