/**
 * Ingest load for cluster tests: batches of fresh ticks over a dozen markets, sent round robin to
 * the nodes given, each batch retried (at the next node) until one acknowledges it, as a client
 * rides out a failover. Records every acknowledged tick id and the highest acknowledged tx.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { type GswarmCluster, hangGuardMs } from './gswarm-cluster.js';

export const markets = Array.from({ length: 12 }, (_, i) => ({ id: `MKT-${i}` }));
const batchTicks = 40;

export function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export class IngestLoad {
  readonly ids = new Set<string>();
  lastTx = 0;
  private batches = 0;
  private stopped = false;
  private next = 0;

  /** Acknowledged batches so far. */
  get count(): number {
    return this.batches;
  }

  /** Sends batches to the nodes `urls()` names until stopped. */
  async run(urls: () => string[]): Promise<void> {
    this.stopped = false;
    while (!this.stopped) {
      const ticks = Array.from({ length: batchTicks }, () => {
        const n = this.next++;
        return {
          id: `T-${n}`,
          market: markets[n % markets.length]!.id,
          price: 100 + (n % 17),
          volume: 1,
          ts: n,
        };
      });
      await this.send(urls, ticks);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** Waits until `count` batches have been acknowledged. */
  async acknowledged(count: number): Promise<void> {
    const deadline = Date.now() + hangGuardMs;
    while (this.batches < count) {
      if (Date.now() > deadline) assert.fail(`ingest stalled at ${this.batches} acknowledged batches`);
      await sleep(10);
    }
  }

  private async send(urls: () => string[], ticks: { id: string }[]): Promise<void> {
    const { tx } = await ingestUntilAcknowledged(urls, { ticks });
    for (const tick of ticks) this.ids.add(tick.id);
    this.lastTx = Math.max(this.lastTx, tx);
    this.batches++;
  }
}

/**
 * Posts `batch` to the nodes `urls` names, one after another, until one acknowledges it, as a
 * client rides out a failover: only a 503 (a leader being settled or handing off, a log append
 * unconfirmed) or a dying node's dropped connection is retried.
 */
async function ingestUntilAcknowledged(urls: () => string[], batch: object): Promise<{ tx: number }> {
  const deadline = Date.now() + hangGuardMs;
  const refusals: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const targets = urls();
    const response = await post(targets[attempt % targets.length]!, '/v2/ingest', batch).catch(
      () => undefined,
    );
    if (response?.status === 202) return (await response.json()) as { tx: number };
    if (response !== undefined) {
      const body = await response.text();
      assert.equal(response.status, 503, body);
      refusals.push(body);
    }
    if (Date.now() > deadline)
      assert.fail(`a batch was never acknowledged: ${refusals.slice(-3).join('; ')}`);
    await sleep(20);
  }
}

/** Declares the test markets through the node at `url`. */
export async function createMarkets(url: string): Promise<void> {
  await ingestUntilAcknowledged(() => [url], { markets });
}

/** Every tick id stored at the node at `url`, read now. */
export async function tickIdsAt(url: string): Promise<Set<string>> {
  const response = await post(url, '/v2/query', { query: '[:find [?id ...] :where [_ :tick/id ?id]]' });
  assert.equal(response.status, 200, await response.clone().text());
  return new Set(((await response.json()) as { result: string[] }).result);
}

/**
 * One failover round: ingest through the other nodes while the node leading the most shards is
 * killed -9 (after `beforeKill`; with `wholeNode`, together with the NATS server it talks to, as
 * when the machine they share dies), then start it again as a follower and wait for the cluster
 * to settle.
 */
export async function killLeaderUnderLoad(
  cluster: GswarmCluster,
  load: IngestLoad,
  options: { beforeKill?: () => Promise<void>; wholeNode?: boolean } = {},
): Promise<void> {
  const victim = await cluster.leaderOfMost();
  const survivors = cluster.running().filter((i) => i !== victim);
  const running = load.run(() => survivors.map((i) => cluster.url(i)));
  await load.acknowledged(load.count + 5);
  await options.beforeKill?.();
  await Promise.all([cluster.kill(victim), options.wholeNode ? cluster.nats.kill(victim) : undefined]);
  await load.acknowledged(load.count + 10);
  load.stop();
  await running;
  if (options.wholeNode) await cluster.nats.restart(victim);
  await cluster.startNode(victim);
  await cluster.settled();
}
