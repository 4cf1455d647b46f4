/** An image at full size, in a modal dialog (Escape or the button closes it; focus goes back where it was). */
import { useEffect, useRef } from 'preact/hooks';
import { Observable, useObservable } from '../lib/observable.ts';

interface Shown {
  src: string;
  alt: string;
  label: string;
}
const shown = new Observable<Shown | null>(null);
export const showLightbox = (s: Shown) => shown.set(s);

export function Lightbox() {
  const s = useObservable(shown);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (s && !d.open) d.showModal();
    if (!s && d.open) d.close();
  }, [s]);
  return (
    <dialog ref={dialog} class="lightbox" aria-label="Image" onClose={() => shown.set(null)} onClick={(e) => e.target === dialog.current && shown.set(null)}>
      {s && (
        <figure>
          <img src={s.src} alt={s.alt} />
          <figcaption>
            <strong>AI-made.</strong> {s.label}
          </figcaption>
        </figure>
      )}
      <form method="dialog">
        <button type="submit" autofocus>
          Close
        </button>
      </form>
    </dialog>
  );
}
