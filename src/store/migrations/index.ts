/**
 * Versioned schema migrations. Each entry runs once, inside a transaction,
 * and bumps `PRAGMA user_version`; never edit a released migration, add one.
 */
import { m001_initial } from './001-initial.ts';
import { m002_media_thumb } from './002-media-thumb.ts';
import { m003_copy_pairs } from './003-copy-pairs.ts';
import { m004_models } from './004-models.ts';
import { m005_service } from './005-service.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [m001_initial, m002_media_thumb, m003_copy_pairs, m004_models, m005_service];
