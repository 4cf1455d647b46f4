/**
 * One of the four images, with its actions at hand: pick, reject (with a
 * reason), star, download, variations. With the tile focused (keys 1 to 4),
 * P, R, S, D and V do the same.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Generation, GenerationImage } from '../types.ts';
import { useObservable } from '../lib/observable.ts';
import { subjectOf } from '../lib/message.ts';
import { REJECT_REASONS, REJECT_TEXT, type RejectReason } from '../lib/reasons.ts';
import { go, opinionKey, opinions, pick, prefs, reject, route, setFavourite, variations } from '../state.ts';
import { Icon } from './icons.tsx';
import { showLightbox } from './Lightbox.tsx';

function fromServer(image: GenerationImage): { picked: boolean; rejected: RejectReason | null } {
  const rejected = image.verdict === 'reject' && (REJECT_REASONS as readonly string[]).includes(image.reason ?? '') ? (image.reason as RejectReason) : null;
  return { picked: image.verdict === 'pick', rejected };
}

export function downloadHref(image: GenerationImage, withPrompt: boolean): string {
  return withPrompt ? image.downloadUrl : `${image.downloadUrl}&prompt=0`;
}

export function altText(g: Generation, index: number): string {
  return `AI-generated image ${index + 1} of ${g.images.length}: ${subjectOf(g.prompt)}`;
}

export function ImageTile({ g, image }: { g: Generation; image: GenerationImage }) {
  // What was said in this page wins; else what the server remembers (after a reload).
  const op = useObservable(opinions).get(opinionKey(g.id, image.index)) ?? fromServer(image);
  const p = useObservable(prefs);
  const [rejecting, setRejecting] = useState(false);
  const rejectButton = useRef<HTMLButtonElement>(null);
  const download = useRef<HTMLAnchorElement>(null);
  const n = image.index + 1;

  const toVariations = () => {
    void variations(g, image.index);
    if (route.get() !== 'imagine') go('imagine');
  };
  const closeReject = () => {
    setRejecting(false);
    rejectButton.current?.focus();
  };
  const choose = (r: RejectReason) => {
    void reject(g, image.index, r);
    closeReject();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (rejecting || e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target as HTMLElement;
    if (t.closest('input, textarea, select')) return;
    const act: Record<string, () => void> = {
      p: () => void pick(g, image.index),
      r: () => setRejecting(true),
      s: () => void setFavourite(g, image.index, !image.favourite),
      d: () => download.current?.click(),
      v: toVariations,
    };
    const f = act[e.key.toLowerCase()];
    if (f) {
      e.preventDefault();
      f();
    }
  };

  return (
    <div
      class={`tile${op.picked ? ' is-picked' : ''}${op.rejected ? ' is-rejected' : ''}`}
      role="group"
      aria-label={`Image ${n} of ${g.images.length}`}
      tabIndex={-1}
      data-tile={image.index}
      onKeyDown={onKeyDown}
    >
      <div class="frame">
        <button type="button" class="enlarge" onClick={() => showLightbox({ src: image.url, alt: altText(g, image.index), label: g.label })} aria-label={`Enlarge image ${n}`}>
          <img src={image.url} alt={altText(g, image.index)} width={256} height={256} decoding="async" />
        </button>
        <span class="ai-badge">AI-made</span>
        {op.picked && <span class="verdict verdict-pick">Your pick</span>}
        {op.rejected && <span class="verdict verdict-reject">Rejected: {REJECT_TEXT[op.rejected]}</span>}
        {rejecting && <RejectMenu n={n} onChoose={choose} onClose={closeReject} />}
      </div>
      <div class="actions">
        <button type="button" aria-pressed={op.picked} onClick={() => void pick(g, image.index)} title="This is the one (P)" aria-keyshortcuts="P">
          <Icon name="check" />
          <span>Pick</span>
        </button>
        <button type="button" ref={rejectButton} aria-expanded={rejecting} onClick={() => (rejecting ? closeReject() : setRejecting(true))} title="Not this one, and why (R)" aria-keyshortcuts="R">
          <Icon name="cross" />
          <span>Reject</span>
        </button>
        <button type="button" aria-pressed={image.favourite} onClick={() => void setFavourite(g, image.index, !image.favourite)} title="Star: keep it in your favourites (S)" aria-keyshortcuts="S">
          <Icon name="star" filled={image.favourite} />
          <span>Star</span>
        </button>
        <a class="button" ref={download} href={downloadHref(image, p.promptInDownloads)} download={`vitrine-${g.id}-${image.index}.png`} title="Download the PNG, labelled as AI-made inside (D)" aria-keyshortcuts="D">
          <Icon name="download" />
          <span>Download</span>
        </a>
        <button type="button" onClick={toVariations} title="Four variations of this image (V)" aria-keyshortcuts="V">
          <Icon name="shuffle" />
          <span>Variations</span>
        </button>
      </div>
    </div>
  );
}

function RejectMenu({ n, onChoose, onClose }: { n: number; onChoose: (r: RejectReason) => void; onClose: () => void }) {
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div
      class="reject-menu"
      role="group"
      aria-label={`Why not image ${n}?`}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <p class="reject-title">Why not this one?</p>
      {REJECT_REASONS.map((r, i) => (
        <button type="button" key={r} ref={i === 0 ? first : undefined} onClick={() => onChoose(r)}>
          {REJECT_TEXT[r]}
        </button>
      ))}
      <button type="button" class="quiet" onClick={onClose}>
        Cancel
      </button>
    </div>
  );
}
