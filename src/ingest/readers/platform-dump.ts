/**
 * Reader for the vitrine platform dump (docs/formats/platform-dump.md):
 * manifest.json, accounts.jsonl, posts.jsonl, events.jsonl and media/.
 * Every line is validated; a bad line becomes an issue naming file, line and
 * field, and reading goes on.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DUMP_EVENT_TYPES, DUMP_FORMAT, DUMP_VERSION, VISIBILITIES, type DumpEvent, type DumpManifest } from '../../core/dump.ts';
import { VitrineError } from '../../core/errors.ts';
import type { LedgerEvent } from '../../core/types.ts';
import { readMediaInside } from '../media.ts';
import type { ExportReader, IngestItem, OpenedExport } from '../item.ts';
import { readJsonLines } from '../jsonl.ts';

const FILES = ['accounts.jsonl', 'posts.jsonl', 'events.jsonl'] as const;

class Invalid extends Error {}

type Obj = Record<string, unknown>;
const str = (o: Obj, k: string, max = 10_000): string => {
  const v = o[k];
  if (typeof v !== 'string' || v.length === 0) throw new Invalid(`field "${k}" must be a non-empty string`);
  if (v.length > max) throw new Invalid(`field "${k}" is longer than ${max} characters`);
  return v;
};
const optStr = (o: Obj, k: string, max = 10_000): string | null => {
  const v = o[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Invalid(`field "${k}" must be a string or null`);
  if (v.length > max) throw new Invalid(`field "${k}" is longer than ${max} characters`);
  return v;
};
const id = (o: Obj, k: string): string => {
  const v = str(o, k, 200);
  if (/[\u0000-\u001f]/.test(v)) throw new Invalid(`field "${k}" contains control characters`);
  return v;
};
const time = (o: Obj, k: string): string => {
  const v = str(o, k, 64);
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new Invalid(`field "${k}" is not a date-time: "${v}"`);
  return d.toISOString();
};
const date = (o: Obj, k: string): string | null => {
  const v = optStr(o, k, 32);
  if (v === null) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(new Date(`${v}T00:00:00Z`).getTime()))
    throw new Invalid(`field "${k}" must be a date YYYY-MM-DD: "${v}"`);
  return v;
};
const visibility = (o: Obj, k: string) => {
  const v = o[k];
  if (!(VISIBILITIES as readonly unknown[]).includes(v)) throw new Invalid(`field "${k}" must be one of ${VISIBILITIES.join(', ')}`);
  return v as (typeof VISIBILITIES)[number];
};
const object = (v: unknown): Obj => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Invalid('the line is not a JSON object');
  return v as Obj;
};

export const hashRecord = (raw: string) => createHash('sha256').update(raw).digest('hex');

async function readManifest(root: string): Promise<DumpManifest> {
  const path = join(root, 'manifest.json');
  let m: Obj;
  try {
    m = object(JSON.parse(await readFile(path, 'utf8')));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read (${(e as Error).message})`;
    throw new VitrineError(`${path} ${why}: ${root} is not a vitrine platform dump`, 'ingest');
  }
  if (m.format !== DUMP_FORMAT) throw new VitrineError(`${path}: format is "${String(m.format)}", expected "${DUMP_FORMAT}"`, 'ingest');
  if (typeof m.version !== 'number' || m.version > DUMP_VERSION || m.version < 1)
    throw new VitrineError(`${path}: version ${String(m.version)} is not supported (this vitrine reads version ${DUMP_VERSION})`, 'ingest');
  try {
    return { format: DUMP_FORMAT, version: m.version, platform: id(m, 'platform'), exportedAt: time(m, 'exportedAt') };
  } catch (e) {
    throw new VitrineError(`${path}: ${(e as Error).message}`, 'ingest');
  }
}

function parseEvent(o: Obj, source: string): LedgerEvent {
  const type = o.type;
  if (!(DUMP_EVENT_TYPES as readonly unknown[]).includes(type)) throw new Invalid(`unknown event type "${String(type)}"`);
  const base = { id: id(o, 'id'), at: time(o, 'at'), source };
  let e: DumpEvent;
  switch (type as DumpEvent['type']) {
    case 'post.visibility':
      e = { ...base, type: 'post.visibility', postId: id(o, 'postId'), visibility: visibility(o, 'visibility') };
      break;
    case 'post.deleted':
    case 'post.objection':
      e = { ...base, type: type as 'post.deleted', postId: id(o, 'postId') };
      break;
    case 'account.privacy':
      if (typeof o.private !== 'boolean') throw new Invalid('field "private" must be true or false');
      e = { ...base, type: 'account.privacy', accountId: id(o, 'accountId'), private: o.private };
      break;
    case 'account.deleted':
    case 'account.objection':
    case 'account.objection-withdrawn':
      e = { ...base, type: type as 'account.deleted', accountId: id(o, 'accountId') };
      break;
    case 'account.age': {
      const birthDate = date(o, 'birthDate');
      if (!birthDate) throw new Invalid('field "birthDate" is required');
      e = { ...base, type: 'account.age', accountId: id(o, 'accountId'), birthDate };
      break;
    }
    case 'licence.grant': {
      const scopes = ['accountId', 'postId', 'rightsHolder'].filter((k) => o[k] !== undefined && o[k] !== null);
      if (scopes.length !== 1) throw new Invalid('a licence.grant needs exactly one of accountId, postId, rightsHolder');
      e = {
        ...base, type: 'licence.grant', licence: str(o, 'licence', 200),
        ...(o.accountId != null ? { accountId: id(o, 'accountId') } : {}),
        ...(o.postId != null ? { postId: id(o, 'postId') } : {}),
        ...(o.rightsHolder != null ? { rightsHolder: str(o, 'rightsHolder', 500) } : {}),
        ...(optStr(o, 'note') ? { note: optStr(o, 'note')! } : {}),
      };
      break;
    }
  }
  return { ...e, source } as LedgerEvent;
}

export const platformDumpReader: ExportReader = {
  name: 'platform-dump',

  async detect(path) {
    try {
      return (await stat(join(path, 'manifest.json'))).isFile();
    } catch {
      return false;
    }
  },

  async open(root): Promise<OpenedExport> {
    const manifest = await readManifest(root);
    const source = manifest.platform;
    let totalBytes = 0;
    for (const f of FILES) {
      try {
        totalBytes += (await stat(join(root, f))).size;
      } catch {
        if (f !== 'events.jsonl') throw new VitrineError(`${join(root, f)} is missing from the platform dump`, 'ingest');
      }
    }
    let read = 0;
    const onBytes = (n: number) => (read += n);

    async function* items(): AsyncGenerator<IngestItem> {
      for (const file of FILES) {
        const path = join(root, file);
        try {
          await stat(path);
        } catch {
          continue; // events.jsonl is optional: a first dump may have no events.
        }
        for await (const line of readJsonLines(path, onBytes)) {
          const item = `${file}:${line.lineNo}`;
          if (!line.ok) {
            yield { kind: 'issue', item, code: line.code, detail: line.detail };
            continue;
          }
          try {
            const o = object(line.value);
            if (file === 'accounts.jsonl') {
              yield {
                kind: 'account', item: `${item} (account ${String(o.id)})`, recordHash: hashRecord(line.raw),
                account: {
                  id: id(o, 'id'), source, handle: str(o, 'handle', 200), displayName: optStr(o, 'displayName', 500),
                  language: optStr(o, 'language', 35), createdAt: time(o, 'createdAt'), birthDate: date(o, 'birthDate'),
                  privateAtCreation: o.private === true,
                },
              };
            } else if (file === 'posts.jsonl') {
              const m = o.media;
              let media = null;
              if (m !== null && m !== undefined) {
                const rel = str(object(m), 'path', 1000);
                media = {
                  describe: rel,
                  read: async () => readMediaInside(root, rel),
                };
              }
              const captions = o.captions === undefined || o.captions === null ? {} : object(o.captions);
              for (const [k, v] of Object.entries(captions))
                if (typeof v !== 'string') throw new Invalid(`captions.${k} must be a string`);
              yield {
                kind: 'post', item: `${item} (post ${String(o.id)})`, recordHash: hashRecord(line.raw), media,
                post: {
                  id: id(o, 'id'), source, accountId: id(o, 'accountId'), createdAt: time(o, 'createdAt'),
                  visibility: visibility(o, 'visibility'), caption: typeof o.caption === 'string' ? o.caption : str(o, 'caption'),
                  language: optStr(o, 'language', 35), captions: captions as Record<string, string>, altText: optStr(o, 'altText'),
                  licence: optStr(o, 'licence', 200), rightsHolder: optStr(o, 'rightsHolder', 500), attribution: optStr(o, 'attribution', 2000),
                },
              };
            } else {
              const event = parseEvent(o, source);
              if (event.type === 'licence.grant') {
                yield {
                  kind: 'grant', item: `${item} (event ${event.id})`,
                  grant: {
                    id: event.id, licence: event.licence, accountId: event.accountId ?? null, postId: event.postId ?? null,
                    rightsHolder: event.rightsHolder ?? null, grantedAt: event.at, note: event.note ?? null, origin: 'dump',
                  },
                };
              } else yield { kind: 'event', item: `${item} (event ${event.id})`, event };
            }
          } catch (e) {
            if (!(e instanceof Invalid)) throw e;
            const code = e.message.startsWith('unknown event type') ? 'unknown_event_type' : 'invalid_record';
            yield { kind: 'issue', item, code, detail: e.message };
          }
        }
      }
    }
    return { source, totalBytes, bytesRead: () => read, items: items() };
  },
};
