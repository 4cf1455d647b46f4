/**
 * The datasheet of a snapshot: what is in it, what was kept out and why,
 * under which policy. Deterministic (no clock), so it is part of the id.
 */
import type { ReasonCode } from '../core/reasons.ts';
import type { Policy } from '../decide/policy.ts';
import type { ScrubCounts } from './captions.ts';

export interface DatasheetInput {
  policy: Policy;
  policyVersion: string;
  items: number;
  imageSize: number;
  shards: { name: string; items: number; bytes: number; sha256: string }[];
  tally: {
    licences: Record<string, number>;
    languages: Record<string, number>;
    sources: Record<string, number>;
    withGps: number;
    attributionRequired: number;
  };
  scrub: ScrubCounts;
  decisions: Record<ReasonCode | 'eligible', number>;
}

const sorted = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));

export function buildDatasheet(d: DatasheetInput) {
  return {
    format: 'vitrine-snapshot',
    formatVersion: 1,
    policyVersion: d.policyVersion,
    policy: d.policy,
    items: d.items,
    image: { format: 'png', width: d.imageSize, height: d.imageSize, colour: 'sRGB, alpha flattened on white', metadata: 'none (EXIF, GPS, XMP and ICC removed)' },
    shards: d.shards,
    composition: {
      licences: sorted(d.tally.licences),
      languages: sorted(d.tally.languages),
      sources: sorted(d.tally.sources),
      attributionRequired: d.tally.attributionRequired,
      imagesWhoseOriginalHadGps: d.tally.withGps,
    },
    decisions: d.decisions,
    processing: {
      captions: 'caption, translations and alt text, each with its language; e-mail addresses, phone numbers, @handles and URLs removed',
      removedFromCaptions: d.scrub,
      deduplication: 'exact (decoded pixels) and perceptual (256-bit DCT hash); a copy of an original that may not be used is never used; one image per cluster',
      optOuts: 'objections, deletions, account privacy, visibility changes, minors, AI-made labels, IPTC/PLUS DataMining and C2PA reservations honoured per the policy',
    },
    intendedUse: 'Training text-to-image models of the platform that holds these posts, under the stated licences and attributions.',
  };
}
