/**
 * A parse worker: runs one body job at a time (./body-job.ts) and answers with its columns,
 * handing the typed arrays over, or with the refusal the job raised, to be raised again on the
 * event loop.
 */
import { parentPort } from 'node:worker_threads';
import { GswarmError } from '../../errors.js';
import { type BodyJob, runBodyJob, transferablesOf } from './body-job.js';
import type { WorkerReply } from './body-pool.js';

const port = parentPort!;
port.on('message', (job: BodyJob) => {
  let reply: WorkerReply;
  try {
    const batch = runBodyJob(job);
    port.postMessage({ batch } satisfies WorkerReply, transferablesOf(batch));
    return;
  } catch (error) {
    reply =
      error instanceof GswarmError
        ? { refusal: { code: error.code, message: error.message, data: error.data } }
        : { failure: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port.postMessage(reply);
});
