/**
 * The store, as the rest of vitrine sees it: interfaces only. The embedded
 * default is SQLite (./sqlite/) plus media files on the local disk
 * (./media-files.ts); a PostgreSQL or S3-compatible implementation implements
 * the same interfaces.
 */
import type { Account, Decision, LedgerEvent, LicenceGrant, MediaInfo, Post } from '../core/types.ts';
import type { ReasonCode } from '../core/reasons.ts';

export interface CorpusRepo {
  /** Upserts; returns false when an identical record was already stored (idempotent re-ingest). */
  putAccount(a: Account, recordHash: string): boolean;
  putPost(p: Post, recordHash: string, ingestedAt: string): boolean;
  putMedia(m: MediaInfo): void;
  /** Returns false when the event id was already stored. */
  putEvent(e: LedgerEvent): boolean;
  putGrant(g: LicenceGrant): boolean;
  postRecordHash(id: string): string | null;
  accountRecordHash(id: string): string | null;
  hasAccount(id: string): boolean;
  getAccount(id: string): Account | null;
  getPost(id: string): Post | null;
  getMedia(sha256: string): MediaInfo | null;
  allAccounts(): IterableIterator<Account>;
  /** Posts in id order, streamed. */
  allPosts(): IterableIterator<Post>;
  allMedia(): IterableIterator<MediaInfo>;
  eventsFor(target: { postId?: string; accountId?: string }): LedgerEvent[];
  allEvents(): IterableIterator<LedgerEvent>;
  grants(): LicenceGrant[];
  counts(): { accounts: number; posts: number; media: number; events: number; grants: number };
}

export interface IngestRun {
  id: number;
  path: string;
  source: string | null;
  startedAt: string;
  finishedAt: string | null;
  status: 'running' | 'done' | 'failed';
  counts: Record<string, number> | null;
}

export interface IngestIssue {
  runId: number;
  item: string;
  code: string;
  detail: string;
}

export interface RunsRepo {
  startIngest(path: string, startedAt: string): number;
  finishIngest(id: number, status: 'done' | 'failed', source: string | null, counts: Record<string, number>, at: string): void;
  addIssue(i: IngestIssue): void;
  issues(runId: number): IngestIssue[];
  lastIngest(): IngestRun | null;
  /** Bumped by every change to the corpus; a decision run records the version it saw. */
  ledgerVersion(): number;
  bumpLedger(): number;
}

export interface DecideRun {
  id: number;
  policyVersion: string;
  ledgerVersion: number;
  startedAt: string;
  finishedAt: string | null;
  counts: Record<string, number> | null;
}

export interface DecisionsRepo {
  startRun(policyVersion: string, ledgerVersion: number, startedAt: string): number;
  finishRun(id: number, counts: Record<string, number>, at: string): void;
  lastRun(): DecideRun | null;
  lastFinishedRun(): DecideRun | null;
  /** Stores the decision; logs it only when it differs from the previous one. Returns whether it changed. */
  put(d: Decision, clusterOriginal: string | null): boolean;
  get(postId: string): (Decision & { clusterOriginal: string | null }) | null;
  /** The logged decision in force after run `runId` (for "why was it out then?"). */
  asOfRun(postId: string, runId: number): Pick<Decision, 'eligible' | 'reason' | 'signal' | 'runId'> | null;
  eligiblePostIds(): IterableIterator<string>;
  countsByReason(): Record<ReasonCode | 'eligible', number>;
}

export interface SnapshotRecord {
  id: string;
  path: string;
  createdAt: string;
  policyVersion: string;
  decideRunId: number;
  items: number;
  datasheet: unknown;
}

export interface SnapshotItemRecord {
  key: string;
  postId: string;
  mediaSha256: string;
  imageSha256: string;
}

export interface Withdrawal {
  snapshotId: string;
  postId: string;
  reason: ReasonCode;
  signal: string;
  detectedAt: string;
}

export interface SnapshotsRepo {
  /** Registers a snapshot and its items in one transaction; a no-op when the id is already registered. */
  register(s: SnapshotRecord, items: readonly SnapshotItemRecord[]): boolean;
  get(id: string): SnapshotRecord | null;
  list(): SnapshotRecord[];
  items(id: string): SnapshotItemRecord[];
  /** Ids of the snapshots that hold this post. */
  containing(postId: string): string[];
  /** Items of every snapshot whose post is now ineligible and not yet recorded as withdrawn. */
  recordWithdrawals(at: string): number;
  withdrawals(snapshotId?: string): Withdrawal[];
}

export interface CopiesRepo {
  /** The detector settings the stored pairs were found with, and the last media row searched. */
  state(): { params: string | null; upto: number };
  /** Adds pairs (media sha256s) and moves the mark, atomically; `reset` first drops pairs found under other settings. */
  save(params: string, upto: number, pairs: readonly [string, string][], reset: boolean): void;
  all(): [string, string][];
  /** Every media file's thumbnail, in insertion order (row numbers grow). */
  mediaThumbs(): IterableIterator<{ row: number; sha256: string; thumb: Uint8Array | null }>;
  thumbOf(sha256: string): Uint8Array | null;
  lastMediaRow(): number;
}

/** A trained model and where it came from. */
export interface ModelRecord {
  id: string;
  path: string;
  createdAt: string;
  kind: string;
  snapshotId: string;
  policyVersion: string;
  parentId: string | null;
  configName: string;
  config: Record<string, unknown>;
  codeVersion: string;
  trainSeconds: number;
  imagesSeen: number;
  hardware: Record<string, unknown>;
  card: Record<string, unknown>;
}

export interface ModelEval {
  modelId: string;
  judgeId: string;
  createdAt: string;
  results: Record<string, unknown>;
}

export interface ModelsRepo {
  /** False when a model with this id was already registered. */
  register(m: ModelRecord): boolean;
  get(id: string): ModelRecord | null;
  list(): ModelRecord[];
  /** Models trained on a snapshot (a withdrawal from the snapshot concerns them). */
  trainedOn(snapshotId: string): ModelRecord[];
  putEval(e: ModelEval): void;
  evals(modelId: string): ModelEval[];
}

export interface Store {
  readonly corpus: CorpusRepo;
  readonly runs: RunsRepo;
  readonly decisions: DecisionsRepo;
  readonly snapshots: SnapshotsRepo;
  readonly copies: CopiesRepo;
  readonly models: ModelsRepo;
  /** Runs `fn` atomically: all of its writes land, or none do. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** Media bytes, content-addressed by the SHA-256 of the file. */
export interface MediaStore {
  put(sha256: string, bytes: Buffer): Promise<void>;
  get(sha256: string): Promise<Buffer>;
  has(sha256: string): Promise<boolean>;
  /** Derived files kept beside the original (e.g. `train-64.png`, the training copy); null when absent. */
  putVariant(sha256: string, variant: string, bytes: Buffer): Promise<void>;
  getVariant(sha256: string, variant: string): Promise<Buffer | null>;
}

export { openStore } from './sqlite/db.ts';
export { FileMediaStore } from './media-files.ts';
