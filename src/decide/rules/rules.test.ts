import { describe, expect, it } from 'vitest';
import { account, ctx, ev, facts, grant, media, post } from '../../../test/helpers/facts.ts';
import { evaluatePost, byPriority } from '../evaluate.ts';
import { deletion } from './deletion.ts';
import { visibility } from './visibility.ts';
import { age } from './age.ts';
import { objection } from './objection.ts';
import { media as mediaRule } from './media.ts';
import { aiGenerated } from './ai-generated.ts';
import { reservation } from './reservation.ts';
import { licence } from './licence.ts';
import { RULES } from './index.ts';

const reason = (v: ReturnType<typeof deletion.evaluate>) => (v.keep ? 'keep' : v.reason);

describe('a post that breaks no rule', () => {
  it('is kept by every rule', () => {
    for (const r of RULES) expect(r.evaluate(facts(), ctx()), r.name).toEqual({ keep: true });
    expect(evaluatePost(facts(), ctx())).toEqual([]);
  });
});

describe('deletion', () => {
  it('drops a deleted post: post_deleted', () => {
    expect(reason(deletion.evaluate(facts({ postEvents: [ev('post.deleted', '2025-01-01T00:00:00Z', { postId: 'p1' })] }), ctx()))).toBe('post_deleted');
  });
  it('drops posts of a deleted account: account_deleted', () => {
    expect(reason(deletion.evaluate(facts({ accountEvents: [ev('account.deleted', '2025-01-01T00:00:00Z', { accountId: 'a1' })] }), ctx()))).toBe('account_deleted');
  });
  it('ignores a deletion that has not happened yet at decision time', () => {
    expect(reason(deletion.evaluate(facts({ postEvents: [ev('post.deleted', '2027-01-01T00:00:00Z', { postId: 'p1' })] }), ctx()))).toBe('keep');
  });
});

describe('visibility', () => {
  for (const v of ['unlisted', 'followers', 'direct'] as const)
    it(`drops a ${v} post: not_public`, () => {
      expect(reason(visibility.evaluate(facts({ post: post({ visibility: v }) }), ctx()))).toBe('not_public');
    });
  it('drops a public post later restricted to followers: not_public', () => {
    const f = facts({ postEvents: [ev('post.visibility', '2025-02-01T00:00:00Z', { postId: 'p1', visibility: 'followers' })] });
    expect(reason(visibility.evaluate(f, ctx()))).toBe('not_public');
  });
  it('keeps a followers-only post that its author later made public', () => {
    const f = facts({ post: post({ visibility: 'followers' }), postEvents: [ev('post.visibility', '2025-02-01T00:00:00Z', { postId: 'p1', visibility: 'public' })] });
    expect(reason(visibility.evaluate(f, ctx()))).toBe('keep');
  });
  it('drops posts of an account that is private now: account_private', () => {
    const f = facts({ accountEvents: [ev('account.privacy', '2025-03-01T00:00:00Z', { accountId: 'a1', private: true })] });
    expect(reason(visibility.evaluate(f, ctx()))).toBe('account_private');
  });
  it('drops a post made while the account was private, even once it opened: private_when_posted', () => {
    const f = facts({
      accountEvents: [
        ev('account.privacy', '2024-05-01T00:00:00Z', { accountId: 'a1', private: true }),
        ev('account.privacy', '2024-07-01T00:00:00Z', { accountId: 'a1', private: false }),
      ],
    });
    expect(reason(visibility.evaluate(f, ctx()))).toBe('private_when_posted');
  });
  it('drops a post of an account private since its creation: account_private', () => {
    expect(reason(visibility.evaluate(facts({ account: account({ privateAtCreation: true }) }), ctx()))).toBe('account_private');
  });
});

describe('age', () => {
  it('drops a post by someone under 18 when posting: author_minor', () => {
    expect(reason(age.evaluate(facts({ account: account({ birthDate: '2008-01-01' }) }), ctx()))).toBe('author_minor');
  });
  it('keeps a post by someone who turned 18 the day before', () => {
    expect(reason(age.evaluate(facts({ account: account({ birthDate: '2006-05-31' }) }), ctx()))).toBe('keep');
  });
  it('drops a post by someone turning 18 the day after: author_minor', () => {
    expect(reason(age.evaluate(facts({ account: account({ birthDate: '2006-06-02' }) }), ctx()))).toBe('author_minor');
  });
  it('drops a post whose author has no known age: author_age_unknown', () => {
    expect(reason(age.evaluate(facts({ account: account({ birthDate: null }) }), ctx()))).toBe('author_age_unknown');
  });
  it('uses an age record that arrived later', () => {
    const f = facts({ account: account({ birthDate: null }), accountEvents: [ev('account.age', '2025-01-01T00:00:00Z', { accountId: 'a1', birthDate: '2009-01-01' })] });
    expect(reason(age.evaluate(f, ctx()))).toBe('author_minor');
  });
});

describe('objection', () => {
  it('drops every post of an account that objected, including older posts: objected', () => {
    const f = facts({ accountEvents: [ev('account.objection', '2025-06-01T00:00:00Z', { accountId: 'a1' })] });
    expect(reason(objection.evaluate(f, ctx()))).toBe('objected');
  });
  it('keeps posts once the objection is withdrawn', () => {
    const f = facts({
      accountEvents: [
        ev('account.objection', '2025-06-01T00:00:00Z', { accountId: 'a1' }),
        ev('account.objection-withdrawn', '2025-07-01T00:00:00Z', { accountId: 'a1' }),
      ],
    });
    expect(reason(objection.evaluate(f, ctx()))).toBe('keep');
  });
  it('a new objection after a withdrawal counts again: objected', () => {
    const f = facts({
      accountEvents: [
        ev('account.objection', '2025-06-01T00:00:00Z', { accountId: 'a1' }),
        ev('account.objection-withdrawn', '2025-07-01T00:00:00Z', { accountId: 'a1' }),
        ev('account.objection', '2025-08-01T00:00:00Z', { accountId: 'a1' }),
      ],
    });
    expect(reason(objection.evaluate(f, ctx()))).toBe('objected');
  });
  it('drops a post objected to on its own: objected', () => {
    expect(reason(objection.evaluate(facts({ postEvents: [ev('post.objection', '2025-06-01T00:00:00Z', { postId: 'p1' })] }), ctx()))).toBe('objected');
  });
});

describe('media', () => {
  it('drops a post whose image could not be read: media_unusable', () => {
    expect(reason(mediaRule.evaluate(facts({ post: post({ mediaSha256: null, mediaProblem: 'media_corrupt' }), media: null }), ctx()))).toBe('media_unusable');
  });
  it('drops a post with no image: media_unusable', () => {
    expect(reason(mediaRule.evaluate(facts({ post: post({ mediaSha256: null }), media: null }), ctx()))).toBe('media_unusable');
  });
});

describe('ai-generated', () => {
  it('drops an image labelled trainedAlgorithmicMedia: ai_generated', () => {
    const m = media({ digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia' });
    expect(reason(aiGenerated.evaluate(facts({ media: m }), ctx()))).toBe('ai_generated');
  });
  it('keeps a digital capture', () => {
    const m = media({ digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture' });
    expect(reason(aiGenerated.evaluate(facts({ media: m }), ctx()))).toBe('keep');
  });
});

describe('reservation', () => {
  for (const code of ['DMI-PROHIBITED', 'DMI-PROHIBITED-AIMLTRAINING', 'DMI-PROHIBITED-GENAIMLTRAINING', 'DMI-PROHIBITED-SEECONSTRAINT'])
    it(`drops plus:DataMining=${code}: rights_reserved`, () => {
      expect(reason(reservation.evaluate(facts({ media: media({ dataMining: code }) }), ctx()))).toBe('rights_reserved');
    });
  for (const code of ['DMI-ALLOWED', 'DMI-UNSPECIFIED'])
    it(`keeps plus:DataMining=${code}`, () => {
      expect(reason(reservation.evaluate(facts({ media: media({ dataMining: code }) }), ctx()))).toBe('keep');
    });
  it('drops a C2PA training-mining notAllowed: rights_reserved', () => {
    expect(reason(reservation.evaluate(facts({ media: media({ c2paTraining: 'notAllowed' }) }), ctx()))).toBe('rights_reserved');
  });
});

describe('licence', () => {
  it('drops a post with no licence: licence_missing', () => {
    expect(reason(licence.evaluate(facts({ post: post({ licence: null }) }), ctx()))).toBe('licence_missing');
  });
  it('drops a post whose licence does not allow it: licence_not_allowed', () => {
    expect(reason(licence.evaluate(facts({ post: post({ licence: 'LicenseRef-All-Rights-Reserved' }) }), ctx()))).toBe('licence_not_allowed');
  });
  it('keeps an unlicensed post once a grant covers it', () => {
    expect(reason(licence.evaluate(facts({ post: post({ licence: null }), grants: [grant()] }), ctx()))).toBe('keep');
  });
  it('ignores a grant recorded after the decision time', () => {
    expect(reason(licence.evaluate(facts({ post: post({ licence: null }), grants: [grant({ grantedAt: '2027-01-01T00:00:00Z' })] }), ctx()))).toBe('licence_missing');
  });
});

describe('priority', () => {
  it('gives the privacy reason first when a post breaks several rules', () => {
    const f = facts({ post: post({ visibility: 'direct', licence: null }), account: account({ birthDate: '2010-01-01' }) });
    const drops = byPriority(evaluatePost(f, ctx()));
    expect(drops.map((d) => d.reason)).toEqual(['not_public', 'author_minor', 'licence_missing']);
  });
});
