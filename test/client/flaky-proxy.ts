/** An HTTP proxy in front of a real server that misbehaves on cue: 503s, dropped connections. */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What to do with the nth request (0-based) to a path. */
export type Misbehaviour = 'forward' | 'unavailable' | 'drop' | 'cut-after-first-event';

export interface FlakyProxy {
  url: string;
  /** Every request's method, path and Last-Event-ID, in arrival order. */
  seen: { method: string; path: string; lastEventId?: string }[];
  close(): Promise<void>;
}

export async function flakyProxy(
  upstream: string,
  plan: (path: string, nth: number) => Misbehaviour,
): Promise<FlakyProxy> {
  const seen: FlakyProxy['seen'] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    const nth = counts.get(path) ?? 0;
    counts.set(path, nth + 1);
    seen.push({
      method: req.method ?? '',
      path,
      lastEventId: req.headers['last-event-id'] as string | undefined,
    });
    const action = plan(path, nth);
    if (action === 'drop') {
      req.socket.destroy();
      return;
    }
    if (action === 'unavailable') {
      req.resume();
      res.writeHead(503, { 'retry-after': '0', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'busy', code: 'GSW_ERR_OVERLOADED' }));
      return;
    }
    const forwarded = request(
      `${upstream}${req.url}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (action !== 'cut-after-first-event') return void answer.pipe(res);
        let text = '';
        answer.on('data', (chunk: Buffer) => {
          const sent = text.length;
          text += chunk;
          const firstEvent = /id: \d+\ndata: [^\n]*\n\n/.exec(text);
          if (firstEvent === null) return void res.write(chunk);
          // The first whole event reaches the client, then the connection breaks.
          answer.destroy();
          res.write(text.slice(sent, firstEvent.index + firstEvent[0].length), () => res.socket?.destroy());
        });
      },
    );
    forwarded.on('error', () => res.socket?.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
