/**
 * Long work over the event loop in slices: a generator that yields now and then is run for about
 * `sliceMs` at a time, then lets other work (commits, requests, heartbeats) run before it goes on.
 */
import { setImmediate } from 'node:timers/promises';

/** Runs `steps` to its end in slices of about `sliceMs` (0: one step per turn); resolves with its result. */
export async function runInSlices<T>(steps: Generator<void, T, void>, sliceMs: number): Promise<T> {
  for (;;) {
    const until = performance.now() + sliceMs;
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      if (performance.now() >= until) break;
    }
    await setImmediate();
  }
}

/** Runs `steps` to its end at once; returns its result. */
export function runAtOnce<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}
