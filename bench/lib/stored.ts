/**
 * Persistent Gswarm stores of a given size, built once per run in a worker process and shared by
 * the reopen and memory suites.
 */
import type { BuildResult } from '../workers/store.js';
import { runWorker } from './child.js';
import type { Context } from './suite.js';
import { tempDir } from './tmp.js';

const built = new Map<number, Promise<{ dir: string; build: BuildResult }>>();

export function storedSwarm(ctx: Context, ticks: number): Promise<{ dir: string; build: BuildResult }> {
  let found = built.get(ticks);
  if (found === undefined) {
    ctx.log(`building a persistent store of ${ticks.toLocaleString('en-US')} ticks in a worker`);
    const dir = tempDir(`stored-${ticks}`);
    found = runWorker<BuildResult>('store', ['build', dir, String(ticks)]).then((build) => {
      ctx.log(
        `  built in ${(build.ingestMs / 1000).toFixed(1)} s (${Math.round(ticks / (build.ingestMs / 1000)).toLocaleString('en-US')} ticks/s), ` +
          `the event loop's longest pause ${build.pauseMsMax.toFixed(0)} ms`,
      );
      return { dir, build };
    });
    built.set(ticks, found);
  }
  return found;
}
