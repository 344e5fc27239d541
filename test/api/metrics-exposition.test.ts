import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ingest, startServer, tick } from './harness.js';
import { lintExposition } from './promlint.js';

describe('/metrics exposition', () => {
  it('passes the checks of promtool check metrics, after traffic of every kind', async () => {
    const h = await startServer();
    try {
      await ingest(h.app, { markets: [{ id: 'M' }], ticks: [tick(1)] });
      await ingest(h.app, { ticks: [tick(2, 'NOPE')] });
      const response = await h.app.inject('/metrics');
      assert.equal(response.statusCode, 200);
      assert.match(response.body, /gswarm_ingest_rejections_total\{reason="dangling_ref"\} 1/);
      assert.deepEqual(lintExposition(response.body), []);
    } finally {
      await h.close();
    }
  });

  it('the check finds what promtool finds', () => {
    const text = [
      '# HELP a_total A gauge named like a counter',
      '# TYPE a_total gauge',
      'a_total 1',
      '# TYPE b counter',
      'b 2',
      'c{le="1"} 3',
      '# HELP d_milliseconds D',
      '# TYPE d_milliseconds gauge',
      'd_milliseconds 4',
    ].join('\n');
    assert.deepEqual(lintExposition(text), [
      'c: a sample without HELP and TYPE',
      'a_total: non-counter metrics should not have "_total" suffix',
      'b: no help text',
      'b: counter metrics should have "_total" suffix',
      'd_milliseconds: use base unit instead of "milliseconds"',
    ]);
  });
});
