/**
 * kill -9 in the middle of ingest, decide and snapshot: the store stays
 * consistent, and running the command again finishes the job without
 * duplicates, giving the same result as an uninterrupted run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { png, writeDump } from './helpers/dump.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'vitrine.js');
let dir: string;
let dump: string;

function vitrine(data: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--data', data, '--json', '-q'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vitrine ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Starts a command and kills it with SIGKILL as soon as `ready()` says it is mid-way. */
async function killMidway(data: string, args: string[], ready: () => boolean): Promise<boolean> {
  const child = spawn(process.execPath, [BIN, ...args, '--data', data, '-q'], { stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => (exited = true));
  for (let i = 0; i < 3000 && !exited; i++) {
    await new Promise((r) => setTimeout(r, 5));
    if (ready()) {
      child.kill('SIGKILL');
      break;
    }
  }
  await new Promise((r) => (exited ? r(null) : child.on('exit', r)));
  return child.signalCode === 'SIGKILL';
}

function count(data: string, sql: string): number {
  const file = join(data, 'vitrine.db');
  if (!existsSync(file)) return 0;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(sql).get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // schema not there yet
  }
}

function integrity(data: string): string {
  const db = new Database(join(data, 'vitrine.db'), { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vitrine-crash-'));
  const n = 1200;
  const files: Record<string, Buffer> = {};
  const colours = ['#e33', '#3a3', '#33e', '#ec3', '#3cc', '#c3c', '#888', '#f80'];
  for (let i = 0; i < n; i++) files[`media/p${i}.png`] = await png(colours[i % colours.length]!, 96, i);
  dump = writeDump(join(dir, 'dump'), {
    accounts: Array.from({ length: 40 }, (_, i) => ({ id: `a${i}`, birthDate: i % 9 === 0 ? '2012-01-01' : '1990-01-01' })),
    posts: Array.from({ length: n }, (_, i) => ({ id: `p${i}`, accountId: `a${i % 40}`, visibility: i % 5 === 0 ? 'followers' : 'public' })),
    events: [{ id: 'e1', at: '2025-01-01T00:00:00Z', type: 'account.objection', accountId: 'a3' }],
    files,
  });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kill -9 mid-command', () => {
  it('leaves a consistent store that a re-run completes, equal to an uninterrupted run', async () => {
    const clean = join(dir, 'clean');
    vitrine(clean, 'ingest', dump);
    const cleanDecide = vitrine(clean, 'decide');
    const cleanSnap = vitrine(clean, 'snapshot');

    const data = join(dir, 'killed');
    const killedIngest = await killMidway(data, ['ingest', dump], () => count(data, 'SELECT count(*) n FROM posts') > 100);
    expect(killedIngest).toBe(true);
    expect(integrity(data)).toBe('ok');
    const partial = count(data, 'SELECT count(*) n FROM posts');
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(1200);
    vitrine(data, 'ingest', dump);
    expect(count(data, 'SELECT count(*) n FROM posts')).toBe(1200);
    expect(count(data, 'SELECT count(*) n FROM events')).toBe(1);

    const killedDecide = await killMidway(data, ['decide'], () => count(data, 'SELECT count(*) n FROM decide_runs WHERE finished_at IS NULL') > 0);
    expect(integrity(data)).toBe('ok');
    const decided = vitrine(data, 'decide');
    expect(decided.counts).toEqual(cleanDecide.counts);

    const snaps = join(data, 'snapshots');
    const killedSnap = await killMidway(data, ['snapshot'], () => existsSync(snaps) && readdirSync(snaps).some((n) => n.startsWith('.tmp-')));
    expect(integrity(data)).toBe('ok');
    const snap = vitrine(data, 'snapshot');
    expect(snap.id).toBe(cleanSnap.id);
    expect(snap.items).toBe(cleanSnap.items);
    expect(readdirSync(snaps).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(count(data, 'SELECT count(*) n FROM snapshot_items')).toBe(cleanSnap.items);
    // Each kill really happened mid-way (not after the command had finished).
    expect([killedIngest, killedDecide, killedSnap]).toEqual([true, true, true]);
  }, 240_000);
});
