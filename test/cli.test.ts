/**
 * The command-line interface that scripts rely on, end to end, as a user
 * runs it: demo → ingest → decide → snapshot → explain, then a newer dump
 * with an objection and a deletion → withdrawals and snapshot diff, and a
 * licence grant that flips the unlicensed posts of a rights holder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', 'bin', 'vitrine.js');
let dir: string;
let data: string;

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
}
function json(args: string[]) {
  const r = run([...args, '--data', data, '--json']);
  if (r.status !== 0) throw new Error(`vitrine ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vitrine-cli-'));
  data = join(dir, 'data');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vitrine CLI', () => {
  let demoPath: string;
  let canaries: { postId: string; token: string }[];
  let first: { id: string; path: string; items: number };

  it('prints help for every command, and a clear error for bad usage', () => {
    const top = run(['--help']);
    expect(top.status).toBe(0);
    for (const c of ['demo', 'ingest', 'decide', 'snapshot', 'explain', 'withdrawals', 'licence']) {
      expect(top.stdout).toContain(c);
      const h = run([c, '--help']);
      expect(h.status, c).toBe(0);
      expect(h.stdout).toContain(`vitrine ${c}`);
    }
    const bad = run(['demo', '--posts', 'many', '--data', data]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--posts must be a whole number/);
    const unknown = run(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('demo --json gives the path and the canaries', () => {
    const r = json(['demo', '--accounts', '40', '--posts', '400', '--seed', '5', '--out', join(dir, 'demo')]);
    expect(r.path).toBe(join(dir, 'demo'));
    expect(r.canaries.length).toBeGreaterThan(0);
    for (const c of r.canaries) expect(Object.keys(c).sort()).toEqual(['postId', 'token']);
    demoPath = r.path;
    canaries = r.canaries;
  }, 120_000);

  it('ingest, decide and snapshot give the documented JSON', () => {
    const ing = json(['ingest', demoPath]);
    expect(ing.counts.posts).toBe(400);
    const dec = json(['decide']);
    expect(dec.counts.eligible).toBeGreaterThan(0);
    expect(dec.posts).toBe(400);
    first = json(['snapshot']);
    expect(first.id).toMatch(/^snap-[0-9a-f]{20}$/);
    expect(first.items).toBe(dec.counts.eligible);
    for (const f of ['manifest.jsonl', 'datasheet.json', 'attributions.jsonl']) expect(existsSync(join(first.path, f)), f).toBe(true);
    expect(readdirSync(first.path).some((f) => f.endsWith('.tar'))).toBe(true);
    const manifest = readFileSync(join(first.path, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(manifest).toHaveLength(first.items);
    expect(manifest[0].postId).toBeTypeOf('string');
    // Same inputs, same policy: same id.
    expect(json(['snapshot']).id).toBe(first.id);
  }, 120_000);

  it('explain says why, in words and codes', () => {
    const e = json(['explain', canaries[0]!.postId]);
    expect(e.postId).toBe(canaries[0]!.postId);
    expect(e.eligible).toBe(false);
    expect(e.reasons[0].code).toMatch(/not_public|account_private|private_when_posted/);
    const text = run(['explain', canaries[0]!.postId, '--data', data]);
    expect(text.stdout).toMatch(/NOT used for training/);
    const missing = run(['explain', 'no-such-post', '--data', data]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/No post "no-such-post"/);
  });

  it('a newer dump with an objection and a deletion marks the snapshot, and diff says why', () => {
    const manifest = readFileSync(join(first.path, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const posts = readFileSync(join(demoPath, 'posts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const inSnap = manifest.map((m: { postId: string }) => m.postId);
    const deleted = inSnap[0]!;
    const objector = posts.find((p: { id: string }) => p.id === inSnap[1])!.accountId;
    const newer = join(dir, 'demo-newer');
    cpSync(demoPath, newer, { recursive: true });
    appendFileSync(join(newer, 'events.jsonl'), `${JSON.stringify({ id: 'later-1', at: '2026-01-02T00:00:00Z', type: 'post.deleted', postId: deleted })}\n`);
    appendFileSync(join(newer, 'events.jsonl'), `${JSON.stringify({ id: 'later-2', at: '2026-01-03T00:00:00Z', type: 'account.objection', accountId: objector })}\n`);
    const ing = json(['ingest', newer]);
    expect(ing.counts).toMatchObject({ posts: 0, events: 2 });

    const w = json(['withdrawals']);
    const mine = w.find((x: { snapshotId: string }) => x.snapshotId === first.id);
    expect(mine.withdrawn).toBeGreaterThanOrEqual(2);
    expect(mine.byReason.post_deleted).toBe(1);
    expect(mine.byReason.objected).toBeGreaterThanOrEqual(1);

    const second = json(['snapshot']);
    expect(second.id).not.toBe(first.id);
    const diff = json(['snapshot', 'diff', first.id, second.id]);
    expect(diff.left.find((l: { postId: string }) => l.postId === deleted).reason).toBe('post_deleted');
    expect(diff.leftByReason.objected).toBeGreaterThanOrEqual(1);
    expect(json(['explain', deleted]).withdrawnFrom[0].snapshotId).toBe(first.id);
  }, 120_000);

  it('a licence grant by rights holder flips the unlicensed posts on the next decision', () => {
    const before = json(['decide']);
    const missing = before.counts.licence_missing;
    const posts = readFileSync(join(demoPath, 'posts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const holder = posts.find((p: { licence: string | null; rightsHolder: string | null }) => p.licence === null && p.rightsHolder)?.rightsHolder;
    expect(holder).toBeTruthy();
    const g = json(['licence', 'grant', '--licence', 'LicenseRef-demo-deal', '--holder', holder]);
    expect(g.id).toMatch(/^grant-/);
    const after = json(['decide']);
    expect(after.counts.licence_missing).toBeLessThan(missing);
    expect(after.counts.eligible).toBeGreaterThan(before.counts.eligible);
  }, 120_000);

  it('VITRINE_DATA chooses the data folder', () => {
    const r = run(['decide', '--json'], { VITRINE_DATA: data });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).posts).toBe(400);
  });
});
