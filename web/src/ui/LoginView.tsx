/** Log in. On this computer (a loopback address) the demo accounts are named, as `vitrine serve` makes them. */
import { useRef, useState } from 'preact/hooks';
import { ApiError, describeError } from '../lib/errors.ts';
import { logIn } from '../state.ts';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
export const isLoopback = (host = location.hostname) => LOOPBACK.has(host) || host.endsWith('.localhost');

export function LoginView({ notice }: { notice: string | null }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const nameInput = useRef<HTMLInputElement>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await logIn(name.trim(), password);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong user name or password.' : describeError(err).text);
      setBusy(false);
      nameInput.current?.focus();
    }
  };
  const fill = (n: string, p: string) => {
    setName(n);
    setPassword(p);
  };

  return (
    <main id="main" class="login">
      <div class="login-card">
        <p class="brand brand-big" aria-hidden="true">
          vitrine
        </p>
        <h1>Log in</h1>
        <p class="lede">Imagine four pictures from a sentence. Every picture is made by an AI model and labelled as such.</p>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <form onSubmit={(e) => void submit(e)}>
          <label for="login-name">User name</label>
          <input id="login-name" ref={nameInput} name="username" autoComplete="username" required value={name} onInput={(e) => setName(e.currentTarget.value)} autoFocus />
          <label for="login-password">Password</label>
          <input id="login-password" type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          {error && (
            <p class="problem" role="alert" id="login-error">
              {error}
            </p>
          )}
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </form>
        {isLoopback() && (
          <aside class="demo-hint" aria-label="Demo accounts">
            <p>
              Trying vitrine on this computer? A new store has two demo accounts: <code>demo</code> / <code>demo-password</code>, and <code>admin</code> /{' '}
              <code>admin-password</code> for the admin view.
            </p>
            <div class="row">
              <button type="button" class="quiet" onClick={() => fill('demo', 'demo-password')}>
                Use the demo account
              </button>
              <button type="button" class="quiet" onClick={() => fill('admin', 'admin-password')}>
                Use the admin account
              </button>
            </div>
          </aside>
        )}
      </div>
    </main>
  );
}
