/**
 * The declarative, versioned policy. Defaults are the safe ones: only public
 * counts as public, unclear licences are excluded, adults of known age only,
 * AI-made and reserved content excluded. Objections and deletions are always
 * honoured: they are not switches in the policy.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VISIBILITIES, type Visibility } from '../core/dump.ts';
import { VitrineError } from '../core/errors.ts';

export interface Policy {
  name: string;
  version: number;
  visibility: { allowed: Visibility[]; excludePostsMadeWhileAccountPrivate: boolean };
  age: { minimum: number; requireKnownAge: boolean };
  licences: { allowed: string[]; attributionRequired: string[] };
  content: { excludeAiGenerated: boolean; honourReservations: boolean };
  /** Perceptual-hash Hamming threshold (of 256 bits) and the minimum hash quality to trust a match. */
  /**
   * Copies: perceptual-hash Hamming threshold (of 256 bits), the minimum hash quality to trust a
   * hash match, and the largest mean colour difference (0..255) between a picture and the aligned
   * crop of another for the two to count as one picture (src/decide/copy-match.ts).
   */
  dedup: { threshold: number; minQuality: number; maxAlignedDifference: number };
  snapshot: { imageSize: number; shardSize: number };
}

export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('../../policies/default.json', import.meta.url));

/** `name@version+hash`: the hash makes an edited file without a version bump still distinguishable. */
export function policyVersion(p: Policy): string {
  const hash = createHash('sha256').update(canonicalJson(p)).digest('hex').slice(0, 12);
  return `${p.name}@${p.version}+${hash}`;
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function loadPolicy(path: string = DEFAULT_POLICY_PATH): Policy {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new VitrineError(`Policy ${path}: cannot be read as JSON (${(e as Error).message})`, 'policy');
  }
  return parsePolicy(raw, path);
}

/** Validates every field; an unknown or missing field is an error naming it, never a silent default. */
export function parsePolicy(raw: unknown, where = 'policy'): Policy {
  const fail = (field: string, why: string): never => {
    throw new VitrineError(`Policy ${where}: ${field} ${why}`, 'policy');
  };
  const obj = (v: unknown, field: string): Record<string, unknown> =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(field, 'must be an object');
  const bool = (v: unknown, field: string): boolean => (typeof v === 'boolean' ? v : fail(field, 'must be true or false'));
  const int = (v: unknown, field: string, min: number, max: number): number =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? (v as number)
      : fail(field, `must be a whole number from ${min} to ${max}`);
  const num = (v: unknown, field: string, min: number, max: number): number =>
    typeof v === 'number' && v >= min && v <= max ? v : fail(field, `must be a number from ${min} to ${max}`);
  const strings = (v: unknown, field: string): string[] =>
    Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0)
      ? (v as string[])
      : fail(field, 'must be a list of non-empty strings');
  const known = (o: Record<string, unknown>, field: string, keys: string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${field ? field + '.' : ''}${k}`, 'is not a known setting');
    for (const k of keys) if (!(k in o)) fail(`${field ? field + '.' : ''}${k}`, 'is missing');
  };

  const r = obj(raw, 'the policy');
  known(r, '', ['name', 'version', 'visibility', 'age', 'licences', 'content', 'dedup', 'snapshot']);
  const name = typeof r.name === 'string' && /^[a-z0-9][a-z0-9._-]*$/i.test(r.name) ? r.name : fail('name', 'must be a short identifier');
  const vis = obj(r.visibility, 'visibility');
  known(vis, 'visibility', ['allowed', 'excludePostsMadeWhileAccountPrivate']);
  const allowed = strings(vis.allowed, 'visibility.allowed');
  for (const v of allowed)
    if (!(VISIBILITIES as readonly string[]).includes(v)) fail('visibility.allowed', `has unknown visibility "${v}"`);
  const age = obj(r.age, 'age');
  known(age, 'age', ['minimum', 'requireKnownAge']);
  const lic = obj(r.licences, 'licences');
  known(lic, 'licences', ['allowed', 'attributionRequired']);
  const content = obj(r.content, 'content');
  known(content, 'content', ['excludeAiGenerated', 'honourReservations']);
  const dedup = obj(r.dedup, 'dedup');
  known(dedup, 'dedup', ['threshold', 'minQuality', 'maxAlignedDifference']);
  const snap = obj(r.snapshot, 'snapshot');
  known(snap, 'snapshot', ['imageSize', 'shardSize']);

  return {
    name,
    version: int(r.version, 'version', 1, 1_000_000),
    visibility: {
      allowed: allowed as Visibility[],
      excludePostsMadeWhileAccountPrivate: bool(vis.excludePostsMadeWhileAccountPrivate, 'visibility.excludePostsMadeWhileAccountPrivate'),
    },
    age: { minimum: int(age.minimum, 'age.minimum', 13, 99), requireKnownAge: bool(age.requireKnownAge, 'age.requireKnownAge') },
    licences: {
      allowed: strings(lic.allowed, 'licences.allowed'),
      attributionRequired: strings(lic.attributionRequired, 'licences.attributionRequired'),
    },
    content: {
      excludeAiGenerated: bool(content.excludeAiGenerated, 'content.excludeAiGenerated'),
      honourReservations: bool(content.honourReservations, 'content.honourReservations'),
    },
    dedup: {
      threshold: int(dedup.threshold, 'dedup.threshold', 0, 128),
      minQuality: int(dedup.minQuality, 'dedup.minQuality', 0, 100),
      maxAlignedDifference: num(dedup.maxAlignedDifference, 'dedup.maxAlignedDifference', 0, 64),
    },
    snapshot: {
      imageSize: int(snap.imageSize, 'snapshot.imageSize', 16, 1024),
      shardSize: int(snap.shardSize, 'snapshot.shardSize', 1, 1_000_000),
    },
  };
}
