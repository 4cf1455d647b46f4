/**
 * The feedback-terms choice, in plain words: what is recorded, what may train
 * a model (only feedback from people who accepted), and that a "no" later is
 * honoured like an objection.
 */
import { useState } from 'preact/hooks';
import type { Me } from '../types.ts';
import { describeError } from '../lib/errors.ts';
import { setFeedbackTerms } from '../state.ts';

const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'long', timeStyle: 'short' });

export function TermsChoice({ me, compact = false }: { me: Me; compact?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const t = me.feedbackTerms;
  const choose = async (accepted: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await setFeedbackTerms(accepted);
    } catch (e) {
      setError(describeError(e).text);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class={`terms${compact ? ' terms-banner' : ''}`} aria-labelledby="terms-title">
      <h2 id="terms-title">{compact ? 'May your feedback help train future models?' : 'Your feedback and training'}</h2>
      {compact ? (
        <p>
          vitrine records which images you pick, reject, star or download. <strong>Only if you accept</strong> may that feedback train future models; you can change your mind at
          any time under Account.
        </p>
      ) : (
        <>
          <p>
            When you pick an image, reject one and say why, star, download or ask for variations, vitrine records it with your account, so your history and favourites work.
          </p>
          <p>
            <strong>Only if you accept</strong> may that feedback be used to train future vitrine models, to make images more like the ones people choose. If you don’t, it is
            never used for training. You can change your mind at any time: if you take it back, models trained after that don’t learn from you.
          </p>
        </>
      )}
      <p class={`terms-state${compact ? ' sr-only' : ''}`} aria-live="polite">
        {t === null
          ? 'You have not chosen yet, so your feedback is not used for training.'
          : t.accepted
            ? `You accepted on ${date.format(new Date(t.at))}: your feedback may train future models.`
            : `You said no on ${date.format(new Date(t.at))}: your feedback is not used for training.`}
      </p>
      <div class="row">
        {t?.accepted !== true && (
          <button type="button" class="primary" disabled={busy} onClick={() => void choose(true)}>
            Yes, my feedback may train future models
          </button>
        )}
        {(t === null || t.accepted) && (
          <button type="button" disabled={busy} onClick={() => void choose(false)}>
            {t === null ? 'No, don’t use my feedback' : 'Stop using my feedback'}
          </button>
        )}
      </div>
      {error && (
        <p class="problem" role="alert">
          {error}
        </p>
      )}
      {!compact && <p class="fine">Terms version {me.termsVersion}.</p>}
    </section>
  );
}
