/**
 * The parse workers: a pool of worker threads that turn ingest bodies into columns
 * (./body-job.ts), so decompression, JSON parsing and validation run beside the event loop that
 * plans and commits, on the machine's other cores. Jobs wait in arrival order for a free worker;
 * their number is bounded by the ingest admission (each holds a batch slot). A pool of size 0
 * runs every job on the event loop (the lean mode), and any pool runs a small uncompressed body
 * there itself: a worker's round trip would cost more than parsing it.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, GswarmError } from '../../errors.js';
import { type BodyJob, type ColumnBatch, runBodyJob } from './body-job.js';

/** What a worker answers for one job. */
export type WorkerReply =
  | { batch: ColumnBatch }
  | { refusal: { code: ErrorCode; message: string; data: Record<string, unknown> } }
  | { failure: string };

export interface BodyPoolOptions {
  /** Uncompressed bodies up to this size are parsed on the event loop (default 16 KiB). */
  inlineBytesMax?: number;
  /** A worker's heap limit; a job that passes it ends that worker, and the next job gets a new one. */
  heapMbMax?: number;
}

interface Pending {
  job: BodyJob;
  resolve(batch: ColumnBatch): void;
  reject(error: Error): void;
}

export class BodyPool {
  private readonly idle: Worker[] = [];
  private readonly running = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private readonly inlineBytesMax: number;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly options: BodyPoolOptions = {},
  ) {
    this.inlineBytesMax = options.inlineBytesMax ?? 16 * 1024;
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  run(job: BodyJob): Promise<ColumnBatch> {
    if (this.size === 0 || (job.encoding === 'identity' && job.wire.byteLength <= this.inlineBytesMax)) {
      return new Promise((resolve) => resolve(runBodyJob(job)));
    }
    if (this.closed) return Promise.reject(shuttingDown());
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  /** Ends the workers; jobs still waiting or running are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(shuttingDown());
    const workers = [...this.idle.splice(0), ...this.running.keys()];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.workerCount() < this.size ? this.spawn() : undefined);
      if (worker === undefined) return;
      const pending = this.queue.shift()!;
      this.running.set(worker, pending);
      worker.ref();
      const { job } = pending;
      const wire = owned(job.wire);
      worker.postMessage({ ...job, wire }, [wire.buffer as ArrayBuffer]);
    }
  }

  private workerCount(): number {
    return this.idle.length + this.running.size;
  }

  private spawn(): Worker {
    const worker = startWorker(this.options.heapMbMax);
    // An idle worker must not keep a process alive (the server closes the pool with itself); a
    // busy one must, until its answer is in.
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.running.get(worker)!;
      this.running.delete(worker);
      worker.unref();
      this.idle.push(worker);
      if ('batch' in reply) pending.resolve(reply.batch);
      else if ('refusal' in reply)
        pending.reject(new GswarmError(reply.refusal.code, reply.refusal.message, reply.refusal.data));
      else pending.reject(new Error(`a parse worker failed: ${reply.failure}`));
      this.dispatch();
    });
    // A worker that dies takes only its own job with it; the next job gets a new worker.
    worker.on('error', (error) => this.lose(worker, error));
    worker.on('exit', (code) => this.lose(worker, new Error(`a parse worker exited with code ${code}`)));
    return worker;
  }

  private lose(worker: Worker, error: Error): void {
    const idleAt = this.idle.indexOf(worker);
    if (idleAt !== -1) this.idle.splice(idleAt, 1);
    const pending = this.running.get(worker);
    this.running.delete(worker);
    pending?.reject(this.closed ? shuttingDown() : error);
    if (!this.closed) this.dispatch();
  }
}

/**
 * A worker running ./body-worker beside this module, in the same form: .js when built; .ts when
 * run from source through tsx, whose loader a worker thread of Node 20 does not inherit, so the
 * worker registers it first.
 */
function startWorker(heapMbMax: number | undefined): Worker {
  const resourceLimits = heapMbMax === undefined ? {} : { maxOldGenerationSizeMb: heapMbMax };
  if (extname(fileURLToPath(import.meta.url)) !== '.ts')
    return new Worker(new URL('./body-worker.js', import.meta.url), { resourceLimits });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./body-worker.ts', import.meta.url).href);
  const source = `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`;
  return new Worker(source, { eval: true, resourceLimits });
}

/**
 * The bytes in an ArrayBuffer of their own, which can be handed to a worker without detaching a
 * buffer they share (Node's pool of small buffers).
 */
function owned(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  return new Uint8Array(bytes);
}

function shuttingDown(): GswarmError {
  return new GswarmError('GSW_ERR_SHUTTING_DOWN', 'the server is closing and parses no more bodies');
}
