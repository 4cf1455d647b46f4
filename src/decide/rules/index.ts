/**
 * The rules, in priority order. Each is a pure function of the facts about one
 * post and the context; the first drop is the post's primary reason.
 */
import type { Verdict } from '../../core/types.ts';
import type { PostFacts, RuleContext } from '../facts.ts';
import { deletion } from './deletion.ts';
import { visibility } from './visibility.ts';
import { age } from './age.ts';
import { objection } from './objection.ts';
import { media } from './media.ts';
import { aiGenerated } from './ai-generated.ts';
import { reservation } from './reservation.ts';
import { licence } from './licence.ts';

export interface Rule {
  name: string;
  evaluate(f: PostFacts, ctx: RuleContext): Verdict;
}

export const RULES: readonly Rule[] = [deletion, visibility, age, objection, media, aiGenerated, reservation, licence];
