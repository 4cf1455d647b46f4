import { KEEP, drop } from '../../core/types.ts';
import type { Rule } from './index.ts';

/** A post whose image could not be stored or read safely has nothing to train on. */
export const media: Rule = {
  name: 'media',
  evaluate(f) {
    if (f.post.mediaProblem) return drop('media_unusable', f.post.mediaProblem);
    if (!f.post.mediaSha256 || !f.media) return drop('media_unusable', 'no image');
    return KEEP;
  },
};
