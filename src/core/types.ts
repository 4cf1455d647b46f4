/**
 * Domain types shared by every stage. One type per concept: the store returns
 * these, the rules read them, the snapshot writes them.
 */
import type { DumpEvent, Visibility } from './dump.ts';
import type { ReasonCode } from './reasons.ts';

export type { Visibility } from './dump.ts';

export interface Account {
  id: string;
  /** Where it came from (the dump manifest's `platform`, or the export kind). */
  source: string;
  handle: string;
  displayName: string | null;
  language: string | null;
  createdAt: string;
  /** As stated by the account record; age events may supply or correct it later. */
  birthDate: string | null;
  privateAtCreation: boolean;
}

export type MediaProblem =
  | 'media_missing'
  | 'media_empty'
  | 'media_not_image'
  | 'media_too_large'
  | 'media_unsupported'
  | 'media_corrupt'
  | 'media_path_escape';

export interface Post {
  id: string;
  source: string;
  accountId: string;
  createdAt: string;
  /** Audience at creation; `post.visibility` events change it. */
  visibility: Visibility;
  caption: string;
  language: string | null;
  /** Translations the author provided, by language (the caption itself is under `language`). */
  captions: Record<string, string>;
  altText: string | null;
  licence: string | null;
  rightsHolder: string | null;
  attribution: string | null;
  /** Content hash of the stored media file, null when the media could not be stored. */
  mediaSha256: string | null;
  /** Why the media could not be used, when it could not. */
  mediaProblem: MediaProblem | null;
}

/** What ingest learned from a media file; stored once per distinct file. */
export interface MediaInfo {
  /** SHA-256 of the file bytes (hex): the media id. */
  sha256: string;
  /**
   * SHA-256 of the decoded pixels (sRGB, 8-bit RGBA, after EXIF auto-orient, preceded by "rgba8 W×H"),
   * fully transparent pixels counted as (0,0,0,0): exact copies match whatever the container or metadata.
   */
  pixelSha256: string;
  format: string;
  /** Dimensions after auto-orientation (as displayed). */
  width: number;
  height: number;
  bytes: number;
  /** 64 hex chars, 256-bit perceptual hash (src/decide/phash.ts). */
  phash: string;
  /** 0..100 from gradient energy; low means a flat image whose hash says little. */
  phashQuality: number;
  /** plus:DataMining as a short code (`DMI-…`), the most restrictive if several; null if absent. */
  dataMining: string | null;
  /** Iptc4xmpExt:DigitalSourceType as a full IPTC URI; null if absent. */
  digitalSourceType: string | null;
  /**
   * C2PA/CAWG training-mining assertion, read without validating signatures: 'notAllowed' if any
   * training or data-mining entry is notAllowed or constrained. Unsigned claims only ever restrict.
   */
  c2paTraining: 'allowed' | 'notAllowed' | null;
  /** EXIF GPS IFD with coordinates (or XMP exif:GPSLatitude/Longitude). Never reaches a shard. */
  hasGps: boolean;
  /** 32×32 RGB thumbnail of the frame, for the cropped-copy detector (src/decide/copy-match.ts). */
  thumb: Uint8Array | null;
}

/** A ledger event as stored: the dump event plus where it came from. */
export type LedgerEvent = DumpEvent & { source: string };

export interface LicenceGrant {
  id: string;
  licence: string;
  accountId: string | null;
  postId: string | null;
  rightsHolder: string | null;
  grantedAt: string;
  note: string | null;
  /** 'dump' when the platform export carried it, 'cli' when an operator recorded it. */
  origin: 'dump' | 'cli';
}

/** The outcome of one rule for one post. */
export type Verdict = { keep: true } | { keep: false; reason: ReasonCode; signal: string };

export const KEEP: Verdict = Object.freeze({ keep: true });
export function drop(reason: ReasonCode, signal: string): Verdict {
  return { keep: false, reason, signal };
}

/** A stored decision for one post: the primary reason plus every rule that said drop. */
export interface Decision {
  postId: string;
  eligible: boolean;
  /** Primary reason (null when eligible). */
  reason: ReasonCode | null;
  /** The rule that gave the primary reason. */
  rule: string | null;
  /** The evidence the rule saw, in a few words (e.g. "visibility=followers since 2025-03-01"). */
  signal: string | null;
  /** Every drop, primary first. */
  reasons: { reason: ReasonCode; rule: string; signal: string }[];
  policyVersion: string;
  decidedAt: string;
  runId: number;
}
