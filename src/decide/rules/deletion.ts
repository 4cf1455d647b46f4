import { KEEP, drop } from '../../core/types.ts';
import { deletedAt } from '../facts.ts';
import type { Rule } from './index.ts';

/** Deleted posts and posts of deleted accounts are never used, whenever they were deleted. */
export const deletion: Rule = {
  name: 'deletion',
  evaluate(f, { now }) {
    const d = deletedAt(f, now);
    if (!d) return KEEP;
    return d.scope === 'post' ? drop('post_deleted', `post deleted at ${d.since}`) : drop('account_deleted', `account deleted at ${d.since}`);
  },
};
