/** The starred images (kept from clean-up), newest first, each with its set one click away. */
import { useEffect, useState } from 'preact/hooks';
import type { Favourite } from '../types.ts';
import { api } from '../lib/api.ts';
import { describeError } from '../lib/errors.ts';
import { useObservable } from '../lib/observable.ts';
import { subjectOf } from '../lib/message.ts';
import { settingsText } from '../lib/job.ts';
import { favouritesVersion, prefs, putGenerations, setFavourite } from '../state.ts';
import { GenerationCard } from './GenerationCard.tsx';
import { altText, downloadHref } from './ImageTile.tsx';
import { Icon } from './icons.tsx';

const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function FavouritesView() {
  const version = useObservable(favouritesVersion);
  const [favs, setFavs] = useState<Favourite[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  const load = async () => {
    setError(null);
    try {
      const r = await api.favourites();
      putGenerations(r.favourites.map((f) => f.generation));
      setFavs(r.favourites);
    } catch (e) {
      setError(describeError(e).text);
    }
  };
  useEffect(() => void load(), [version]);

  return (
    <section class="favourites" aria-labelledby="fav-title" aria-busy={favs === null && !error}>
      <h1 id="fav-title">Favourites</h1>
      <p class="lede">The images you starred. They are kept when old images are cleaned up.</p>
      {favs === null && !error && <p class="fine">Loading…</p>}
      {favs?.length === 0 && <p class="empty-state">No favourites yet: star an image (☆ Star, or S) to keep it here.</p>}
      {error && (
        <div class="problem" role="alert">
          <p>{error}</p>
          <button type="button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      )}
      {favs && favs.length > 0 && (
        <ul class="fav-grid">
          {favs.map((f) => (
            <FavouriteItem key={`${f.generation.id}/${f.index}`} f={f} open={open === `${f.generation.id}/${f.index}`} onOpen={(o) => setOpen(o ? `${f.generation.id}/${f.index}` : null)} />
          ))}
        </ul>
      )}
    </section>
  );
}

function FavouriteItem({ f, open, onOpen }: { f: Favourite; open: boolean; onOpen: (o: boolean) => void }) {
  const p = useObservable(prefs);
  const g = f.generation;
  const image = g.images.find((i) => i.index === f.index);
  if (!image) return null;
  return (
    <li class={`fav${open ? ' fav-open' : ''}`} data-favourite={`${g.id}/${f.index}`}>
      <figure>
        <div class="frame">
          <img src={image.url} alt={altText(g, f.index)} width={256} height={256} loading="lazy" decoding="async" />
          <span class="ai-badge">AI-made</span>
        </div>
        <figcaption>
          <span class="fav-prompt">{subjectOf(g.prompt)}</span>
          <span class="fine">
            Image {f.index + 1} · starred {date.format(new Date(f.at))} · {settingsText(g)}
          </span>
        </figcaption>
      </figure>
      <div class="row">
        <button type="button" onClick={() => void setFavourite(g, f.index, false)}>
          <Icon name="star" filled /> Unstar
        </button>
        <a class="button" href={downloadHref(image, p.promptInDownloads)} download={`vitrine-${g.id}-${f.index}.png`}>
          <Icon name="download" /> Download
        </a>
        <button type="button" aria-expanded={open} onClick={() => onOpen(!open)}>
          {open ? 'Hide the set' : 'Show the set'}
        </button>
      </div>
      {open && <GenerationCard id={g.id} headingLevel={3} />}
    </li>
  );
}
