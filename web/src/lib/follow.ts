/**
 * Follows a generation over Server-Sent Events until it is done, failed or
 * cancelled. The browser reconnects a dropped stream by itself (the server
 * then sends the latest state again); when the stream is refused or closed for
 * good, the generation is read once to learn why, and followed again later if
 * it is still unfinished (network loss, a restarted server).
 */
import type { JobEvent } from '../types.ts';
import { api } from './api.ts';
import { ApiError, NetworkError } from './errors.ts';
import type { Connection } from './job.ts';

const TYPES = ['queued', 'started', 'progress', 'done', 'failed', 'cancelled'] as const;
const terminal = (e: JobEvent) => e.type === 'done' || e.type === 'failed' || e.type === 'cancelled';

export function follow(id: string, url: string, on: (e: JobEvent) => void, connection: (c: Connection) => void): () => void {
  let es: EventSource | null = null;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = 1000;

  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    es?.close();
    es = null;
  };
  const later = () => {
    timer = setTimeout(open, delay);
    delay = Math.min(delay * 2, 15_000);
  };
  /** The stream is closed for good: read the generation to know whether it is over. */
  const check = async () => {
    try {
      const g = await api.generation(id);
      if (stopped) return;
      if (g.status === 'done') on({ type: 'done', generation: g });
      else if (g.status === 'failed') on({ type: 'failed', error: g.error ?? 'failed' });
      else if (g.status === 'cancelled') on({ type: 'cancelled' });
      else return later();
      stop();
    } catch (e) {
      if (stopped) return;
      if (e instanceof NetworkError || (e instanceof ApiError && e.status >= 500)) return later();
      // 401 goes back to the log-in form (api.ts); 404: nothing left to follow.
      if (e instanceof ApiError && e.status === 404) on({ type: 'failed', error: e.message });
      stop();
    }
  };
  function open() {
    if (stopped) return;
    es = new EventSource(url);
    es.onopen = () => {
      delay = 1000;
      connection('live');
    };
    for (const t of TYPES) {
      es.addEventListener(t, (m) => {
        if (stopped) return;
        const e = JSON.parse((m as MessageEvent<string>).data) as JobEvent;
        connection('live');
        on(e);
        if (terminal(e)) stop();
      });
    }
    es.onerror = () => {
      if (stopped || !es) return;
      connection('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        es = null;
        void check();
      }
    };
  }
  open();
  return stop;
}
