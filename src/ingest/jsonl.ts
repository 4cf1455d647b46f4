/** Streams a JSON-lines file: one parsed value or one precise problem per line, in flat memory. */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export type JsonLine =
  | { ok: true; lineNo: number; value: unknown; raw: string }
  | { ok: false; lineNo: number; code: 'malformed_json' | 'truncated_line'; detail: string };

export async function* readJsonLines(path: string, onBytes?: (n: number) => void): AsyncGenerator<JsonLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lineNo = 0;
  const parse = (raw: string, complete: boolean): JsonLine | null => {
    lineNo += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return null;
    try {
      return { ok: true, lineNo, value: JSON.parse(text), raw: text };
    } catch (e) {
      // A last line with no newline that does not parse is a file cut short (a copy interrupted, a full disk).
      if (!complete) return { ok: false, lineNo, code: 'truncated_line', detail: `the file ends in the middle of a record (${text.length} characters)` };
      return { ok: false, lineNo, code: 'malformed_json', detail: (e as Error).message };
    }
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16 })) {
    onBytes?.((chunk as Buffer).length);
    pending += decoder.write(chunk as Buffer);
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const r = parse(pending.slice(0, nl), true);
      pending = pending.slice(nl + 1);
      if (r) yield r;
    }
  }
  pending += decoder.end();
  if (pending.length > 0) {
    const r = parse(pending, false);
    if (r) yield r;
  }
}
