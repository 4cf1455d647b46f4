/**
 * One prompt's set: its state while it is made (queue position, a progress
 * bar, previews that sharpen step by step), then the four images in a 2×2 grid
 * with their AI label, and under them the seed and settings with "run again".
 */
import { useState } from 'preact/hooks';
import { useObservable } from '../lib/observable.ts';
import { fraction, settingsText, statusText, type JobView } from '../lib/job.ts';
import { subjectOf } from '../lib/message.ts';
import { cancel, go, jobs, route, runAgain } from '../state.ts';
import { Icon } from './icons.tsx';
import { ImageTile } from './ImageTile.tsx';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** What screen readers hear: the state, and progress by quarters (not every step). */
function spoken(v: JobView): string {
  const s = v.generation.status;
  if (s === 'running') {
    const q = Math.floor(fraction(v) * 4);
    return q === 0 ? 'Making the images' : `Making the images: ${q * 25}% done`;
  }
  if (s === 'done') return 'Your four images are ready';
  return statusText(v);
}

export function GenerationCard({ id, headingLevel = 2 }: { id: string; headingLevel?: 2 | 3 }) {
  const v = useObservable(jobs).get(id);
  if (!v) return null;
  return <Card v={v} headingLevel={headingLevel} />;
}

function Card({ v, headingLevel }: { v: JobView; headingLevel: 2 | 3 }) {
  const g = v.generation;
  const [copied, setCopied] = useState(false);
  const working = g.status === 'queued' || g.status === 'running';
  const H = headingLevel === 2 ? 'h2' : 'h3';
  const headingId = `gen-${g.id}`;
  const again = (sameSeed: boolean) => {
    void runAgain(g, sameSeed);
    if (route.get() !== 'imagine') go('imagine');
  };
  const copySeed = async () => {
    try {
      await navigator.clipboard.writeText(String(g.settings.seed));
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      prompt('Copy the seed:', String(g.settings.seed));
    }
  };

  return (
    <article class={`generation status-${g.status}`} data-generation={g.id} data-status={g.status} aria-labelledby={headingId}>
      <header class="generation-head">
        <H id={headingId} class="generation-title">
          {subjectOf(g.prompt)}
        </H>
        <p class="status-line">
          <span class={`chip chip-${g.status}`}>{g.status === 'running' ? 'working' : g.status}</span> {g.status === 'failed' ? 'The reason is below.' : statusText(v)}
          {v.connection === 'reconnecting' && working && <span class="warn"> · connection lost, reconnecting…</span>}
        </p>
        <p class="sr-only" aria-live="polite">
          {spoken(v)}
        </p>
      </header>

      {working && (
        <div class="progress-row">
          <progress max={1} value={g.status === 'running' ? fraction(v) : undefined} aria-label={`Progress of “${subjectOf(g.prompt)}”`} />
          <button type="button" class="danger" onClick={() => void cancel(g.id)}>
            <Icon name="stop" /> Cancel
          </button>
        </div>
      )}

      {g.status === 'done' ? (
        <div class="grid">
          {g.images.map((img) => (
            <ImageTile key={img.index} g={g} image={img} />
          ))}
        </div>
      ) : working ? (
        <div class="grid grid-pending" aria-hidden="true">
          {[0, 1, 2, 3].map((i) =>
            v.previews[i] ? (
              <div class="tile" key={i}>
                <div class="frame">
                  <img class="preview" src={v.previews[i]} alt="" width={256} height={256} />
                  <span class="ai-badge">AI preview · step {v.step}</span>
                </div>
              </div>
            ) : (
              <div class="tile" key={i}>
                <div class="frame placeholder" />
              </div>
            ),
          )}
        </div>
      ) : g.status === 'failed' ? (
        <p class="problem" role="note">
          These images could not be made: {g.error ?? 'no reason was given'}.
        </p>
      ) : null}

      {g.status === 'done' && <p class="ai-label">{g.label}</p>}

      <footer class="generation-meta">
        <p class="settings-text">
          <span class="sr-only">Settings: </span>
          {settingsText(g)}
        </p>
        <p class="fine">
          {g.variationOf ? `Variations of image ${g.variationOf.index + 1} of an earlier set · ` : ''}
          model {g.model} · {dateTime.format(new Date(g.createdAt))}
        </p>
        <div class="meta-actions">
          <button type="button" class="quiet" onClick={() => void copySeed()}>
            <Icon name="copy" /> {copied ? 'Seed copied' : 'Copy seed'}
          </button>
          {!working && (
            <button type="button" class="quiet" onClick={() => again(true)} title="The same prompt, seed and settings: the same images">
              <Icon name="again" /> Run again (same seed)
            </button>
          )}
          {!working && (
            <button type="button" class="quiet" onClick={() => again(false)}>
              <Icon name="sparkle" /> New seed
            </button>
          )}
        </div>
      </footer>
    </article>
  );
}
