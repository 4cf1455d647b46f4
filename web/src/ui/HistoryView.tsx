/** Every prompt and its four images, newest first, a page at a time ("Show older" follows `next`). */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { describeError } from '../lib/errors.ts';
import { putGenerations } from '../state.ts';
import { GenerationCard } from './GenerationCard.tsx';

const PAGE = 10;

export function HistoryView() {
  const [ids, setIds] = useState<string[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'more'>('loading');
  const [error, setError] = useState<string | null>(null);

  const load = async (before: string | null) => {
    setState(before ? 'more' : 'loading');
    setError(null);
    try {
      const r = await api.history(PAGE, before);
      putGenerations(r.generations);
      setIds((old) => [...(before ? old : []), ...r.generations.map((g) => g.id)]);
      setNext(r.next);
    } catch (e) {
      setError(describeError(e).text);
    } finally {
      setState('ready');
    }
  };
  useEffect(() => void load(null), []);

  return (
    <section class="history" aria-labelledby="history-title" aria-busy={state !== 'ready'}>
      <h1 id="history-title">History</h1>
      <p class="lede">Every prompt you sent and its four images, with the seed and settings that make them again.</p>
      {state === 'loading' && <p class="fine">Loading…</p>}
      {state !== 'loading' && !error && ids.length === 0 && <p class="empty-state">Nothing yet: the images you imagine are kept here.</p>}
      <ol class="history-list">
        {ids.map((id) => (
          <li key={id}>
            <GenerationCard id={id} />
          </li>
        ))}
      </ol>
      {error && (
        <div class="problem" role="alert">
          <p>{error}</p>
          <button type="button" onClick={() => void load(ids.length ? next : null)}>
            Try again
          </button>
        </div>
      )}
      {next && !error && (
        <button type="button" class="more" disabled={state === 'more'} onClick={() => void load(next)}>
          {state === 'more' ? 'Loading…' : 'Show older'}
        </button>
      )}
    </section>
  );
}
