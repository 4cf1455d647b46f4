import { KEEP, drop } from '../../core/types.ts';
import { accountPrivateAt, visibilityAt } from '../facts.ts';
import type { Rule } from './index.ts';

/**
 * Only what is public now counts as public, and only if it was shared with the
 * public: a post made while its account was private was shared with approved
 * followers only, even if the account opened up later.
 */
export const visibility: Rule = {
  name: 'visibility',
  evaluate(f, { policy, now }) {
    const v = visibilityAt(f, now);
    if (!policy.visibility.allowed.includes(v.visibility)) return drop('not_public', `visibility=${v.visibility} since ${v.since}`);
    const acc = accountPrivateAt(f, now);
    if (acc.private) return drop('account_private', `account private since ${acc.since}`);
    if (policy.visibility.excludePostsMadeWhileAccountPrivate) {
      const then = accountPrivateAt(f, f.post.createdAt);
      if (then.private) return drop('private_when_posted', `account private since ${then.since}, posted ${f.post.createdAt}`);
    }
    return KEEP;
  },
};
