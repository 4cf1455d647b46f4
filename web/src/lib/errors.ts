/** Refusals of the API and lost connections, and how the page says them. */

/** The API said no: `{ error: { code, message, ...details } }` with an HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Seconds to wait before asking again (429), when the API said. */
  get retryAfter(): number | null {
    const r = this.details.retryAfter;
    return typeof r === 'number' && r > 0 ? r : null;
  }
}

/** The request never got an answer: offline, or the server is down. */
export class NetworkError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    cause: unknown,
  ) {
    super(`No answer from vitrine for ${method} ${url}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'NetworkError';
  }
}

export interface Described {
  /** One or two plain sentences. */
  text: string;
  /** Seconds until trying again makes sense (rate limits, a full queue). */
  retryAfter: number | null;
  /** Whether to offer "try again" at all. */
  retry: boolean;
}

interface QueuedJob {
  id: string;
  position: number;
}

const sentence = (s: string) => (/[.!?…]$/.test(s) ? s : `${s}.`);

/** Fastify's schema messages name the field as body/steps: say steps. */
export function plainValidation(message: string): string {
  return message.replace(/\b(body|querystring|params)\//g, '').replace(/^body /, 'The request ');
}

export function describeError(e: unknown): Described {
  if (e instanceof NetworkError) {
    return { text: 'Cannot reach vitrine: you seem to be offline, or the server is down. Nothing was lost; try again when the connection is back.', retryAfter: null, retry: true };
  }
  if (e instanceof ApiError) {
    switch (e.status) {
      case 400:
        return { text: `That was refused: ${sentence(plainValidation(e.message))}`, retryAfter: null, retry: false };
      case 401:
        return { text: 'Your session has ended: log in again.', retryAfter: null, retry: false };
      case 403:
        return { text: sentence(e.message), retryAfter: null, retry: false };
      case 429: {
        const parts = [sentence(e.message)];
        const yours = Array.isArray(e.details.yours) ? (e.details.yours as QueuedJob[]) : [];
        if (yours.length) {
          const running = yours.filter((j) => j.position === 0).length;
          const waiting = yours.filter((j) => j.position > 0).map((j) => j.position).sort((a, b) => a - b);
          const bits = [];
          if (running) bits.push(`${running} being made now`);
          if (waiting.length) bits.push(`${waiting.length} waiting (queue position ${waiting.join(', ')})`);
          parts.push(`Yours: ${bits.join(', ')}.`);
        }
        if (typeof e.details.queueLength === 'number') parts.push(`${e.details.queueLength} requests are waiting.`);
        return { text: parts.join(' '), retryAfter: e.retryAfter, retry: true };
      }
      case 503:
        return { text: sentence(e.message), retryAfter: e.retryAfter ?? 5, retry: true };
      default:
        return { text: e.status >= 500 ? `The server failed: ${sentence(e.message)}` : sentence(e.message), retryAfter: null, retry: e.status >= 500 };
    }
  }
  return { text: `Something went wrong in this page: ${e instanceof Error ? e.message : String(e)}`, retryAfter: null, retry: true };
}
