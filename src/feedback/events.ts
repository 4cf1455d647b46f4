/**
 * Feedback events: what a person did with one of the images of a generation.
 * Each is stored with the user and the generation, which holds the prompt, the
 * seed, the settings, the model and all the candidates, so a preference pair
 * can always be rebuilt from the events. Whether an event may train a model is
 * decided when a feedback set is made (the user's feedback-terms choice then),
 * not here: everything is recorded, not everything is used.
 */
import { FEEDBACK_KINDS, type FeedbackEvent, type FeedbackKind, type Store, type User } from '../store/index.ts';
import { ServiceError } from '../core/errors.ts';

/** Why an image was rejected: a short closed list, so the reasons can be counted. */
export const REJECT_REASONS = ['not-what-i-asked', 'wrong-colours', 'badly-drawn', 'offensive', 'other'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Kinds a client sends directly; favourites have their own route (they also change the favourites list). */
export const DIRECT_KINDS = FEEDBACK_KINDS.filter((k) => k !== 'favourite' && k !== 'unfavourite');

export interface FeedbackInput {
  generation: string;
  index: number;
  kind: FeedbackKind;
  reason?: string | null;
}

/** Checks that the image is the user's and exists; returns the generation. */
export function ownImage(store: Store, user: User, generationId: string, index: number) {
  const g = store.generations.get(generationId);
  if (!g || g.userId !== user.id) throw new ServiceError(`No generation ${generationId} of yours`, 404);
  if (g.status !== 'done') throw new ServiceError(`Generation ${generationId} has no images (${g.status})`, 409);
  if (!g.images.some((i) => i.index === index)) throw new ServiceError(`Generation ${generationId} has no image ${index} (it has ${g.images.length})`, 400);
  return g;
}

export function recordFeedback(store: Store, user: User, f: FeedbackInput, at: string): FeedbackEvent {
  if (!(DIRECT_KINDS as readonly string[]).includes(f.kind)) throw new ServiceError(`kind must be one of ${DIRECT_KINDS.join(', ')}, got "${f.kind}"`, 400);
  if (f.kind === 'reject') {
    if (!f.reason || !(REJECT_REASONS as readonly string[]).includes(f.reason))
      throw new ServiceError(`A rejection needs a reason, one of ${REJECT_REASONS.join(', ')}${f.reason ? `; got "${f.reason}"` : ''}`, 400);
  } else if (f.reason) {
    throw new ServiceError(`Only a rejection has a reason (this is "${f.kind}")`, 400);
  }
  ownImage(store, user, f.generation, f.index);
  const e = { userId: user.id, generationId: f.generation, index: f.index, kind: f.kind, reason: f.kind === 'reject' ? (f.reason ?? null) : null, at };
  return { id: store.generations.addFeedback(e), ...e };
}

/** Stars or unstars an image; recorded as an event too (a favourite is a strong "keep"). */
export function setFavourite(store: Store, user: User, generationId: string, index: number, on: boolean, at: string): boolean {
  ownImage(store, user, generationId, index);
  return store.transaction(() => {
    const changed = store.generations.setFavourite(user.id, generationId, index, on, at);
    if (changed) store.generations.addFeedback({ userId: user.id, generationId, index, kind: on ? 'favourite' : 'unfavourite', reason: null, at });
    return changed;
  });
}
