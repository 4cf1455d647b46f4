import type { Migration } from './index.ts';

/** A 32×32 thumbnail per media file, for detecting cropped and shifted copies. */
export const m002_media_thumb: Migration = {
  version: 2,
  name: 'media-thumb',
  sql: `ALTER TABLE media ADD COLUMN thumb BLOB;`,
};
