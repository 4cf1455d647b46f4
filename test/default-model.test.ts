/**
 * The committed default model (models/default): a fresh clone imagines with
 * it, with no data folder at all; its card says where it came from and how it
 * scored; it stays within the repository's size limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL_DIR } from '../src/imagine/model.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'vitrine.js');
let cwd: string;

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'vitrine-default-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('the committed default model', () => {
  const card = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));

  it('is small enough to commit, and its card gives its lineage and evaluation', () => {
    for (const f of readdirSync(DEFAULT_MODEL_DIR)) expect(statSync(join(DEFAULT_MODEL_DIR, f)).size, f).toBeLessThan(30 * 1024 * 1024);
    expect(card.lineage.snapshot).toMatch(/^snap-[0-9a-f]{20}$/);
    expect(card.lineage.policyVersion).toMatch(/^default@/);
    // The default config on 2 CPU cores, or the same architecture trained on a GPU (trainer/configs/default-gpu.json).
    expect(['default', 'default-gpu']).toContain(card.lineage.config);
    expect(card.training.trainSeconds).toBeGreaterThan(0);
    expect(card.eval.byLang.en.faithfulness).toBeGreaterThanOrEqual(0);
    expect(card.eval.byLang.fr.faithfulness).toBeGreaterThanOrEqual(0);
  });

  it('vitrine imagine works with no data folder, and the same seed gives the same bytes', () => {
    const env = { ...process.env };
    delete env.VITRINE_DATA;
    const run = (out: string) => {
      const r = spawnSync(process.execPath, [BIN, 'imagine', 'imagine a red apple', '--seed', '11', '--out', out, '--json'], { cwd, env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { images: string[]; model: string; seed: number };
    };
    const a = run('a');
    const b = run('b');
    expect(a.model).toBe(card.id);
    expect(a.seed).toBe(11);
    expect(a.images).toHaveLength(4);
    for (let i = 0; i < 4; i++) expect(readFileSync(a.images[i]!).equals(readFileSync(b.images[i]!))).toBe(true);
    expect(existsSync(join(cwd, 'data'))).toBe(false); // nothing but what was asked for
  }, 60_000);
});
