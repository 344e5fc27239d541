/**
 * A Server-Sent Events parser (the WHATWG event-stream format): text chunks in, events out.
 * Comment lines (starting with ':') keep the stream alive and are skipped.
 */
export interface ServerSentEvent {
  id: string | undefined;
  event: string;
  data: string;
}

const LF = 10;
const SPACE = 32;
const COLON = 58;

/**
 * The parser's state between chunks. Pure: `push` returns the events a chunk completes, so a
 * reader can take a burst (an alert burst arrives as a few large chunks) a chunk at a time.
 */
export class SseParser {
  private pending = '';
  private id: string | undefined;
  private event = '';
  private data: string | undefined;

  push(chunk: string): ServerSentEvent[] {
    const text = this.pending + chunk;
    const events: ServerSentEvent[] = [];
    let start = 0;
    // The next CR at or after `start` (-1: none left), searched for once rather than per line.
    let cr = text.indexOf('\r');
    for (;;) {
      if (cr !== -1 && cr < start) cr = text.indexOf('\r', start);
      const lf = text.indexOf('\n', start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      // No whole line left; a CR that ends the text may be the first half of a CRLF.
      if (end === -1 || (end === cr && end === text.length - 1)) break;
      if (end === start) this.dispatch(events);
      else if (text.charCodeAt(start) !== COLON) this.field(text, start, end);
      start = end === cr && text.charCodeAt(end + 1) === LF ? end + 2 : end + 1;
    }
    this.pending = text.slice(start);
    return events;
  }

  private dispatch(events: ServerSentEvent[]): void {
    if (this.data !== undefined)
      events.push({ id: this.id, event: this.event || 'message', data: this.data });
    this.event = '';
    this.data = undefined;
  }

  /** The field line `text[start, end)`: `name`, or `name:value` (one leading space dropped). */
  private field(text: string, start: number, end: number): void {
    const colon = text.indexOf(':', start);
    const nameEnd = colon === -1 || colon > end ? end : colon;
    let valueStart = Math.min(nameEnd + 1, end);
    if (valueStart < end && text.charCodeAt(valueStart) === SPACE) valueStart++;
    const name = text.slice(start, nameEnd);
    const value = text.slice(valueStart, end);
    if (name === 'data') this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    else if (name === 'id') this.id = value;
    else if (name === 'event') this.event = value;
  }
}

export async function* serverSentEvents(chunks: AsyncIterable<string>): AsyncGenerator<ServerSentEvent> {
  const parser = new SseParser();
  for await (const chunk of chunks) yield* parser.push(chunk);
}
