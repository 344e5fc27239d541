/**
 * SIGSTOP that has taken effect. A process-wide signal is taken by one thread; until that thread
 * runs and stops the others, they run on. On a busy machine that is tens of ms, long enough for
 * a "paused" NATS server to acknowledge a write.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const stopMsMax = 10_000;

/** Sends SIGSTOP to `child` and resolves once every one of its threads is stopped. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  child.kill('SIGSTOP');
  const deadline = Date.now() + stopMsMax;
  while (!allThreadsStopped(child.pid!)) {
    assert.ok(Date.now() < deadline, `process ${child.pid} did not stop within ${stopMsMax} ms of SIGSTOP`);
    await sleep(1);
  }
}

/** From /proc: each thread's state, the field after its command name, is T (stopped). */
function allThreadsStopped(pid: number): boolean {
  const tasks = `/proc/${pid}/task`;
  return readdirSync(tasks).every((task) => {
    let stat: string;
    try {
      stat = readFileSync(`${tasks}/${task}/stat`, 'latin1');
    } catch {
      return true; // the thread has ended
    }
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  });
}
