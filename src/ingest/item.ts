/**
 * What every export reader yields: the same shapes whatever the format, so one
 * pipeline (./pipeline.ts) stores them. A reader never touches the store.
 */
import type { Account, LedgerEvent, LicenceGrant, MediaProblem, Post } from '../core/types.ts';

/** Why one item of an export was not taken (or taken without its media). Closed union. */
export type IngestIssueCode =
  | 'malformed_json'
  | 'truncated_line'
  | 'invalid_record'
  | 'unknown_account'
  | 'unknown_event_type'
  | 'id_conflict'
  | MediaProblem;

export interface MediaSource {
  /** Where it is, for messages (e.g. `media/p1.png`). */
  describe: string;
  /** Reads the bytes; throws MediaError (media_missing, media_path_escape, …) when it cannot. */
  read(): Promise<Buffer>;
}

export type IngestItem =
  | { kind: 'account'; item: string; account: Account; recordHash: string }
  | { kind: 'post'; item: string; post: Omit<Post, 'mediaSha256' | 'mediaProblem'>; media: MediaSource | null; recordHash: string }
  | { kind: 'event'; item: string; event: LedgerEvent }
  | { kind: 'grant'; item: string; grant: LicenceGrant }
  | { kind: 'issue'; item: string; code: IngestIssueCode; detail: string };

export interface OpenedExport {
  /** Stable name of where the data comes from (the platform). */
  source: string;
  /** Bytes to read in all, for progress; 0 when unknown. */
  totalBytes: number;
  /** Bytes read so far. */
  bytesRead(): number;
  items: AsyncIterable<IngestItem>;
}

export interface ExportReader {
  /** Format name, as `vitrine ingest --format NAME` accepts it. */
  name: string;
  detect(path: string): Promise<boolean>;
  open(path: string): Promise<OpenedExport>;
}
