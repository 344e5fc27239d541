/**
 * A Server-Sent Events parser (the WHATWG event-stream format): text chunks in, events out.
 * Comment lines (starting with ':') keep the stream alive and are skipped.
 */
export interface ServerSentEvent {
  id: string | undefined;
  event: string;
  data: string;
}

export async function* serverSentEvents(chunks: AsyncIterable<string>): AsyncGenerator<ServerSentEvent> {
  let pending = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  for await (const chunk of chunks) {
    pending += chunk;
    const lines = pending.split(/\r\n|\r|\n/);
    // The last piece may be a partial line, unless the chunk ended with a line break.
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else if (field === 'event') event = value;
    }
  }
}
