import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type ServerSentEvent, serverSentEvents } from '../../src/client/sse.js';

async function parse(chunks: string[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of serverSentEvents(
    (async function* () {
      yield* chunks;
    })(),
  )) {
    events.push(event);
  }
  return events;
}

describe('server-sent events', () => {
  const stream = ': hello\n\nid: 1\ndata: {"a":1}\n\nid: 2\nevent: alert\ndata: x\ndata: y\n\n: ping\n\n';
  const expected = [
    { id: '1', event: 'message', data: '{"a":1}' },
    { id: '2', event: 'alert', data: 'x\ny' },
  ];

  it('parses events, skipping comments', async () => {
    assert.deepEqual(await parse([stream]), expected);
  });

  it('gives the same events however the text is split into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: stream.length }), { maxLength: 8 }), async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, i) => stream.slice(start, points[i] ?? stream.length));
        assert.deepEqual(await parse(chunks), expected);
      }),
    );
  });

  it('accepts CRLF line breaks', async () => {
    assert.deepEqual(await parse([stream.replaceAll('\n', '\r\n')]), expected);
  });

  it('drops an event the stream ends in the middle of', async () => {
    assert.deepEqual(await parse(['id: 1\ndata: partial\n']), []);
  });
});
