/** Media bytes on the local file system, under DATA/media/ab/cd/<sha256>. */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { MediaStore } from './index.ts';

export class FileMediaStore implements MediaStore {
  constructor(readonly root: string) {}

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`Not a SHA-256 media id: ${sha256}`);
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(sha256: string, bytes: Buffer): Promise<void> {
    const path = this.pathOf(sha256);
    if (await exists(path)) return;
    await writeWhole(path, bytes);
  }

  async putVariant(sha256: string, variant: string, bytes: Buffer): Promise<void> {
    await writeWhole(this.variantPath(sha256, variant), bytes);
  }

  async getVariant(sha256: string, variant: string): Promise<Buffer | null> {
    try {
      return await readFile(this.variantPath(sha256, variant));
    } catch {
      return null;
    }
  }

  private variantPath(sha256: string, variant: string): string {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(variant)) throw new Error(`Bad media variant name: ${variant}`);
    return `${this.pathOf(sha256)}.${variant}`;
  }

  get(sha256: string): Promise<Buffer> {
    return readFile(this.pathOf(sha256));
  }

  has(sha256: string): Promise<boolean> {
    return exists(this.pathOf(sha256));
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

const madeDirs = new Set<string>();

/** Write then rename: a crash leaves either nothing or the whole file, never a torn one. */
async function writeWhole(path: string, bytes: Buffer): Promise<void> {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) {
    await mkdir(dir, { recursive: true });
    madeDirs.add(dir);
  }
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}
