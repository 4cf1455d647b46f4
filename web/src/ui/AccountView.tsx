/** Your account: who you are, the feedback-terms choice, log out. */
import type { Me } from '../types.ts';
import { logOut } from '../state.ts';
import { TermsChoice } from './Terms.tsx';

export function AccountView({ me }: { me: Me }) {
  return (
    <section class="account" aria-labelledby="account-title">
      <h1 id="account-title">Your account</h1>
      <p>
        Logged in as <strong>{me.user.name}</strong>
        {me.user.role === 'admin' ? ' (admin)' : ''}, since {new Date(me.user.createdAt).toLocaleDateString()}.
      </p>
      <TermsChoice me={me} />
      <section aria-labelledby="downloads-title">
        <h2 id="downloads-title">Your downloads</h2>
        <p>
          A downloaded PNG says inside it that it is AI-made, and carries the prompt, seed and model unless you turn that off under Settings, below the message box. The AI label
          always stays.
        </p>
      </section>
      <button type="button" onClick={() => void logOut()}>
        Log out
      </button>
    </section>
  );
}
