/** Reading one media file of an export without ever leaving the export's folder. */
import { readFile, stat } from 'node:fs/promises';
import { MediaError, resolveInside, DEFAULT_MEDIA_LIMITS } from './media.ts';

export async function readMediaFile(root: string, rel: string, maxBytes = DEFAULT_MEDIA_LIMITS.maxBytes): Promise<Buffer> {
  const path = resolveInside(root, rel); // throws media_path_escape
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new MediaError('media_missing', rel, 'it is not a regular file');
    size = s.size;
  } catch (e) {
    if (e instanceof MediaError) throw e;
    throw new MediaError('media_missing', rel, 'the file does not exist in the export');
  }
  if (size === 0) throw new MediaError('media_empty', rel, 'the file is empty (0 bytes)');
  if (size > maxBytes) throw new MediaError('media_too_large', rel, `the file is ${size} bytes, above the ${maxBytes}-byte limit`);
  return readFile(path);
}
