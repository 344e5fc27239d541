/**
 * The alert stream read with fetch (EventSource cannot send the bearer token). On any end or
 * error it reconnects after `retryMs` with Last-Event-ID, so the server replays what was missed.
 */
import { type Alert, authHeaders } from './api.js';

const retryMs = 1000;

export function followAlerts(
  onAlert: (alert: Alert) => void,
  onState: (connected: boolean) => void,
): () => void {
  const stop = new AbortController();
  // 0 asks for every stored alert first, then the live ones.
  let lastEventId = '0';
  const connect = async () => {
    while (!stop.signal.aborted) {
      try {
        const response = await fetch('/v2/alerts/stream', {
          headers: { ...authHeaders(), 'last-event-id': lastEventId },
          signal: stop.signal,
        });
        if (!response.ok || response.body === null) throw new Error(`stream answered ${response.status}`);
        onState(true);
        let buffer = '';
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
            const id = /^id: (.*)$/m.exec(event)?.[1];
            const data = /^data: (.*)$/m.exec(event)?.[1];
            if (id !== undefined) lastEventId = id;
            if (data !== undefined) onAlert(JSON.parse(data) as Alert);
          }
        }
      } catch {
        // Reconnect below, unless stopped.
      }
      onState(false);
      if (!stop.signal.aborted) await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  };
  void connect();
  return () => stop.abort();
}
