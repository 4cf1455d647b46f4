/**
 * What a chat message asks for: a message that starts with "imagine" (French
 * speakers type the same word) is a prompt for four images; anything else gets
 * a one-line hint. Mirrors promptText in src/imagine/index.ts.
 */
export const MAX_PROMPT_CHARS = 500;
const IMAGINE = /^imagine\b[\s:,.!-]*/iu;

export const EXAMPLE = 'imagine a red fox in the snow';
export const EXAMPLE_FR = 'imagine un renard roux dans la neige';

export type Parsed =
  | { kind: 'empty' }
  | { kind: 'imagine'; prompt: string; subject: string }
  | { kind: 'hint'; hint: string };

export function parseMessage(raw: string): Parsed {
  const text = raw.trim();
  if (!text) return { kind: 'empty' };
  const m = IMAGINE.exec(text);
  if (!m) {
    return { kind: 'hint', hint: `To get pictures, start your message with “imagine”, for example: ${EXAMPLE} (in French too: ${EXAMPLE_FR}).` };
  }
  const subject = text.slice(m[0].length).trim();
  if (!subject) return { kind: 'hint', hint: `Say what to imagine after the word, for example: ${EXAMPLE}.` };
  if (text.length > MAX_PROMPT_CHARS) return { kind: 'hint', hint: `That prompt is ${text.length} characters long; keep it under ${MAX_PROMPT_CHARS + 1}.` };
  return { kind: 'imagine', prompt: text, subject };
}

/** The prompt without its leading "imagine": what the images show (alt text, titles). */
export function subjectOf(prompt: string): string {
  return prompt.trim().replace(IMAGINE, '').trim() || prompt.trim();
}
