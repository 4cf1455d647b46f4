/**
 * Local accounts for the imagine service: passwords hashed with scrypt (Node's
 * own, memory-hard, salted), browser sessions and API tokens as random secrets
 * of which only a SHA-256 is stored, so a copy of the database opens nothing.
 */
import { createHash, randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { VitrineError } from '../core/errors.ts';
import type { Credential, Role, Store, User } from '../store/index.ts';

const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_LENGTH = 32;
export const SESSION_DAYS = 30;
export const FEEDBACK_TERMS_VERSION = 'feedback-terms-1';

function scrypt(password: string, salt: Buffer, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, KEY_LENGTH, o, (e, k) => (e ? reject(e) : resolve(k))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return got.length === want.length && timingSafeEqual(got, want);
}

export const tokenHash = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** A name people log in with: letters, digits, dot, dash, underscore; 2 to 40 characters. */
export function checkUserName(name: string): void {
  if (!/^[\p{L}\p{N}._-]{2,40}$/u.test(name)) throw new VitrineError(`"${name}" is not a valid user name: use 2 to 40 letters, digits, dots, dashes or underscores`, 'validation');
}

export function checkPassword(password: string): void {
  if (password.length < 8) throw new VitrineError('The password is too short: use at least 8 characters', 'validation');
  if (password.length > 200) throw new VitrineError('The password is too long: use at most 200 characters', 'validation');
}

export async function createUser(store: Store, name: string, password: string, role: Role = 'user', now = new Date()): Promise<User> {
  checkUserName(name);
  checkPassword(password);
  const user: User = { id: `usr-${randomUUID()}`, name, role, createdAt: now.toISOString() };
  store.users.create(user, await hashPassword(password));
  return user;
}

/** A dummy hash so a login for an unknown name takes as long as one for a known name. */
let dummy: Promise<string> | null = null;

/** Checks a name and password; null when either is wrong (the caller does not say which). */
export async function checkLogin(store: Store, name: string, password: string): Promise<User | null> {
  const u = store.users.byName(name);
  if (!u) {
    dummy ??= hashPassword('not a password');
    await verifyPassword(password, await dummy);
    return null;
  }
  if (!(await verifyPassword(password, u.passwordHash))) return null;
  return { id: u.id, name: u.name, role: u.role, createdAt: u.createdAt };
}

/** A new credential; the secret is returned once and never stored. */
export function issueCredential(store: Store, userId: string, kind: Credential['kind'], name: string, now = new Date()): { credential: Credential; secret: string } {
  const secret = `${kind === 'api' ? 'vtk' : 'vts'}_${randomBytes(24).toString('base64url')}`;
  const credential: Credential = {
    id: `${kind === 'api' ? 'tok' : 'ses'}-${randomBytes(8).toString('hex')}`,
    userId,
    kind,
    name,
    createdAt: now.toISOString(),
    expiresAt: kind === 'session' ? new Date(now.getTime() + SESSION_DAYS * 86400_000).toISOString() : null,
    lastUsedAt: null,
    revokedAt: null,
  };
  store.users.addCredential(credential, tokenHash(secret));
  return { credential, secret };
}

/** The user a secret belongs to, when it is live (not revoked, not expired). */
export function authenticate(store: Store, secret: string, now = new Date()): { user: User; credential: Credential } | null {
  const found = store.users.credential(tokenHash(secret));
  if (!found) return null;
  const c = found.credential;
  if (c.revokedAt || (c.expiresAt && c.expiresAt <= now.toISOString())) return null;
  // Last use is kept to the minute: enough to show "last used", without a write per request.
  const minute = now.toISOString().slice(0, 16);
  if (c.lastUsedAt?.slice(0, 16) !== minute) store.users.touch(c.id, now.toISOString());
  return found;
}
