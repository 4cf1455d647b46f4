/**
 * The gallery of every prompt and its four images, newest first, a page at a
 * time ("Show older" follows `next`). Each set opens in place with all its
 * actions.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { describeError } from '../lib/errors.ts';
import { settingsText, statusText } from '../lib/job.ts';
import { subjectOf } from '../lib/message.ts';
import { useObservable } from '../lib/observable.ts';
import { go, jobs, putGenerations, route, runAgain } from '../state.ts';
import { GenerationCard } from './GenerationCard.tsx';
import { altText } from './ImageTile.tsx';
import { Icon } from './icons.tsx';

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const PAGE = 10;

export function HistoryView() {
  const [ids, setIds] = useState<string[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'more'>('loading');
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);

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
          <li key={id} class={open === id ? 'is-open' : undefined}>
            {open === id ? (
              <>
                <GenerationCard id={id} />
                <button type="button" class="quiet close-set" onClick={() => setOpen(null)}>
                  Close this set
                </button>
              </>
            ) : (
              <HistoryItem id={id} onOpen={() => setOpen(id)} />
            )}
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

/** One set in the gallery: its four thumbnails, prompt, state and settings. */
function HistoryItem({ id, onOpen }: { id: string; onOpen: () => void }) {
  const v = useObservable(jobs).get(id);
  if (!v) return null;
  const g = v.generation;
  const title = subjectOf(g.prompt);
  return (
    <article class={`history-item status-${g.status}`} data-generation={g.id} data-status={g.status} aria-label={title}>
      {g.status === 'done' ? (
        <button type="button" class="thumbs" onClick={onOpen} aria-label={`Open “${title}”: its four images and their actions`}>
          {g.images.map((img) => (
            <img key={img.index} src={img.url} alt={altText(g, img.index)} width={128} height={128} loading="lazy" decoding="async" />
          ))}
          <span class="ai-badge">AI-made</span>
        </button>
      ) : (
        <div class="thumbs thumbs-empty">
          <span class={`chip chip-${g.status}`}>{g.status === 'running' ? 'working' : g.status}</span>
        </div>
      )}
      <h2 class="history-title">{title}</h2>
      {g.status === 'failed' ? (
        <p class="problem">{statusText(v)}</p>
      ) : g.status !== 'done' ? (
        <p class="fine">{statusText(v)}</p>
      ) : null}
      <p class="fine">
        {when.format(new Date(g.createdAt))}
        {g.variationOf ? ` · variations of image ${g.variationOf.index + 1}` : ''}
      </p>
      <p class="settings-text">{settingsText(g)}</p>
      <div class="row">
        {g.status === 'done' && (
          <button type="button" onClick={onOpen}>
            Open
          </button>
        )}
        <button
          type="button"
          class="quiet"
          onClick={() => {
            void runAgain(g, true);
            if (route.get() !== 'imagine') go('imagine');
          }}
          title="The same prompt, seed and settings: the same images"
        >
          <Icon name="again" /> Run again
        </button>
      </div>
    </article>
  );
}
