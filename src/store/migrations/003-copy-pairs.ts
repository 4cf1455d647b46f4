import type { Migration } from './index.ts';

/**
 * Cropped-copy pairs between media files, found once and kept: finding them is
 * the costliest part of deciding, and they depend only on the pictures and the
 * detector's settings, so a later decision only looks at media that are new.
 */
export const m003_copy_pairs: Migration = {
  version: 3,
  name: 'copy-pairs',
  sql: `
CREATE TABLE copy_pairs (
  a TEXT NOT NULL,
  b TEXT NOT NULL,
  PRIMARY KEY (a, b)
);
`,
};
