/**
 * The ingest pipeline: one reader per export format yields items; this stores
 * them. Idempotent (records are keyed by id and skipped when unchanged),
 * incremental (a newer dump's events are added to the ledger), streaming
 * (bounded batches), and crash-safe (each batch is one transaction; media
 * files are written before the rows that point to them).
 */
import { VitrineError } from '../core/errors.ts';
import type { MediaInfo, MediaProblem, Post } from '../core/types.ts';
import type { MediaStore, Store } from '../store/index.ts';
import type { ExportReader, IngestItem } from './item.ts';
import { DEFAULT_MEDIA_LIMITS, MediaError, type MediaLimits } from './media.ts';
import { inlineInspector, workerInspector } from './media-pool.ts';
import { platformDumpReader } from './readers/platform-dump.ts';

/** The name of the training copy beside a media file. */
export const trainingVariant = (size: number) => `train-${size}.png`;

export const READERS: readonly ExportReader[] = [platformDumpReader];

export interface IngestOptions {
  format?: string;
  limits?: MediaLimits;
  /** How many media files are inspected at once. */
  concurrency?: number;
  /** Worker threads for media inspection (default: one per core; 0 or 1: in this thread). */
  workers?: number;
  batchSize?: number;
  /** Also make the training copy (size×size PNG) while the pixels are decoded; the snapshot then only reads it. */
  trainingSize?: number;
  now?: () => string;
  onProgress?: (done: number, total: number) => void;
}

export interface IngestResult {
  runId: number;
  source: string;
  counts: {
    accounts: number; posts: number; events: number; grants: number;
    unchanged: number; issues: number; mediaStored: number;
  };
  issuesByCode: Record<string, number>;
}

async function pickReader(path: string, format?: string): Promise<ExportReader> {
  if (format) {
    const r = READERS.find((x) => x.name === format);
    if (!r) throw new VitrineError(`Unknown export format "${format}"; known: ${READERS.map((x) => x.name).join(', ')}`, 'usage');
    return r;
  }
  for (const r of READERS) if (await r.detect(path)) return r;
  throw new VitrineError(`${path}: not an export vitrine can read (looked for: ${READERS.map((x) => x.name).join(', ')})`, 'ingest');
}

type PostItem = Extract<IngestItem, { kind: 'post' }>;

export async function ingest(store: Store, media: MediaStore, path: string, opts: IngestOptions = {}): Promise<IngestResult> {
  const now = opts.now ?? (() => new Date().toISOString());
  const limits = opts.limits ?? DEFAULT_MEDIA_LIMITS;
  const inspector = opts.workers !== undefined && opts.workers <= 1 ? inlineInspector : workerInspector(opts.workers);
  const concurrency = opts.concurrency ?? 8;
  const batchSize = opts.batchSize ?? 256;
  const reader = await pickReader(path, opts.format);
  const opened = await reader.open(path);
  const runId = store.runs.startIngest(path, now());
  const counts = { accounts: 0, posts: 0, events: 0, grants: 0, unchanged: 0, issues: 0, mediaStored: 0 };
  const issuesByCode: Record<string, number> = {};
  const issue = (item: string, code: string, detail: string) => {
    store.runs.addIssue({ runId, item, code, detail });
    counts.issues += 1;
    issuesByCode[code] = (issuesByCode[code] ?? 0) + 1;
  };

  let batch: IngestItem[] = [];

  /** Inspects and stores the media of the batch's posts (outside the transaction: files first), then writes the rows in one transaction. */
  const flush = async () => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    const posts = items.filter((i): i is PostItem => i.kind === 'post');
    const mediaOf = new Map<PostItem, { info: MediaInfo | null; problem: MediaProblem | null; detail?: string }>();
    let next = 0;
    const worker = async () => {
      while (next < posts.length) {
        const p = posts[next++]!;
        if (!store.corpus.hasAccount(p.post.accountId) && !items.some((i) => i.kind === 'account' && i.account.id === p.post.accountId)) {
          continue; // reported below as unknown_account; no point reading its media
        }
        // Unchanged and stored whole: skip. (A post whose media failed is stored under a marked hash,
        // so it never matches and is retried: the operator may have fixed the file.)
        if (store.corpus.postRecordHash(p.post.id) === p.recordHash) continue;
        if (!p.media) {
          mediaOf.set(p, { info: null, problem: null });
          continue;
        }
        try {
          const bytes = await p.media.read();
          const { training, ...info } = await inspector.inspect(bytes, p.media.describe, limits, { trainingSize: opts.trainingSize });
          await media.put(info.sha256, bytes);
          if (training) await media.putVariant(info.sha256, trainingVariant(opts.trainingSize!), training);
          mediaOf.set(p, { info, problem: null });
        } catch (e) {
          if (!(e instanceof MediaError)) throw e;
          mediaOf.set(p, { info: null, problem: e.problem, detail: e.message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, posts.length || 1) }, worker));

    const ingestedAt = now();
    store.transaction(() => {
      let changed = false;
      const tally = (kind: 'accounts' | 'events' | 'grants', stored: boolean) => {
        if (stored) {
          counts[kind] += 1;
          changed = true;
        } else counts.unchanged += 1;
      };
      for (const it of items) {
        switch (it.kind) {
          case 'issue':
            issue(it.item, it.code, it.detail);
            break;
          case 'account':
            tally('accounts', store.corpus.putAccount(it.account, it.recordHash));
            break;
          case 'event':
            tally('events', store.corpus.putEvent(it.event));
            break;
          case 'grant':
            tally('grants', store.corpus.putGrant(it.grant));
            break;
          case 'post': {
            if (!store.corpus.hasAccount(it.post.accountId)) {
              issue(it.item, 'unknown_account', `account "${it.post.accountId}" is not in accounts.jsonl nor in the store`);
              break;
            }
            const existing = store.corpus.getPost(it.post.id);
            if (existing && existing.source !== it.post.source) {
              issue(it.item, 'id_conflict', `post id "${it.post.id}" already belongs to source "${existing.source}"`);
              break;
            }
            const m = mediaOf.get(it);
            if (!m) {
              counts.unchanged += 1;
              break;
            }
            if (m.problem) issue(it.item, m.problem, m.detail ?? m.problem);
            if (m.info) {
              store.corpus.putMedia(m.info);
              counts.mediaStored += 1;
            }
            // Keep a previously stored good image rather than replace it with a failure.
            if (m.problem && existing && existing.mediaSha256 && !existing.mediaProblem) break;
            const post: Post = { ...it.post, mediaSha256: m.info?.sha256 ?? null, mediaProblem: m.problem };
            if (store.corpus.putPost(post, m.problem ? `${it.recordHash}!media` : it.recordHash, ingestedAt)) {
              counts.posts += 1;
              changed = true;
            }
            break;
          }
        }
      }
      if (changed) store.runs.bumpLedger();
    });
    opts.onProgress?.(opened.bytesRead(), opened.totalBytes);
  };

  try {
    for await (const it of opened.items) {
      batch.push(it);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } catch (e) {
    store.runs.finishIngest(runId, 'failed', opened.source, counts, now());
    throw e;
  } finally {
    await inspector.close();
  }
  store.runs.finishIngest(runId, 'done', opened.source, counts, now());
  return { runId, source: opened.source, counts, issuesByCode };
}
