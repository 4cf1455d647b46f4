import { KEEP, drop } from '../../core/types.ts';
import { objectionAt } from '../facts.ts';
import type { Rule } from './index.ts';

/** An objection covers every post of the account, including those made before it, until withdrawn. */
export const objection: Rule = {
  name: 'objection',
  evaluate(f, { now }) {
    const o = objectionAt(f, now);
    return o ? drop('objected', `${o.scope === 'post' ? 'objection to this post' : 'account objection'} since ${o.since}`) : KEEP;
  },
};
