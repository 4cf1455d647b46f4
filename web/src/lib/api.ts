/**
 * The API client: one `call` that turns refusals into ApiError and lost
 * connections into NetworkError, and tells the page when the session ended
 * (any 401 except a failed log-in) so it can go back to the log-in form.
 */
import type { Favourite, Generation, ImagineRequest, Me, ModelsResponse, Overview, User, FeedbackTerms } from '../types.ts';
import { ApiError, NetworkError } from './errors.ts';

let unauthorized: (e: ApiError) => void = () => {};
export function onUnauthorized(fn: (e: ApiError) => void): void {
  unauthorized = fn;
}

async function call<T>(method: string, url: string, body?: unknown, o: { loginAttempt?: boolean } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new NetworkError(method, url, e);
  }
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (data as { error?: Record<string, unknown> } | null)?.error ?? {};
    const { code, message, ...details } = err;
    const retry = res.headers.get('retry-after');
    if (retry && details.retryAfter === undefined) details.retryAfter = Number(retry);
    const e = new ApiError(res.status, typeof code === 'string' ? code : `http-${res.status}`, typeof message === 'string' ? message : `${res.status} ${res.statusText}`, details);
    if (res.status === 401 && !o.loginAttempt) unauthorized(e);
    throw e;
  }
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  login: (name: string, password: string) => call<{ user: User }>('POST', '/api/session', { name, password }, { loginAttempt: true }),
  logout: () => call<void>('DELETE', '/api/session'),
  me: () => call<Me>('GET', '/api/me'),
  setFeedbackTerms: (accepted: boolean) => call<{ feedbackTerms: FeedbackTerms | null }>('PUT', '/api/me/feedback-terms', { accepted }),

  imagine: (req: ImagineRequest) => call<{ generation: Generation; position: number }>('POST', '/api/generations', req),
  generation: (id: string) => call<Generation>('GET', `/api/generations/${enc(id)}`),
  cancel: (id: string) => call<{ cancelled: boolean }>('DELETE', `/api/generations/${enc(id)}`),
  history: (limit: number, before?: string | null) =>
    call<{ generations: Generation[]; next: string | null }>('GET', `/api/generations?limit=${limit}${before ? `&before=${enc(before)}` : ''}`),

  feedback: (generation: string, index: number, kind: 'pick' | 'reject' | 'keep' | 'variation', reason?: string) =>
    call<{ event: unknown }>('POST', '/api/feedback', reason ? { generation, index, kind, reason } : { generation, index, kind }),
  favourite: (generation: string, index: number, on: boolean) =>
    call<{ favourite: boolean; changed: boolean }>(on ? 'PUT' : 'DELETE', `/api/favourites/${enc(generation)}/${index}`),
  favourites: () => call<{ favourites: Favourite[] }>('GET', '/api/favourites'),

  models: () => call<ModelsResponse>('GET', '/api/models'),
  overview: () => call<Overview>('GET', '/api/admin/overview'),
  promote: (id: string) => call<{ inUse: string }>('POST', `/api/admin/models/${enc(id)}/promote`),
};
