import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBench } from '../../src/cli/bench.js';
import { foundingScenario } from '../../src/cli/founding-scenario.js';
import { GswarmClient } from '../../src/client/index.js';
import { startServer } from '../api/harness.js';

describe('the founding scenario, end to end over HTTP', () => {
  it('stores exactly 10,000 ticks and streams exactly the expected alerts', async () => {
    const h = await startServer({ persistent: true });
    try {
      const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
      const report = await runBench(new GswarmClient({ url }), {
        runId: 'founding',
        marketCount: 10,
        tickCount: 10_000,
        startMs: 1_700_000_000_000,
        batchTicksMax: 2500,
        concurrencyMax: 4,
        alertWaitMsMax: 30_000,
      });
      assert.equal(report.ticksSent, 10_000);
      assert.equal(report.countAdded, 10_000);
      assert.equal(report.countAfter, 10_000);
      const streamed = new Map(report.alerts.map((alert) => [alert.reflex, alert.tick]));
      assert.equal(report.alerts.length, 10);
      assert.deepEqual(streamed, report.expectedAlerts);
      // The stored alerts agree with the stream: nothing more fired.
      const stored = await new GswarmClient({ url }).alerts();
      assert.deepEqual(
        stored.map((alert) => alert.seq),
        report.alerts.map((alert) => alert.seq),
      );
    } finally {
      await h.close();
    }
  });

  it('is deterministic and raises one alert per market', () => {
    const shape = { runId: 'x', marketCount: 3, tickCount: 30, startMs: 0 };
    const scenario = foundingScenario(shape);
    assert.deepEqual(scenario, foundingScenario(shape));
    assert.equal(scenario.ticks.length, 30);
    assert.equal(new Set(scenario.ticks.map((t) => t.id)).size, 30);
    assert.equal(scenario.expectedAlerts.size, 3);
    assert.equal(scenario.reflexes.length, 6);
  });
});
