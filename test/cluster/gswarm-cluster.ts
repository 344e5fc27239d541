/**
 * A Gswarm cluster for tests, as an operator would run one: a 3-server JetStream cluster
 * (nats-cluster.ts) and `gswarm serve --nats …` nodes as child processes, each with its own data
 * directory. Nodes can be killed (-9), stopped (SIGSTOP), continued, and started again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterResponse } from '../../src/api/wire.js';
import { type ServeProcess, startServe } from '../cli/gswarm-process.js';
import { NatsCluster } from './nats-cluster.js';
import { stopProcess } from './process-stop.js';

export interface GswarmClusterOptions {
  nodes?: number;
  shards?: number;
  /** Mutual TLS between nodes and NATS (certificates made for the run). */
  tls?: boolean;
  /** Node i talks only to NATS server i, as if each pair shared a machine. */
  colocated?: boolean;
  /** How to run the CLI (default: the source through tsx). */
  entry?: readonly string[];
}

/** Hang guard for anything the cluster is waited for. */
export const hangGuardMs = 60_000;

export class GswarmCluster {
  private readonly processes: (ServeProcess | undefined)[];

  private constructor(
    readonly nats: NatsCluster,
    private readonly dir: string,
    readonly nodes: number,
    readonly shards: number,
    /** Names the cluster's streams. */
    readonly name: string,
    private readonly options: GswarmClusterOptions,
  ) {
    this.processes = new Array(nodes).fill(undefined);
  }

  static async start(options: GswarmClusterOptions = {}): Promise<GswarmCluster> {
    const nats = await NatsCluster.start({ tls: options.tls });
    const dir = mkdtempSync(join(tmpdir(), 'gswarm-cluster-'));
    const name = `t${process.pid}`;
    const cluster = new GswarmCluster(nats, dir, options.nodes ?? 3, options.shards ?? 3, name, options);
    try {
      // Every start settles before any failure is thrown, so close() finds every process started.
      const started = await Promise.allSettled(
        Array.from({ length: cluster.nodes }, (_, i) => cluster.startNode(i)),
      );
      for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
      await cluster.settled();
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** The `gswarm serve` arguments of node `i` (its id is `n<i+1>`). */
  serveArgs(i: number): string[] {
    const certificates = this.nats.certificates;
    const tls = certificates
      ? [
          '--nats-tls-cert',
          certificates.clientCertFile,
          '--nats-tls-key',
          certificates.clientKeyFile,
          '--nats-ca',
          certificates.caFile,
        ]
      : [];
    return [
      '--nats',
      this.options.colocated ? this.nats.url(i) : this.nats.urls.join(','),
      '--node',
      `n${i + 1}`,
      '--shards',
      String(this.shards),
      '--cluster',
      this.name,
      '--data',
      join(this.dir, `n${i + 1}`),
      ...tls,
    ];
  }

  async startNode(i: number): Promise<void> {
    assert.equal(this.processes[i], undefined, `node ${i} is not running`);
    this.processes[i] = await startServe(this.serveArgs(i), {}, this.options.entry);
  }

  url(i: number): string {
    const process = this.processes[i];
    assert.ok(process, `node ${i} runs`);
    return process.url;
  }

  running(): number[] {
    return this.processes.flatMap((p, i) => (p === undefined ? [] : [i]));
  }

  /** kill -9 node `i`. */
  async kill(i: number): Promise<void> {
    const process = this.processes[i];
    this.processes[i] = undefined;
    if (process === undefined) return;
    process.child.kill('SIGKILL');
    await process.exited;
  }

  /** SIGTERM node `i` and wait for its drain; resolves with its exit code. */
  async stop(i: number): Promise<number | string> {
    const process = this.processes[i];
    this.processes[i] = undefined;
    assert.ok(process, `node ${i} runs`);
    process.child.kill('SIGTERM');
    const hung = sleep(hangGuardMs).then(() => assert.fail(`node ${i} did not exit after SIGTERM`));
    return Promise.race([process.exited, hung]);
  }

  async pause(i: number): Promise<void> {
    const process = this.processes[i];
    assert.ok(process, `node ${i} runs`);
    await stopProcess(process.child);
  }

  resume(i: number): void {
    this.processes[i]?.child.kill('SIGCONT');
  }

  /** GET /v2/cluster at node `i`. */
  async view(i: number): Promise<ClusterResponse> {
    const response = await fetch(`${this.url(i)}/v2/cluster`);
    assert.equal(response.status, 200);
    return (await response.json()) as ClusterResponse;
  }

  /** The node index leading the most shards, as every running node agrees. */
  async leaderOfMost(): Promise<number> {
    const view = await this.view(this.running()[0]!);
    const led = new Map<string, number>();
    for (const s of view.shards) if (s.leader) led.set(s.leader, (led.get(s.leader) ?? 0) + 1);
    const [leader] = [...led.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]!;
    return Number(leader.slice(1)) - 1;
  }

  /**
   * Waits until every running node is ready and they agree on one running leader per shard,
   * which has applied what the stream holds.
   */
  async settled(): Promise<ClusterResponse> {
    const deadline = Date.now() + hangGuardMs;
    for (;;) {
      const agreed = await this.agreement();
      if (agreed !== undefined) return agreed;
      if (Date.now() > deadline) assert.fail('the cluster did not settle on one leader per shard');
      await sleep(50);
    }
  }

  async close(): Promise<void> {
    for (let i = 0; i < this.nodes; i++) {
      this.resume(i);
      await this.kill(i);
    }
    await this.nats.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async agreement(): Promise<ClusterResponse | undefined> {
    const running = this.running();
    const alive = new Set(running.map((i) => `n${i + 1}`));
    const views: ClusterResponse[] = [];
    for (const i of running) {
      const ready = await fetch(`${this.url(i)}/readyz`).catch(() => undefined);
      if (ready?.status !== 200) return undefined;
      views.push(await this.view(i));
    }
    for (let shard = 0; shard < this.shards; shard++) {
      const leaders = new Set(views.map((v) => v.shards[shard]!.leader));
      const [leader] = [...leaders];
      if (leaders.size !== 1 || leader === null || leader === undefined || !alive.has(leader))
        return undefined;
      const own = views.find((v) => v.node === leader)!.shards[shard]!;
      if (own.role !== 'leader') return undefined;
    }
    return views[0];
  }
}
