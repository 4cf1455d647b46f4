/**
 * The closed union of reasons a post can be kept out of training, in priority
 * order: when several rules drop a post, the first one in this list is its
 * primary reason. Every drop anywhere in vitrine carries one of these codes.
 */
export const REASON_CODES = [
  'post_deleted',
  'account_deleted',
  'not_public',
  'account_private',
  'private_when_posted',
  'author_minor',
  'author_age_unknown',
  'objected',
  'media_unusable',
  'ai_generated',
  'rights_reserved',
  'licence_missing',
  'licence_not_allowed',
  'copy_of_restricted_original',
  'duplicate',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export function isReasonCode(s: string): s is ReasonCode {
  return (REASON_CODES as readonly string[]).includes(s);
}

/** Plain words for people (`vitrine explain`, the transparency page). */
export const REASON_TEXT: Record<ReasonCode, string> = {
  post_deleted: 'The post was deleted, so it is no longer used.',
  account_deleted: 'The account that posted it was deleted.',
  not_public: 'The post is not public: it was shared with followers, mentioned people or as unlisted.',
  account_private: 'The account is private, so its posts are not public.',
  private_when_posted: 'The account was private when this was posted, so it was never shared with the public.',
  author_minor: 'The author was under the minimum age when posting.',
  author_age_unknown: 'The author\u2019s age is not known, and only posts by known adults are used.',
  objected: 'The author objected to their posts being used for training.',
  media_unusable: 'The image is missing or could not be read safely.',
  ai_generated: 'The image is labelled as made by AI, and AI-made images are not used for training.',
  rights_reserved: 'The image carries a machine-readable reservation against AI training or data mining.',
  licence_missing: 'No licence allows this use: the post states none and no licence was granted.',
  licence_not_allowed: 'The post\u2019s licence does not allow this use.',
  copy_of_restricted_original:
    'The image is a copy of someone else\u2019s photo that may not be used (private, objected, a minor\u2019s, deleted or reserved), so no copy of it is used either.',
  duplicate: 'The same image is already used from another post; only one copy is kept.',
};
