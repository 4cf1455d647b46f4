/**
 * The page's state and the actions that change it. Components read the
 * observables and call these functions; every call to the API goes through
 * here, so each refusal is said the same way everywhere.
 */
import type { Generation, ImagineRequest, Me } from './types.ts';
import { api, onUnauthorized } from './lib/api.ts';
import { ApiError, describeError } from './lib/errors.ts';
import { follow } from './lib/follow.ts';
import { applyEvent, isFinished, jobView, type JobView } from './lib/job.ts';
import { Observable } from './lib/observable.ts';
import { REJECT_TEXT, type RejectReason } from './lib/reasons.ts';

// ------------------------------------------------------------------ session

export type Session = { state: 'loading' } | { state: 'out'; notice: string | null } | { state: 'in'; me: Me } | { state: 'unreachable'; text: string };
export const session = new Observable<Session>({ state: 'loading' });

onUnauthorized(() => {
  if (session.get().state === 'in') endSession('Your session has ended: log in again.');
});

export async function loadSession(): Promise<void> {
  try {
    const me = await api.me();
    session.set({ state: 'in', me });
    void restoreChat();
  } catch (e) {
    const d = describeError(e);
    if (e instanceof ApiError && e.status === 401) session.set({ state: 'out', notice: null });
    else session.set({ state: 'unreachable', text: d.text });
  }
}

export async function logIn(name: string, password: string): Promise<void> {
  await api.login(name, password);
  const me = await api.me();
  session.set({ state: 'in', me });
  void restoreChat();
}

export async function logOut(): Promise<void> {
  try {
    await api.logout();
  } catch {
    // Already ended on the server: log out here all the same.
  }
  endSession('You are logged out.');
}

function endSession(notice: string): void {
  for (const stop of followers.values()) stop();
  followers.clear();
  jobs.set(new Map());
  chat.set([]);
  restored = false;
  opinions.set(new Map());
  session.set({ state: 'out', notice });
}

export async function setFeedbackTerms(accepted: boolean): Promise<void> {
  const r = await api.setFeedbackTerms(accepted);
  const s = session.get();
  if (s.state === 'in') session.set({ state: 'in', me: { ...s.me, feedbackTerms: r.feedbackTerms } });
  announce(accepted ? 'Thank you: your feedback may now help train future models.' : 'Done: your feedback will not train future models.');
}

// ------------------------------------------------------------------ announcements (one polite live region)

export const announcement = new Observable<{ text: string; n: number }>({ text: '', n: 0 });
export function announce(text: string): void {
  announcement.set((a) => ({ text, n: a.n + 1 }));
}

// ------------------------------------------------------------------ preferences (this browser)

export interface Prefs {
  /** Empty: the model's default / a random seed. */
  seed: string;
  steps: string;
  guidance: string;
  size: string;
  /** How far variations move from the image (0.05 to 1). */
  strength: number;
  /** Whether downloaded files carry the prompt (the AI label is always there). */
  promptInDownloads: boolean;
  /** Whether the settings panel is open. */
  settingsOpen: boolean;
}

const PREFS_KEY = 'vitrine.prefs';
const DEFAULT_PREFS: Prefs = { seed: '', steps: '', guidance: '', size: '', strength: 0.35, promptInDownloads: true, settingsOpen: false };

function loadPrefs(): Prefs {
  try {
    return { ...DEFAULT_PREFS, ...(JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<Prefs>) };
  } catch {
    return DEFAULT_PREFS;
  }
}
export const prefs = new Observable<Prefs>(loadPrefs());
prefs.subscribe((p) => {
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(p));
  } catch {
    // Private browsing: the settings last for this visit.
  }
});

/** The request for a prompt with this browser's settings. */
export function requestFor(prompt: string, p: Prefs = prefs.get()): ImagineRequest {
  const req: ImagineRequest = { prompt };
  const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
  const seed = num(p.seed);
  const steps = num(p.steps);
  const guidance = num(p.guidance);
  const size = num(p.size);
  if (seed !== undefined) req.seed = seed;
  if (steps !== undefined) req.steps = steps;
  if (guidance !== undefined) req.guidance = guidance;
  if (size !== undefined) req.size = size;
  return req;
}

// ------------------------------------------------------------------ generations being made and shown

export const jobs = new Observable<ReadonlyMap<string, JobView>>(new Map());
const followers = new Map<string, () => void>();

function updateJob(id: string, fn: (v: JobView) => JobView): void {
  jobs.set((m) => {
    const v = m.get(id);
    if (!v) return m;
    const next = new Map(m);
    next.set(id, fn(v));
    return next;
  });
}

/** Adds or refreshes generations from the API; unfinished ones are followed. */
export function putGenerations(gs: readonly Generation[], position: number | null = null): void {
  jobs.set((m) => {
    const next = new Map(m);
    for (const g of gs) {
      const old = next.get(g.id);
      // A live view knows more than a list read a moment ago: keep it while the job runs.
      if (old && !isFinished(old.generation) && !isFinished(g)) continue;
      next.set(g.id, old ? { ...old, generation: g, previews: isFinished(g) ? [] : old.previews } : jobView(g, position));
    }
    return next;
  });
  for (const g of gs) if (!isFinished(g)) ensureFollowing(g);
}

function ensureFollowing(g: Generation): void {
  if (followers.has(g.id)) return;
  const stop = follow(
    g.id,
    g.events,
    (e) => {
      updateJob(g.id, (v) => applyEvent(v, e));
      // On the chat the card says it (and its live region reads it out); elsewhere a toast does.
      if (route.get() !== 'imagine') {
        if (e.type === 'done') announce(`Your four images of “${e.generation.prompt}” are ready.`);
        else if (e.type === 'failed') announce(`The images of “${g.prompt}” failed: ${e.error}`);
      }
      if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') {
        followers.get(g.id)?.();
        followers.delete(g.id);
      }
    },
    (c) => updateJob(g.id, (v) => (v.connection === c || isFinished(v.generation) ? v : { ...v, connection: c })),
  );
  followers.set(g.id, stop);
}

export async function cancel(id: string): Promise<void> {
  try {
    await api.cancel(id);
    announce('Cancelling…');
  } catch (e) {
    announce(describeError(e).text);
  }
}

// ------------------------------------------------------------------ the chat

export type ChatItem =
  | { key: string; kind: 'you'; text: string }
  | { key: string; kind: 'hint'; text: string }
  | { key: string; kind: 'generation'; id: string }
  | { key: string; kind: 'error'; text: string; retryAfter: number | null; request: ImagineRequest | null; at: number };

export const chat = new Observable<ChatItem[]>([]);
let keys = 0;
const key = () => `c${++keys}`;
let restored = false;

type Unkeyed<T> = T extends unknown ? Omit<T, 'key'> : never;

export function say(item: Unkeyed<ChatItem>): void {
  chat.set((c) => [...c, { ...item, key: key() } as ChatItem]);
}

/** After a reload or a log-in: the last few sets, so the conversation goes on where it was. */
async function restoreChat(): Promise<void> {
  if (restored) return;
  restored = true;
  try {
    const { generations } = await api.history(4);
    putGenerations(generations);
    const items: ChatItem[] = [...generations].reverse().flatMap((g) => [
      { key: key(), kind: 'you' as const, text: g.prompt },
      { key: key(), kind: 'generation' as const, id: g.id },
    ]);
    chat.set((c) => [...items, ...c]);
  } catch {
    restored = false; // the history view says what went wrong
  }
}

/** Sends a prompt; the set (or the reason it was refused) appears in the chat. */
export async function imagine(req: ImagineRequest, said: string = req.prompt): Promise<boolean> {
  say({ kind: 'you', text: said });
  return submit(req);
}

async function submit(req: ImagineRequest): Promise<boolean> {
  try {
    const r = await api.imagine(req);
    putGenerations([r.generation], r.position);
    say({ kind: 'generation', id: r.generation.id });
    return true;
  } catch (e) {
    const d = describeError(e);
    if (e instanceof ApiError && e.status === 401) return false;
    // The chat shows it with role="alert": read out once, no toast.
    say({ kind: 'error', text: d.text, retryAfter: d.retryAfter, request: d.retry ? req : null, at: Date.now() });
    return false;
  }
}

/** "Try again" on a refused request: the same request, said once more. */
export function retry(item: ChatItem & { kind: 'error' }): Promise<boolean> {
  chat.set((c) => c.filter((i) => i.key !== item.key));
  return item.request ? submit(item.request) : Promise.resolve(false);
}

/** The same prompt and settings; the same seed makes the same images. */
export function runAgain(g: Generation, sameSeed: boolean): Promise<boolean> {
  const s = g.settings;
  const req: ImagineRequest = { prompt: g.prompt, steps: s.steps, guidance: s.guidance, size: s.size };
  if (sameSeed) req.seed = s.seed;
  if (s.candidates > s.count) req.candidates = s.candidates;
  if (g.variationOf && s.strength !== null) req.variationOf = { ...g.variationOf, strength: s.strength };
  return imagine(req, sameSeed ? `${g.prompt} (again, seed ${s.seed})` : `${g.prompt} (new seed)`);
}

export async function variations(g: Generation, index: number): Promise<boolean> {
  api.feedback(g.id, index, 'variation').catch(() => {});
  const s = g.settings;
  return imagine(
    { prompt: g.prompt, steps: s.steps, guidance: s.guidance, size: s.size, variationOf: { generation: g.id, index, strength: prefs.get().strength } },
    `${g.prompt} (variations of image ${index + 1})`,
  );
}

// ------------------------------------------------------------------ what a person said about an image

export interface Opinion {
  picked: boolean;
  rejected: RejectReason | null;
}
export const opinions = new Observable<ReadonlyMap<string, Opinion>>(new Map());
export const opinionKey = (id: string, index: number) => `${id}/${index}`;

export async function pick(g: Generation, index: number): Promise<void> {
  try {
    await api.feedback(g.id, index, 'pick');
    opinions.set((m) => {
      const next = new Map(m);
      for (const img of g.images) {
        const k = opinionKey(g.id, img.index);
        const o = next.get(k) ?? { picked: false, rejected: null };
        next.set(k, img.index === index ? { picked: true, rejected: null } : { ...o, picked: false });
      }
      return next;
    });
    announce(`Image ${index + 1} picked: this is the one.`);
  } catch (e) {
    announce(describeError(e).text);
  }
}

export async function reject(g: Generation, index: number, reason: RejectReason): Promise<void> {
  try {
    await api.feedback(g.id, index, 'reject', reason);
    opinions.set((m) => new Map(m).set(opinionKey(g.id, index), { picked: false, rejected: reason }));
    announce(`Image ${index + 1} rejected: ${REJECT_TEXT[reason].toLowerCase()}.`);
  } catch (e) {
    announce(describeError(e).text);
  }
}

/** Favourites changed somewhere: the favourites view reads them again. */
export const favouritesVersion = new Observable(0);

export async function setFavourite(g: Generation, index: number, on: boolean): Promise<void> {
  const flip = (value: boolean) =>
    updateJob(g.id, (v) => ({ ...v, generation: { ...v.generation, images: v.generation.images.map((i) => (i.index === index ? { ...i, favourite: value } : i)) } }));
  flip(on);
  try {
    await api.favourite(g.id, index, on);
    favouritesVersion.set((n) => n + 1);
    announce(on ? `Image ${index + 1} starred: it is in your favourites.` : `Image ${index + 1} unstarred.`);
  } catch (e) {
    flip(!on);
    announce(describeError(e).text);
  }
}

// ------------------------------------------------------------------ where we are

export type Route = 'imagine' | 'history' | 'favourites' | 'account' | 'admin';
const ROUTES: readonly Route[] = ['imagine', 'history', 'favourites', 'account', 'admin'];

function routeOf(hash: string): Route {
  const r = hash.replace(/^#\/?/, '') as Route;
  return ROUTES.includes(r) ? r : 'imagine';
}
export const route = new Observable<Route>(routeOf(location.hash));
addEventListener('hashchange', () => route.set(routeOf(location.hash)));
export function go(r: Route): void {
  location.hash = r === 'imagine' ? '#/' : `#/${r}`;
}

// ------------------------------------------------------------------ online / offline

export const online = new Observable<boolean>(navigator.onLine);
addEventListener('online', () => online.set(true));
addEventListener('offline', () => online.set(false));
