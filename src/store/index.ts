/**
 * The store, as the rest of vitrine sees it: interfaces only. The embedded
 * default is SQLite (./sqlite/) plus media files on the local disk
 * (./media-files.ts); a PostgreSQL or S3-compatible implementation implements
 * the same interfaces.
 */
import type { Account, Decision, LedgerEvent, LicenceGrant, MediaInfo, Post } from '../core/types.ts';
import type { ReasonCode } from '../core/reasons.ts';
import type { SamplerMethod } from '../imagine/sampler.ts';
import type { Precision } from '../imagine/model.ts';

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
  /** The model the imagine service uses (set by an admin's promotion); null: the committed default. */
  active(): string | null;
  setActive(id: string | null): void;
}

/** People who use the imagine service (not the platform's posting accounts). */
export type Role = 'user' | 'admin';
export interface User {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
}

/** A browser session or an API token; only a hash of its secret is stored. */
export interface Credential {
  id: string;
  userId: string;
  kind: 'session' | 'api';
  name: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface FeedbackTerms {
  accepted: boolean;
  version: string;
  at: string;
}

export interface UsersRepo {
  /** Throws a VitrineError when the name is taken. */
  create(u: User, passwordHash: string): void;
  get(id: string): User | null;
  byName(name: string): (User & { passwordHash: string }) | null;
  list(): User[];
  addCredential(c: Credential, tokenHash: string): void;
  /** The credential with this secret hash and its user, revoked or expired ones included (the caller decides). */
  credential(tokenHash: string): { credential: Credential; user: User } | null;
  touch(credentialId: string, at: string): void;
  /** Returns false when there was no such live credential of this user. */
  revoke(userId: string, credentialId: string, at: string): boolean;
  credentials(userId: string, kind: Credential['kind']): Credential[];
  /** Appends the user's choice; the last one is in force. */
  setFeedbackTerms(userId: string, accepted: boolean, version: string, at: string): void;
  feedbackTerms(userId: string): FeedbackTerms | null;
  /** Users whose choice in force is "accepted": the only ones whose feedback may train a model. */
  contributors(): Set<string>;
}

export type GenerationStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Everything that, with the model, determines the images. */
export interface GenerationSettings {
  seed: number;
  steps: number;
  guidance: number;
  method: SamplerMethod;
  shift: number;
  /** The denoiser that ran; absent on generations made before int8 existed (fp32). */
  precision?: Precision;
  /** Guided steps (the model's at the time); absent: every step. */
  guidanceInterval?: [number, number];
  size: number;
  count: number;
  /** Best-of-n: how many candidates were made to show the best `count` (equal to count: no reranking). */
  candidates: number;
  reward: string | null;
  /** For a variation: how far from the original image's noise (0 = the same image, 1 = unrelated). */
  strength: number | null;
}

export interface GenerationImage {
  index: number;
  /** The display PNG (upscaled, labelled) and the model-size PNG (what training and reward models read). */
  sha256: string;
  nativeSha256: string;
  /** Which of the generation's candidates this is (best-of-n shows `count` of `candidates`); its noise is candidate's. */
  candidate: number;
  /** The reward model's score when candidates were reranked. */
  score: number | null;
}

export interface Generation {
  id: string;
  userId: string;
  prompt: string;
  settings: GenerationSettings;
  modelId: string;
  variationOf: { generation: string; index: number } | null;
  status: GenerationStatus;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  milliseconds: number | null;
  images: GenerationImage[];
}

export const FEEDBACK_KINDS = ['pick', 'reject', 'keep', 'download', 'variation', 'favourite', 'unfavourite'] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

export interface FeedbackEvent {
  id: number;
  userId: string;
  generationId: string;
  index: number;
  kind: FeedbackKind;
  reason: string | null;
  at: string;
}

export interface GenerationsRepo {
  create(g: Generation): void;
  setStatus(id: string, status: GenerationStatus, at: string | null, error?: string | null): void;
  /** Stores the images and marks the generation done, atomically. */
  finish(id: string, images: readonly GenerationImage[], at: string, milliseconds: number): void;
  get(id: string): Generation | null;
  /** The user's generations, newest first, older than `before` (a generation id) when given. */
  history(userId: string, limit: number, before?: string): Generation[];
  /** Generations left queued or running by a process that stopped: marked failed. Returns how many. */
  failUnfinished(at: string): number;
  addFeedback(e: Omit<FeedbackEvent, 'id'>): number;
  feedbackFor(generationId: string): FeedbackEvent[];
  allFeedback(): IterableIterator<FeedbackEvent>;
  /** Returns whether anything changed. */
  setFavourite(userId: string, generationId: string, index: number, on: boolean, at: string): boolean;
  favourites(userId: string): { generationId: string; index: number; at: string }[];
  /** Feedback events per day and kind, oldest first. */
  feedbackVolume(): { day: string; kind: FeedbackKind; count: number }[];
  /** Generations per status. */
  counts(): Record<GenerationStatus, number>;
}

export interface Store {
  readonly corpus: CorpusRepo;
  readonly runs: RunsRepo;
  readonly decisions: DecisionsRepo;
  readonly snapshots: SnapshotsRepo;
  readonly copies: CopiesRepo;
  readonly models: ModelsRepo;
  readonly users: UsersRepo;
  readonly generations: GenerationsRepo;
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
