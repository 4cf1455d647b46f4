/**
 * The vitrine platform dump, format version 1: what a platform operator writes
 * from its own database and `vitrine ingest` reads. Documented in
 * docs/formats/platform-dump.md; the demo generator writes exactly these shapes.
 *
 * Times are ISO-8601 UTC strings. Ids are opaque strings, unique per dump
 * family (a newer dump of the same platform reuses the same ids).
 */

export const DUMP_FORMAT = 'vitrine-platform-dump';
export const DUMP_VERSION = 1;

/** `manifest.json` at the dump root. */
export interface DumpManifest {
  format: typeof DUMP_FORMAT;
  version: number;
  /** Stable name of the platform; becomes the `source` of everything ingested. */
  platform: string;
  exportedAt: string;
  generator?: string;
}

export type Visibility = 'public' | 'unlisted' | 'followers' | 'direct';
export const VISIBILITIES: readonly Visibility[] = ['public', 'unlisted', 'followers', 'direct'];

/** One line of `accounts.jsonl`. State fields describe the account when it was created; events carry changes. */
export interface DumpAccount {
  id: string;
  handle: string;
  displayName?: string;
  /** BCP-47 language the account writes in. */
  language?: string;
  createdAt: string;
  /** ISO date (YYYY-MM-DD) or null when the platform does not know it. */
  birthDate?: string | null;
  /** Whether the account was private (approved followers only) when created. */
  private?: boolean;
}

/** One line of `posts.jsonl`. `visibility` is the audience at creation; events carry changes. */
export interface DumpPost {
  id: string;
  accountId: string;
  createdAt: string;
  visibility: Visibility;
  caption: string;
  /** Language of `caption` (BCP-47). */
  language?: string;
  /** Extra translations of the caption the author provided, keyed by language. */
  captions?: Record<string, string>;
  altText?: string | null;
  /** SPDX identifier (or LicenseRef-…) the author published the photo under; null when none is stated. */
  licence?: string | null;
  /** Who holds rights in the work shown (for licence grants by holder). */
  rightsHolder?: string | null;
  /** Attribution text required by the licence, when it requires one. */
  attribution?: string | null;
  /** Relative path under the dump root (normally `media/…`). */
  media: { path: string; mediaType?: string } | null;
}

interface EventBase {
  id: string;
  at: string;
}

/** One line of `events.jsonl`: the ledger of what changed after creation. */
export type DumpEvent =
  | (EventBase & { type: 'post.visibility'; postId: string; visibility: Visibility })
  | (EventBase & { type: 'post.deleted'; postId: string })
  | (EventBase & { type: 'post.objection'; postId: string })
  | (EventBase & { type: 'account.privacy'; accountId: string; private: boolean })
  | (EventBase & { type: 'account.deleted'; accountId: string })
  | (EventBase & { type: 'account.objection'; accountId: string })
  | (EventBase & { type: 'account.objection-withdrawn'; accountId: string })
  | (EventBase & { type: 'account.age'; accountId: string; birthDate: string })
  | (EventBase & {
      type: 'licence.grant';
      licence: string;
      /** Exactly one scope: every post of an account, one post, or every post whose rightsHolder matches. */
      accountId?: string;
      postId?: string;
      rightsHolder?: string;
      note?: string;
    });

export type DumpEventType = DumpEvent['type'];
export const DUMP_EVENT_TYPES: readonly DumpEventType[] = [
  'post.visibility',
  'post.deleted',
  'post.objection',
  'account.privacy',
  'account.deleted',
  'account.objection',
  'account.objection-withdrawn',
  'account.age',
  'licence.grant',
];
