/** Writes small platform dumps for tests, with real images made by sharp. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { DumpAccount, DumpEvent, DumpPost } from '../../src/core/dump.ts';

const ART = join(import.meta.dirname, '..', '..', 'node_modules', 'emoji-datasource-google', 'img', 'google', '64');
const ART_FILES = ['1f98a.png', '1f34e.png', '1f697.png', '1f3e0.png', '1f431.png', '1f436.png', '1f33b.png', '1f680.png', '26bd.png', '1f382.png', '1f308.png', '1f41f.png'];

/** A "photo": a real emoji (Noto) at a place and scale that depend on `n`, on a coloured background. */
export async function photo(colour: string, n: number, size = 128): Promise<Buffer> {
  const art = await sharp(join(ART, ART_FILES[n % ART_FILES.length]!)).resize(48 + ((n * 7) % 40)).png().toBuffer();
  const meta = await sharp(art).metadata();
  const room = size - (meta.width ?? 64);
  return sharp({ create: { width: size, height: size, channels: 3, background: colour } })
    .composite([{ input: art, left: (n * 13) % room, top: (n * 23) % room }])
    .png()
    .toBuffer();
}

export async function png(colour: string, size = 96, mark = 0): Promise<Buffer> {
  // A coloured square with a darker block whose place depends on `mark`, so pictures differ in structure.
  const block = await sharp({ create: { width: size / 3, height: size / 3, channels: 3, background: '#222' } }).png().toBuffer();
  return sharp({ create: { width: size, height: size, channels: 3, background: colour } })
    .composite([{ input: block, left: (mark * 17) % (size - size / 3), top: (mark * 29) % (size - size / 3) }])
    .png()
    .toBuffer();
}

export interface DumpSpec {
  platform?: string;
  accounts: (Partial<DumpAccount> & { id: string })[];
  posts: (Partial<DumpPost> & { id: string; accountId: string })[];
  events?: DumpEvent[];
  /** Files under the dump root, by relative path. */
  files?: Record<string, Buffer | string>;
  /** Raw lines appended verbatim to a file (for malformed input). */
  rawLines?: Partial<Record<'accounts.jsonl' | 'posts.jsonl' | 'events.jsonl', string[]>>;
  /** Text appended with no trailing newline (a truncated file). */
  truncatedTail?: Partial<Record<'accounts.jsonl' | 'posts.jsonl' | 'events.jsonl', string>>;
}

export function writeDump(dir: string, spec: DumpSpec): string {
  mkdirSync(join(dir, 'media'), { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 'vitrine-platform-dump', version: 1, platform: spec.platform ?? 'test', exportedAt: '2025-12-01T00:00:00Z' }));
  const lines = (file: 'accounts.jsonl' | 'posts.jsonl' | 'events.jsonl', objs: unknown[]) => {
    const all = [...objs.map((o) => JSON.stringify(o)), ...(spec.rawLines?.[file] ?? [])];
    writeFileSync(join(dir, file), all.map((l) => `${l}\n`).join('') + (spec.truncatedTail?.[file] ?? ''));
  };
  lines('accounts.jsonl', spec.accounts.map((a) => ({ handle: a.id, createdAt: '2020-01-01T00:00:00Z', birthDate: '1990-01-01', language: 'en', ...a })));
  lines('posts.jsonl', spec.posts.map((p) => ({
    createdAt: '2024-03-01T00:00:00Z', visibility: 'public', caption: `post ${p.id}`, language: 'en', licence: 'Apache-2.0',
    media: { path: `media/${p.id}.png` }, ...p,
  })));
  lines('events.jsonl', spec.events ?? []);
  for (const [rel, data] of Object.entries(spec.files ?? {})) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
  return dir;
}
