/** Runs every rule on one post's facts: all drops, primary first. Pure. */
import { REASON_CODES, type ReasonCode } from '../core/reasons.ts';
import type { PostFacts, RuleContext } from './facts.ts';
import { RULES } from './rules/index.ts';

export interface RuleDrop {
  reason: ReasonCode;
  rule: string;
  signal: string;
}

export function evaluatePost(f: PostFacts, ctx: RuleContext): RuleDrop[] {
  const drops: RuleDrop[] = [];
  for (const rule of RULES) {
    const v = rule.evaluate(f, ctx);
    if (!v.keep) drops.push({ reason: v.reason, rule: rule.name, signal: v.signal });
  }
  return drops;
}

const RANK = new Map<ReasonCode, number>(REASON_CODES.map((c, i) => [c, i]));

/** Sorts drops by the priority of their reason codes, so the first is the primary reason. */
export function byPriority(drops: RuleDrop[]): RuleDrop[] {
  return drops.sort((a, b) => RANK.get(a.reason)! - RANK.get(b.reason)!);
}
