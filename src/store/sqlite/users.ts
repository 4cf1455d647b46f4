/** Users of the imagine service, their credentials and their feedback-terms choices. */
import type { Statement } from 'better-sqlite3';
import { VitrineError } from '../../core/errors.ts';
import type { Credential, FeedbackTerms, User, UsersRepo } from '../index.ts';
import type { DB } from './db.ts';

interface UserRow { id: string; name: string; role: User['role']; created_at: string; password_hash: string }
interface CredRow { id: string; user_id: string; kind: Credential['kind']; name: string; created_at: string; expires_at: string | null; last_used_at: string | null; revoked_at: string | null }

const toUser = (r: UserRow): User => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at });
const toCred = (r: CredRow): Credential => ({
  id: r.id, userId: r.user_id, kind: r.kind, name: r.name, createdAt: r.created_at, expiresAt: r.expires_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at,
});

export class SqliteUsers implements UsersRepo {
  private s: Record<string, Statement>;
  constructor(db: DB) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insert: p('INSERT INTO users (id, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?)'),
      get: p('SELECT * FROM users WHERE id = ?'),
      byName: p('SELECT * FROM users WHERE name = ?'),
      list: p('SELECT * FROM users ORDER BY created_at, id'),
      addCred: p('INSERT INTO credentials (token_hash, id, user_id, kind, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      cred: p('SELECT c.*, u.name AS u_name, u.role AS u_role, u.created_at AS u_created_at FROM credentials c JOIN users u ON u.id = c.user_id WHERE c.token_hash = ?'),
      touch: p('UPDATE credentials SET last_used_at = ? WHERE id = ?'),
      revoke: p('UPDATE credentials SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL'),
      creds: p('SELECT * FROM credentials WHERE user_id = ? AND kind = ? AND revoked_at IS NULL ORDER BY created_at, id'),
      setTerms: p('INSERT INTO feedback_terms (user_id, at, accepted, terms_version) VALUES (?, ?, ?, ?)'),
      terms: p('SELECT accepted, terms_version, at FROM feedback_terms WHERE user_id = ? ORDER BY seq DESC LIMIT 1'),
      contributors: p(`SELECT user_id FROM feedback_terms f WHERE seq = (SELECT MAX(seq) FROM feedback_terms g WHERE g.user_id = f.user_id) AND accepted = 1`),
    };
  }
  create(u: User, passwordHash: string): void {
    if (this.byName(u.name)) throw new VitrineError(`The user name "${u.name}" is taken`, 'conflict');
    this.s.insert!.run(u.id, u.name, passwordHash, u.role, u.createdAt);
  }
  get(id: string): User | null {
    const r = this.s.get!.get(id) as UserRow | undefined;
    return r ? toUser(r) : null;
  }
  byName(name: string): (User & { passwordHash: string }) | null {
    const r = this.s.byName!.get(name) as UserRow | undefined;
    return r ? { ...toUser(r), passwordHash: r.password_hash } : null;
  }
  list(): User[] {
    return (this.s.list!.all() as UserRow[]).map(toUser);
  }
  addCredential(c: Credential, tokenHash: string): void {
    this.s.addCred!.run(tokenHash, c.id, c.userId, c.kind, c.name, c.createdAt, c.expiresAt);
  }
  credential(tokenHash: string): { credential: Credential; user: User } | null {
    const r = this.s.cred!.get(tokenHash) as (CredRow & { u_name: string; u_role: User['role']; u_created_at: string }) | undefined;
    if (!r) return null;
    return { credential: toCred(r), user: { id: r.user_id, name: r.u_name, role: r.u_role, createdAt: r.u_created_at } };
  }
  touch(credentialId: string, at: string): void {
    this.s.touch!.run(at, credentialId);
  }
  revoke(userId: string, credentialId: string, at: string): boolean {
    return this.s.revoke!.run(at, credentialId, userId).changes === 1;
  }
  credentials(userId: string, kind: Credential['kind']): Credential[] {
    return (this.s.creds!.all(userId, kind) as CredRow[]).map(toCred);
  }
  setFeedbackTerms(userId: string, accepted: boolean, version: string, at: string): void {
    this.s.setTerms!.run(userId, at, accepted ? 1 : 0, version);
  }
  feedbackTerms(userId: string): FeedbackTerms | null {
    const r = this.s.terms!.get(userId) as { accepted: number; terms_version: string; at: string } | undefined;
    return r ? { accepted: r.accepted === 1, version: r.terms_version, at: r.at } : null;
  }
  contributors(): Set<string> {
    return new Set((this.s.contributors!.all() as { user_id: string }[]).map((r) => r.user_id));
  }
}
