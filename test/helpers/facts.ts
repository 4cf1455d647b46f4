/** Builders for rule tests: a post that passes every rule, and overrides to break exactly one. */
import type { Account, LedgerEvent, LicenceGrant, MediaInfo, Post } from '../../src/core/types.ts';
import type { PostFacts, RuleContext } from '../../src/decide/facts.ts';
import { loadPolicy } from '../../src/decide/policy.ts';

export const NOW = '2026-01-01T00:00:00.000Z';

export function account(over: Partial<Account> = {}): Account {
  return {
    id: 'a1', source: 'test', handle: 'ana', displayName: 'Ana', language: 'fr', createdAt: '2020-01-01T00:00:00.000Z',
    birthDate: '1990-05-05', privateAtCreation: false, ...over,
  };
}

export function media(over: Partial<MediaInfo> = {}): MediaInfo {
  return {
    sha256: 'a'.repeat(64), pixelSha256: 'b'.repeat(64), format: 'png', width: 128, height: 128, bytes: 1000,
    phash: 'c'.repeat(64), phashQuality: 90, dataMining: null, digitalSourceType: null, c2paTraining: null, hasGps: false, thumb: null, ...over,
  };
}

export function post(over: Partial<Post> = {}): Post {
  return {
    id: 'p1', source: 'test', accountId: 'a1', createdAt: '2024-06-01T12:00:00.000Z', visibility: 'public',
    caption: 'un renard sur fond bleu', language: 'fr', captions: {}, altText: 'renard', licence: 'Apache-2.0',
    rightsHolder: 'Google LLC', attribution: null, mediaSha256: 'a'.repeat(64), mediaProblem: null, ...over,
  };
}

let eventSeq = 0;
export function ev<T extends LedgerEvent['type']>(type: T, at: string, fields: Record<string, unknown>): LedgerEvent {
  return { id: `e${++eventSeq}`, at, type, source: 'test', ...fields } as LedgerEvent;
}

export function grant(over: Partial<LicenceGrant> = {}): LicenceGrant {
  return {
    id: 'g1', licence: 'LicenseRef-deal', accountId: null, postId: 'p1', rightsHolder: null, grantedAt: '2025-01-01T00:00:00.000Z',
    note: null, origin: 'cli', ...over,
  };
}

export function facts(over: Partial<PostFacts> = {}): PostFacts {
  return { post: post(), account: account(), media: media(), postEvents: [], accountEvents: [], grants: [], ...over };
}

export function ctx(over: Partial<RuleContext> = {}): RuleContext {
  return { policy: loadPolicy(), now: NOW, ...over };
}
