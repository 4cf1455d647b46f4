/**
 * Versioned schema migrations. Each entry runs once, inside a transaction,
 * and bumps `PRAGMA user_version`; never edit a released migration, add one.
 */
import { m001_initial } from './001-initial.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [m001_initial];
