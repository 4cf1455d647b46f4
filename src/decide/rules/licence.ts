import { KEEP, drop } from '../../core/types.ts';
import { grantAt } from '../facts.ts';
import type { Rule } from './index.ts';

/**
 * The post's own licence must allow training, or a licence grant (a deal with
 * the rights holder, recorded by the operator) must cover it. A grant is a
 * permission for training by definition, so its licence id need not be listed.
 */
export const licence: Rule = {
  name: 'licence',
  evaluate(f, { policy, now }) {
    if (grantAt(f, now)) return KEEP;
    const l = f.post.licence;
    if (!l) return drop('licence_missing', 'no licence stated, none granted');
    if (!policy.licences.allowed.includes(l)) return drop('licence_not_allowed', `licence ${l}`);
    return KEEP;
  },
};
