/** The committed evaluation prompts (src/eval/prompts.json, written by make-prompts.ts). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface EvalPrompt {
  /** The emoji the prompt asks for (catalogue "unified" code): what the judge must find. */
  emoji: string;
  lang: 'en' | 'fr';
  text: string;
  /** The emoji's name in that language. */
  name: string;
  subcategory: string;
}

export const PROMPTS_FILE = path.join(import.meta.dirname, 'prompts.json');

export function loadPrompts(file = PROMPTS_FILE): EvalPrompt[] {
  const d = JSON.parse(readFileSync(file, 'utf8')) as { format?: string; prompts?: EvalPrompt[] };
  if (d.format !== 'vitrine-eval-prompts' || !Array.isArray(d.prompts)) throw new Error(`${file}: not a vitrine-eval-prompts file`);
  return d.prompts;
}
