import { KEEP, drop } from '../../core/types.ts';
import { ageAt, birthDateAt } from '../facts.ts';
import type { Rule } from './index.ts';

/** Adults only: the author's age when posting, from the latest age record known now. */
export const age: Rule = {
  name: 'age',
  evaluate(f, { policy, now }) {
    const birth = birthDateAt(f, now);
    if (!birth) return policy.age.requireKnownAge ? drop('author_age_unknown', 'no birth date on record') : KEEP;
    const years = ageAt(birth, f.post.createdAt);
    return years < policy.age.minimum ? drop('author_minor', `aged ${years} when posting (minimum ${policy.age.minimum})`) : KEEP;
  },
};
