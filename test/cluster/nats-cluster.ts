/**
 * A JetStream cluster of real `nats-server` processes for tests: N servers (3 by default) on free
 * loopback ports with temporary store directories, optionally with mutual TLS on client and route
 * connections (`verify: true`). It waits until JetStream is ready (every server routed to every
 * other, a meta leader elected), can kill -9, stop (SIGSTOP), continue and restart a server, and
 * removes everything on `close`. Never touches port 4222.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeCertificates, type TestCertificates } from './certificates.js';
import { stopProcess } from './process-stop.js';

export interface NatsClusterOptions {
  servers?: number;
  /** Mutual TLS on client and route connections, with certificates made for the run. */
  tls?: boolean;
  /** Hang guard for readiness, ms. */
  readyMsMax?: number;
}

interface Server {
  name: string;
  clientPort: number;
  routePort: number;
  monitorPort: number;
  configFile: string;
  process: ChildProcess | undefined;
}

export class NatsCluster {
  private constructor(
    private readonly dir: string,
    private readonly servers: Server[],
    /** Certificates for clients (undefined without TLS). */
    readonly certificates: TestCertificates | undefined,
    private readonly readyMsMax: number,
  ) {}

  static async start(options: NatsClusterOptions = {}): Promise<NatsCluster> {
    requireNatsServer();
    const dir = mkdtempSync(join(tmpdir(), 'gswarm-nats-'));
    const certificates = options.tls ? makeCertificates(dir) : undefined;
    const count = options.servers ?? 3;
    const servers: Server[] = [];
    // All at once, so no two servers are given one port (each is checked free, not yet bound).
    const ports = await freePorts(3 * count);
    for (let i = 1; i <= count; i++) {
      const [clientPort, routePort, monitorPort] = ports.slice(3 * (i - 1), 3 * i) as [
        number,
        number,
        number,
      ];
      servers.push({
        name: `n${i}`,
        clientPort,
        routePort,
        monitorPort,
        configFile: join(dir, `n${i}.conf`),
        process: undefined,
      });
    }
    for (const server of servers)
      writeFileSync(server.configFile, config(dir, server, servers, certificates));
    const cluster = new NatsCluster(dir, servers, certificates, options.readyMsMax ?? 60_000);
    try {
      for (let i = 0; i < count; i++) cluster.launch(i);
      await cluster.ready();
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** Client URLs of every server, running or not. */
  get urls(): string[] {
    return this.servers.map((s) => `nats://127.0.0.1:${s.clientPort}`);
  }

  url(i: number): string {
    return this.urls[i]!;
  }

  /** kill -9 server `i` and wait until it is gone. */
  async kill(i: number): Promise<void> {
    const child = this.servers[i]!.process;
    this.servers[i]!.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Freezes server `i` (SIGSTOP): it holds its sockets but answers nothing. */
  async pause(i: number): Promise<void> {
    const child = this.servers[i]!.process;
    assert.ok(child, `server ${i} runs`);
    await stopProcess(child);
  }

  resume(i: number): void {
    this.servers[i]!.process?.kill('SIGCONT');
  }

  /** Starts server `i` again on its ports and store, and waits until the cluster is ready. */
  async restart(i: number): Promise<void> {
    await this.kill(i);
    this.launch(i);
    await this.ready();
  }

  /** Kills every server and removes the stores and certificates. */
  async close(): Promise<void> {
    for (let i = 0; i < this.servers.length; i++) {
      this.resume(i);
      await this.kill(i);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private launch(i: number): void {
    const server = this.servers[i]!;
    const child = spawn('nats-server', ['-c', server.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.once('exit', (code, signal) => {
      if (server.process === child && signal !== 'SIGKILL') {
        console.error(`nats-server ${server.name} exited (${code ?? signal}):\n${stderr}`);
      }
    });
    server.process = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
  }

  /** Waits until every running server is routed to every other running one and sees a meta leader. */
  private async ready(): Promise<void> {
    const deadline = Date.now() + this.readyMsMax;
    const running = this.servers.filter((s) => s.process);
    for (;;) {
      const states = await Promise.all(running.map((s) => jetStreamState(s.monitorPort)));
      const ok = states.every(
        (state) => state !== undefined && state.routes >= running.length - 1 && state.metaLeader !== '',
      );
      if (ok) return;
      if (Date.now() > deadline) {
        throw new Error(
          `the NATS cluster was not ready within ${this.readyMsMax} ms: ${JSON.stringify(states)}`,
        );
      }
      await sleep(100);
    }
  }
}

/** Every server process started here; killed when the test process exits, however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function requireNatsServer(): void {
  try {
    execFileSync('nats-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'the `nats-server` command is not on the PATH: the cluster tests start a real NATS JetStream cluster (install nats-server 2.9 or later)',
    );
  }
}

async function jetStreamState(
  monitorPort: number,
): Promise<{ routes: number; metaLeader: string } | undefined> {
  try {
    const get = async (path: string) =>
      (await (
        await fetch(`http://127.0.0.1:${monitorPort}${path}`, { signal: AbortSignal.timeout(2000) })
      ).json()) as Record<string, unknown>;
    const routez = await get('/routez');
    const jsz = await get('/jsz');
    const meta = jsz.meta_cluster as { leader?: string } | undefined;
    return { routes: Number(routez.num_routes ?? 0), metaLeader: meta?.leader ?? '' };
  } catch {
    return undefined;
  }
}

function config(
  dir: string,
  server: Server,
  servers: Server[],
  certificates: TestCertificates | undefined,
): string {
  const store = join(dir, server.name);
  mkdirSync(store, { recursive: true });
  const tls = certificates
    ? `tls {
      cert_file: "${certificates.serverCertFile}"
      key_file: "${certificates.serverKeyFile}"
      ca_file: "${certificates.caFile}"
      verify: true
      timeout: 5
    }`
    : '';
  const routes = servers.map((s) => `nats-route://127.0.0.1:${s.routePort}`).join(', ');
  return `server_name: ${server.name}
listen: 127.0.0.1:${server.clientPort}
http: 127.0.0.1:${server.monitorPort}
${tls}
jetstream {
  store_dir: "${store}"
  max_memory_store: 64MB
  max_file_store: 1GB
}
cluster {
  name: gswarm-test
  listen: 127.0.0.1:${server.routePort}
  routes: [${routes}]
  ${tls}
}
`;
}

/**
 * Ports free now, below Linux's ephemeral range (32768 and up): a port picked from that range may be
 * taken by some outgoing connection between this check and the server binding it.
 */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (port === 4222 || ports.includes(port)) continue;
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise((resolve) => server.close(resolve));
    ports.push(port);
  }
  return ports;
}
