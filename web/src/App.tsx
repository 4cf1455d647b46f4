/** The page: the log-in form, or the header, the view of the route and the announcements. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import type { Me } from './types.ts';
import { useObservable } from './lib/observable.ts';
import { announcement, go, loadSession, logOut, online, route, session, type Route } from './state.ts';
import { AccountView } from './ui/AccountView.tsx';
import { FavouritesView } from './ui/FavouritesView.tsx';
import { HistoryView } from './ui/HistoryView.tsx';
import { ImagineView } from './ui/ImagineView.tsx';
import { Lightbox } from './ui/Lightbox.tsx';
import { LoginView } from './ui/LoginView.tsx';

export function App() {
  const s = useObservable(session);
  useEffect(() => void loadSession(), []);
  switch (s.state) {
    case 'loading':
      return (
        <main id="main" class="center">
          <p aria-busy="true">Loading vitrine…</p>
        </main>
      );
    case 'unreachable':
      return (
        <main id="main" class="center">
          <div class="problem" role="alert">
            <p>{s.text}</p>
            <button type="button" onClick={() => void loadSession()}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'out':
      return <LoginView notice={s.notice} />;
    case 'in':
      return <Shell me={s.me} />;
  }
}

const NAV: { route: Route; label: string; admin?: boolean }[] = [
  { route: 'imagine', label: 'Imagine' },
  { route: 'history', label: 'History' },
  { route: 'favourites', label: 'Favourites' },
  { route: 'account', label: 'Account' },
  { route: 'admin', label: 'Admin', admin: true },
];

function Shell({ me }: { me: Me }) {
  const r = useObservable(route);
  const isOnline = useObservable(online);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useGlobalKeys();
  useEffect(() => {
    document.title = `${NAV.find((n) => n.route === r)?.label ?? 'Imagine'} · vitrine`;
  }, [r]);
  useEffect(() => {
    // A new view: move focus to it, so keyboard and screen-reader users start there.
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
    scrollTo({ top: 0 });
  }, [r]);
  const isAdmin = me.user.role === 'admin';

  return (
    <>
      <button type="button" class="skip" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href="#/" aria-label="vitrine: imagine">
          vitrine
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.admin || isAdmin).map((n) => (
              <li key={n.route}>
                <a href={n.route === 'imagine' ? '#/' : `#/${n.route}`} aria-current={r === n.route ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="who-name" title={me.user.role === 'admin' ? 'admin' : 'user'}>
            {me.user.name}
          </span>
          <button type="button" class="quiet" onClick={() => void logOut()}>
            Log out
          </button>
        </div>
      </header>
      {!isOnline && (
        <p class="offline" role="status">
          You are offline. What you asked for is kept; progress resumes when the connection is back.
        </p>
      )}
      <main id="main" ref={main} tabIndex={-1} class={`view view-${r}`}>
        {r === 'imagine' && <ImagineView me={me} />}
        {r === 'history' && <HistoryView />}
        {r === 'favourites' && <FavouritesView />}
        {r === 'account' && <AccountView me={me} />}
        {r === 'admin' && (isAdmin ? <Lazy load={() => import('./admin/AdminView.tsx').then((m) => m.AdminView)} /> : <NotAdmin />)}
      </main>
      <Toast />
      <Lightbox />
    </>
  );
}

function NotAdmin() {
  return (
    <section class="problem">
      <h1>Admins only</h1>
      <p>This view is for admins. </p>
      <button type="button" onClick={() => go('imagine')}>
        Back to imagine
      </button>
    </section>
  );
}

/** A view loaded when first shown (the admin view and its charts are not in the main bundle). */
function Lazy({ load }: { load: () => Promise<ComponentType> }) {
  const [C, setC] = useState<ComponentType | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    load().then(
      (c) => setC(() => c),
      (e: Error) => setError(`This view could not be loaded (${e.message}). Reload the page to try again.`),
    );
  }, []);
  if (error)
    return (
      <p class="problem" role="alert">
        {error}
      </p>
    );
  return C ? <C /> : <p class="fine">Loading…</p>;
}

/** What was just done, or refused, for everyone: shown a few seconds, and read out politely. */
function Toast() {
  const a = useObservable(announcement);
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    if (!a.text) return;
    setVisible(true);
    const t = setTimeout(() => setVisible(false), 5000);
    return () => clearTimeout(t);
  }, [a.n]);
  return (
    <div class={`toast${visible ? ' toast-on' : ''}`} role="status" aria-live="polite">
      {a.text}
    </div>
  );
}

/** "/" goes to the message box; 1 to 4 focus an image of the set in view (then P, R, S, D, V act on it). */
function useGlobalKeys(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      const t = e.target as HTMLElement;
      if (t.closest('input, textarea, select, [contenteditable], dialog, .reject-menu')) return;
      if (e.key === '/') {
        const box = document.getElementById('message');
        if (box) {
          e.preventDefault();
          box.focus();
        }
        return;
      }
      if (!/^[1-4]$/.test(e.key)) return;
      const set = t.closest<HTMLElement>('[data-generation][data-status="done"]') ?? mostVisibleSet();
      const tile = set?.querySelector<HTMLElement>(`[data-tile="${Number(e.key) - 1}"]`);
      if (tile) {
        e.preventDefault();
        tile.focus();
        tile.scrollIntoView({ block: 'nearest' });
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}

function mostVisibleSet(): HTMLElement | null {
  let best: HTMLElement | null = null;
  let bestArea = 0;
  for (const el of document.querySelectorAll<HTMLElement>('main [data-generation][data-status="done"]')) {
    const r = el.getBoundingClientRect();
    const area = Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0));
    if (area >= bestArea) {
      best = el;
      bestArea = area;
    }
  }
  return best;
}
