import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type ServerSentEvent, SseParser, serverSentEvents } from '../../src/client/sse.js';

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

  it('gives the same events however the text is split into chunks, whatever its line breaks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat({ max: stream.length * 2 }), { maxLength: 8 }),
        async (lineBreak, cuts) => {
          // A CRLF cut between its CR and LF is still one line break.
          const text = stream.replaceAll('\n', lineBreak);
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...points].map((start, i) => text.slice(start, points[i] ?? text.length));
          assert.deepEqual(await parse(chunks), expected);
        },
      ),
    );
  });

  it('hands over the events each chunk completes, at once', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('id: 1\ndata: {"a":1}\n\nid: 2\nevent: alert\nda'), [expected[0]]);
    assert.deepEqual(parser.push('ta: x\ndata: y\r'), []);
    assert.deepEqual(parser.push('\n\r\n: ping\n\n'), [expected[1]]);
  });

  it('reads a field without a colon as the field with an empty value', async () => {
    assert.deepEqual(await parse(['data\ndata\n\n']), [{ id: undefined, event: 'message', data: '\n' }]);
  });

  it('accepts CRLF line breaks', async () => {
    assert.deepEqual(await parse([stream.replaceAll('\n', '\r\n')]), expected);
  });

  it('drops an event the stream ends in the middle of', async () => {
    assert.deepEqual(await parse(['id: 1\ndata: partial\n']), []);
  });
});
