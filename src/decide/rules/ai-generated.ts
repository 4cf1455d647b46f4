import { KEEP, drop } from '../../core/types.ts';
import { AI_GENERATED_SOURCE_TYPES } from '../../ingest/media.ts';
import type { Rule } from './index.ts';

/** Images labelled as AI-made (IPTC DigitalSourceType): training on model outputs degrades models. */
export const aiGenerated: Rule = {
  name: 'ai-generated',
  evaluate(f, { policy }) {
    const t = f.media?.digitalSourceType;
    if (policy.content.excludeAiGenerated && t && AI_GENERATED_SOURCE_TYPES.has(t)) return drop('ai_generated', `DigitalSourceType=${t}`);
    return KEEP;
  },
};
