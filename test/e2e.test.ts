/**
 * The page end to end, as a person uses it, in real headless Chromium against
 * the real server (in this process, on an ephemeral loopback port, with the
 * committed default model and a tiny demo platform): log in, imagine, watch it
 * queue and progress, pick, reject, star, find it in favourites, run it again
 * with the same seed (the same images), variations, cancel, the refusals
 * (400, 429, a lost network, an ended session), the history after a reload,
 * the feedback terms, a phone-sized screen, the admin view's charts, log out.
 *
 * Needs Chromium at /usr/bin/chromium (Debian's `chromium`; .ci/run installs
 * it); VITRINE_CHROMIUM names another. Screenshots go to test-artifacts/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import sharp from 'sharp';
import { REJECT_REASONS } from '../src/feedback/events.ts';
import { DIGITAL_SOURCE_TYPE } from '../src/imagine/label.ts';
import { DEFAULT_MODEL_DIR } from '../src/imagine/model.ts';
import { startServerThread, type ThreadServer } from './helpers/server-thread.ts';
import { buildWeb } from './helpers/web.ts';

const CHROMIUM = process.env.VITRINE_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`test/e2e.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set VITRINE_CHROMIUM)`);

const SHOTS = join(import.meta.dirname, '..', 'test-artifacts', 'e2e');
/** expect.poll with room for a loaded machine (two cores shared with the other test files). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 50 });
/** Few steps, so four images take about a second on two cores. */
const STEPS = 4;

describe.skipIf(!HAVE_CHROMIUM)('the page in headless Chromium', () => {
  let server: ThreadServer;
  let browser: Browser;
  let buildDir: string;
  let context: BrowserContext;
  let page: Page;
  let fox: string; // the first generation's id

  /** A screenshot of the whole page, or of the screen with `at` in view. */
  async function shot(p: Page, name: string, at?: Locator) {
    if (at) await at.evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    else await p.evaluate('scrollTo(0, 0)');
    await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: !at });
  }
  const card = (p: Page, id: string) => p.locator(`[data-generation="${id}"]`);
  const tile = (c: Locator, i: number) => c.locator(`[data-tile="${i}"]`);
  const lastCard = (p: Page) => p.locator('.thread [data-generation]').last();
  async function logIn(p: Page, name: string, password: string) {
    await p.goto(server.url);
    await p.getByLabel('User name').fill(name);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Log in' }).click();
    await poll(() => p.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(true);
  }
  async function send(p: Page, text: string) {
    const box = p.getByLabel('Message (start with “imagine”)');
    await box.fill(text);
    await box.press('Enter');
  }
  /** The newest card in the conversation whose title (the prompt without "imagine") is `subject`. */
  const newest = (p: Page, subject: string) => p.locator('.thread [data-generation]').filter({ has: p.locator('.generation-title', { hasText: subject }) }).last();
  /** Sends a prompt (one not sent before), waits for its images, returns the generation id. */
  async function imagineAndWait(p: Page, text: string): Promise<string> {
    const subject = text.replace(/^imagine\s+/, '');
    await send(p, text);
    await newest(p, subject).and(p.locator('[data-status="done"]')).waitFor({ timeout: 30_000 });
    return (await newest(p, subject).getAttribute('data-generation'))!;
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    buildDir = mkdtempSync(join(tmpdir(), 'vitrine-web-'));
    // The page is built fresh from web/ (never a stale web/dist) while the server's store is made;
    // the server looks for the page at each request, so it may start before the build ends.
    [, server] = await Promise.all([buildWeb(buildDir), startServerThread({ webDir: buildDir, demo: { accounts: 30, posts: 200 } })]);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 1150 } });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  });

  it('logs in, saying what went wrong first, with the demo accounts named on loopback', async () => {
    await page.goto(server.url);
    await poll(() => page.getByRole('heading', { name: 'Log in' }).isVisible()).toBe(true);
    await poll(() => page.getByText('demo-password').isVisible()).toBe(true);
    await page.getByLabel('User name').fill('demo');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await poll(() => page.getByRole('alert').textContent()).toContain('Wrong user name or password');
    await shot(page, '01-login');
    await page.getByRole('button', { name: 'Use the demo account' }).click();
    await page.getByRole('button', { name: 'Log in' }).click();
    await poll(() => page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(true);
    // A non-admin has no admin view.
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
  });

  it('answers a message that does not start with "imagine" with a hint', async () => {
    await send(page, 'hello, can you draw a fox?');
    await poll(() => page.locator('.msg-hint').last().textContent()).toContain('start your message with “imagine”');
    await send(page, 'imagine');
    await poll(() => page.locator('.msg-hint').last().textContent()).toContain('Say what to imagine');
  });

  it('imagines four AI-labelled images, with the seed and settings shown under them', async () => {
    await page.getByText('Settings', { exact: true }).click();
    await page.getByLabel('Steps').fill(String(STEPS));
    await page.getByLabel('Seed').fill('42');
    fox = await imagineAndWait(page, 'imagine a red fox in the snow');
    await page.getByLabel('Seed').fill('');
    const c = card(page, fox);
    const imgs = c.locator('.grid img');
    expect(await imgs.count()).toBe(4);
    for (let i = 0; i < 4; i++) {
      expect(await imgs.nth(i).getAttribute('alt')).toBe(`AI-generated image ${i + 1} of 4: a red fox in the snow`);
      await poll(() => imgs.nth(i).evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(256);
    }
    expect(await c.locator('.ai-badge').count()).toBe(4);
    expect(await c.locator('.ai-label').textContent()).toMatch(/AI-generated images/);
    expect(await c.locator('.settings-text').textContent()).toContain(`seed 42 · ${STEPS} steps`);
    await shot(page, '02-imagine', c);
  });

  it('picks, rejects with a reason and stars images, by mouse and by keyboard; the feedback is stored', async () => {
    const c = card(page, fox);
    await tile(c, 0).getByRole('button', { name: 'Pick' }).click();
    await poll(() => tile(c, 0).getByRole('button', { name: 'Pick' }).getAttribute('aria-pressed')).toBe('true');
    await poll(() => tile(c, 0).locator('.verdict').textContent()).toBe('Your pick');

    await tile(c, 2).getByRole('button', { name: 'Reject' }).click();
    const menu = tile(c, 2).getByRole('group', { name: 'Why not image 3?' });
    for (const r of ['Not what I asked for', 'Wrong colours', 'Badly drawn', 'Offensive or harmful', 'Something else']) expect(await menu.getByRole('button', { name: r }).count()).toBe(1);
    await menu.getByRole('button', { name: 'Wrong colours' }).click();
    await poll(() => tile(c, 2).locator('.verdict').textContent()).toBe('Rejected: Wrong colours');

    await tile(c, 1).getByRole('button', { name: 'Star' }).click();
    await poll(() => tile(c, 1).getByRole('button', { name: 'Star' }).getAttribute('aria-pressed')).toBe('true');

    // Keyboard: 4 picks out the fourth image, P picks it (the pick moves), R then Escape leaves it as it was.
    await page.locator('.generation-title').first().click();
    await page.keyboard.press('4');
    await poll(() => tile(c, 3).evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('p');
    await poll(() => tile(c, 3).getByRole('button', { name: 'Pick' }).getAttribute('aria-pressed')).toBe('true');
    expect(await tile(c, 0).getByRole('button', { name: 'Pick' }).getAttribute('aria-pressed')).toBe('false');
    await page.keyboard.press('r');
    const reasons = tile(c, 3).getByRole('group', { name: 'Why not image 4?' });
    await poll(() => reasons.getByRole('button', { name: 'Not what I asked for' }).evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Escape');
    await poll(() => reasons.count()).toBe(0);
    expect(await tile(c, 3).getByRole('button', { name: 'Reject' }).evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)).toBe(true);

    const events = server.store.generations.feedbackFor(fox).map((e) => [e.index, e.kind, e.reason]);
    expect(events).toEqual([
      [0, 'pick', null],
      [2, 'reject', 'wrong-colours'],
      [1, 'favourite', null],
      [3, 'pick', null],
    ]);
    expect(REJECT_REASONS).toContain('wrong-colours');
  });

  it('finds the starred image in favourites', async () => {
    await page.getByRole('link', { name: 'Favourites' }).click();
    const fav = page.locator(`[data-favourite="${fox}/1"]`);
    await fav.waitFor();
    expect(await page.locator('[data-favourite]').count()).toBe(1);
    expect(await fav.locator('img').getAttribute('alt')).toBe('AI-generated image 2 of 4: a red fox in the snow');
    await shot(page, '03-favourites');
    await page.getByRole('link', { name: 'Imagine', exact: true }).click();
  });

  it('downloads a PNG labelled as AI-made inside, with the prompt or, if the person chooses, without it; enlarges an image', async () => {
    const c = card(page, fox);
    const download = async () => {
      const [d] = await Promise.all([page.waitForEvent('download'), tile(c, 1).getByRole('link', { name: 'Download' }).click()]);
      expect(d.suggestedFilename()).toBe(`vitrine-${fox}-1.png`); // the server's name: the image's index from 0
      const png = readFileSync((await d.path())!);
      expect((await sharp(png).metadata()).format).toBe('png');
      return (await sharp(png).metadata()).xmp?.toString() ?? '';
    };
    const withPrompt = await download();
    expect(withPrompt).toContain(`Iptc4xmpExt:DigitalSourceType="${DIGITAL_SOURCE_TYPE}"`);
    expect(withPrompt).toContain('a red fox in the snow');
    await page.getByLabel('Put my prompt in downloaded files (the AI label is always in them)').uncheck();
    const without = await download();
    expect(without).toContain(DIGITAL_SOURCE_TYPE);
    expect(without).not.toContain('a red fox in the snow');
    await page.getByLabel('Put my prompt in downloaded files (the AI label is always in them)').check();
    expect(server.store.generations.feedbackFor(fox).filter((e) => e.kind === 'download')).toHaveLength(2);

    await tile(c, 1).getByRole('button', { name: 'Enlarge image 2' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('AI-made.');
    await page.keyboard.press('Escape');
    await poll(() => dialog.count()).toBe(0);
  });

  it('runs a set again with the same seed and gets the same images; asks for variations of one', async () => {
    const c = card(page, fox);
    await c.getByRole('button', { name: 'Run again (same seed)' }).click();
    await poll(() => lastCard(page).getAttribute('data-generation')).not.toBe(fox);
    const again = card(page, (await lastCard(page).getAttribute('data-generation'))!);
    await again.and(page.locator('[data-status="done"]')).waitFor({ timeout: 30_000 });
    expect(await again.locator('.settings-text').textContent()).toBe(await c.locator('.settings-text').textContent());
    for (let i = 0; i < 4; i++) {
      const a = await page.request.get(`${server.url}${await c.locator('.grid img').nth(i).getAttribute('src')}`);
      const b = await page.request.get(`${server.url}${await again.locator('.grid img').nth(i).getAttribute('src')}`);
      expect(Buffer.compare(await a.body(), await b.body()), `image ${i + 1}`).toBe(0);
    }

    const againId = await again.getAttribute('data-generation');
    await tile(c, 0).getByRole('button', { name: 'Variations' }).click();
    await poll(() => page.locator('.msg-you').last().textContent()).toContain('variations of image 1');
    await poll(() => lastCard(page).getAttribute('data-generation')).not.toBe(againId);
    const v = card(page, (await lastCard(page).getAttribute('data-generation'))!);
    await v.and(page.locator('[data-status="done"]')).waitFor({ timeout: 30_000 });
    expect(await v.locator('.fine').first().textContent()).toContain('Variations of image 1');
    const vid = (await v.getAttribute('data-generation'))!;
    expect(server.store.generations.get(vid)?.variationOf).toEqual({ generation: fox, index: 0 });
    expect(server.store.generations.feedbackFor(fox).some((e) => e.kind === 'variation' && e.index === 0)).toBe(true);
  });

  it('shows a request waiting in line behind a running one, cancels the running one, then shows the next one progress with previews', async () => {
    await page.getByLabel('Steps').fill('100');
    await send(page, 'imagine a slow blue lake');
    await page.getByLabel('Steps').fill(String(STEPS));
    await send(page, 'imagine un renard roux dans la neige');
    const byTitle = (t: string) => newest(page, t);
    await poll(() => byTitle('un renard roux').getAttribute('data-status')).toBe('queued');
    const lakeId = (await byTitle('a slow blue lake').getAttribute('data-generation'))!;
    const lake = card(page, lakeId);
    const renard = card(page, (await byTitle('un renard roux').getAttribute('data-generation'))!);
    // The lake's own "running" event may reach the page after the renard's "queued" one (a loaded machine).
    await poll(() => lake.getAttribute('data-status')).toBe('running');
    await poll(() => renard.locator('.status-line').textContent()).toContain('Waiting in line: position 1');
    await shot(page, '04-queued', renard);
    await lake.getByRole('button', { name: 'Cancel' }).click();
    await poll(() => lake.getAttribute('data-status')).toBe('cancelled');
    expect(await lake.locator('.status-line').textContent()).toContain('Cancelled');
    expect(server.store.generations.get(lakeId)?.status).toBe('cancelled');

    // The French prompt runs next: previews of the images sharpen step by step, then the four images.
    const seen = new Set<string>();
    type El = { dataset: { status: string }; querySelector(s: string): { textContent: string } | null };
    for (let i = 0; i < 600; i++) {
      const now = await renard.evaluate((el) => {
        const e = el as unknown as El;
        return { status: e.dataset.status, preview: e.querySelector('img.preview') !== null, line: e.querySelector('.status-line')?.textContent ?? '' };
      });
      if (now.preview) seen.add('preview');
      if (/step \d of 4/.test(now.line)) seen.add('step');
      if (now.status === 'done') break;
      await page.waitForTimeout(20);
    }
    expect(await renard.getAttribute('data-status')).toBe('done');
    expect([...seen].sort()).toEqual(['preview', 'step']);
    expect(await renard.locator('.grid img').first().getAttribute('alt')).toBe('AI-generated image 1 of 4: un renard roux dans la neige');
  });

  it('says what went wrong: a refused setting (400), a rate limit (429), a lost network, an ended session (401)', async () => {
    await page.getByLabel('Steps').fill('1000');
    await send(page, 'imagine too many steps');
    await poll(() => page.locator('.thread [role="alert"]').last().textContent()).toMatch(/That was refused: steps must be <= 100/);
    await page.getByLabel('Steps').fill(String(STEPS));

    // A 429 as the service sends it when a person has three requests going.
    await page.route('**/api/generations', (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({
            status: 429,
            headers: { 'retry-after': '3' },
            contentType: 'application/json',
            body: JSON.stringify({ error: { code: 'rate-limited', message: 'You already have 3 requests waiting or running; wait for one to finish', retryAfter: 3, yours: [{ id: 'a', position: 0 }, { id: 'b', position: 2 }] } }),
          })
        : route.fallback(),
    );
    await send(page, 'imagine a crowded queue');
    const refusal = page.locator('.thread [role="alert"]').last();
    await poll(() => refusal.textContent()).toContain('Yours: 1 being made now, 1 waiting (queue position 2).');
    const retry = refusal.getByRole('button', { name: /Try again in \d s/ });
    expect(await retry.isDisabled()).toBe(true);
    await shot(page, '05-rate-limited', refusal);
    await page.unroute('**/api/generations');
    await refusal.getByRole('button', { name: 'Try again' }).click({ timeout: 10_000 });
    // Wait for the new card itself: the card before it is already done, so waiting for "the last
    // card, done" could match that one before the new card is added.
    await page.locator('.thread [data-generation][data-status="done"]').filter({ hasText: 'a crowded queue' }).waitFor({ timeout: 30_000 });
    expect(await lastCard(page).locator('.generation-title').textContent()).toBe('a crowded queue');

    await context.setOffline(true);
    await send(page, 'imagine a quiet network');
    await poll(() => page.locator('.thread [role="alert"]').last().textContent()).toContain('Cannot reach vitrine');
    await poll(() => page.locator('.offline').isVisible()).toBe(true);
    await context.setOffline(false);

    // The session ends (revoked elsewhere): the next request goes back to the log-in form, saying why.
    const cookies = await context.cookies();
    await context.clearCookies();
    await tile(card(page, fox), 1).getByRole('button', { name: 'Pick' }).click();
    await poll(() => page.getByRole('heading', { name: 'Log in' }).isVisible()).toBe(true);
    expect(await page.getByRole('status').first().textContent()).toContain('Your session has ended');
    await context.addCookies(cookies);
  });

  it('keeps everything: after a reload the conversation and the history are there, a page at a time', async () => {
    // Older failed requests (as a restarted server leaves them) fill more than one page.
    const user = server.store.users.byName('demo')!;
    for (let i = 0; i < 10; i++) {
      const id = `gen-old-${String(i).padStart(2, '0')}`;
      server.store.generations.create({
        id, userId: user.id, prompt: `imagine an old thing ${i}`, modelId: 'model-old', variationOf: null, status: 'queued', error: null,
        createdAt: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(), finishedAt: null, milliseconds: null, images: [],
        settings: { seed: i, steps: 4, guidance: 4, method: 'euler', shift: 1, size: 256, count: 4, candidates: 4, reward: null, strength: null },
      });
      server.store.generations.setStatus(id, 'failed', new Date().toISOString(), 'the server stopped before it was made');
    }
    await page.reload();
    await poll(() => page.locator('.thread [data-generation]').count()).toBe(4);
    await page.getByRole('link', { name: 'History' }).click();
    const list = page.locator('.history-list > li');
    await poll(() => list.count()).toBe(10);
    await page.getByRole('button', { name: 'Show older' }).click();
    await poll(() => list.count()).toBe(16);
    expect(await page.getByRole('button', { name: 'Show older' }).count()).toBe(0);
    expect(await page.locator('.history-list').textContent()).toContain('a red fox in the snow');
    expect(await page.locator('[data-generation="gen-old-00"] .problem').textContent()).toContain('the server stopped before it was made');
    await shot(page, '06-history');
  });

  it('explains the feedback terms and records the choice', async () => {
    await page.getByRole('link', { name: 'Imagine', exact: true }).click();
    const banner = page.locator('.terms-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Only if you accept');
    await banner.getByRole('button', { name: 'Yes, my feedback may train future models' }).click();
    await poll(() => banner.count()).toBe(0);
    const user = server.store.users.byName('demo')!;
    expect(server.store.users.feedbackTerms(user.id)?.accepted).toBe(true);
    await page.getByRole('link', { name: 'Account' }).click();
    await poll(() => page.locator('.terms-state').textContent()).toContain('You accepted on');
    await page.getByRole('button', { name: 'Stop using my feedback' }).click();
    await poll(() => page.locator('.terms-state').textContent()).toContain('You said no on');
    expect(server.store.users.feedbackTerms(user.id)?.accepted).toBe(false);
  });

  it('works on a phone-sized screen (in dark mode): one image per row, touch targets of 44 px, nothing wider than the screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'dark' });
    const p = await phone.newPage();
    await logIn(p, 'demo', 'demo-password');
    await p.getByText('Settings', { exact: true }).click();
    await p.getByLabel('Steps').fill(String(STEPS));
    const id = await imagineAndWait(p, 'imagine a yellow flower');
    const boxes = await Promise.all([0, 1, 2, 3].map((i) => tile(card(p, id), i).boundingBox()));
    expect(new Set(boxes.map((b) => Math.round(b!.x))).size).toBe(1);
    expect(boxes[0]!.width).toBeGreaterThan(300);
    for (const b of await card(p, id).locator('.actions button, .actions a').evaluateAll((els) => els.map((e) => (e as unknown as { getBoundingClientRect(): { height: number; width: number } }).getBoundingClientRect())))
      expect(Math.min(b.height, b.width)).toBeGreaterThanOrEqual(44);
    expect(await p.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(p, '07-phone', card(p, id));
    await phone.close();
  });

  it('shows an admin the store in charts: decisions by reason, snapshots and models, evaluations, feedback per day', async () => {
    const admin = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' }); // charts drawn at once
    const p = await admin.newPage();
    await logIn(p, 'admin', 'admin-password');
    await p.getByRole('link', { name: 'Admin' }).click();
    for (const id of ['decisions', 'timeline', 'evals', 'feedback']) {
      const canvas = p.locator(`[data-chart="${id}"] canvas`);
      await canvas.waitFor();
      expect(await canvas.getAttribute('aria-label'), id).toMatch(/chart|Timeline/);
      // Drawn: the canvas holds more than a blank picture.
      await poll(() => canvas.evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL().length)).toBeGreaterThan(3000);
    }
    const decided = server.store.decisions.countsByReason();
    expect(await p.locator('[data-chart="decisions"] canvas').getAttribute('aria-label')).toContain(`${decided.eligible} eligible`);
    await p.locator('[data-chart="decisions"]').getByText('Show the numbers').click();
    expect(await p.locator('[data-chart="decisions"] table').textContent()).toContain('author_minor');
    expect(await p.locator('[data-chart="feedback"] canvas').getAttribute('aria-label')).toMatch(/\d+ pick/);
    // The committed default model and its card's faithfulness figures (whatever model is committed).
    // The page shows faithfulness as a share of the judge's ceiling (its ratioToCeiling).
    const card = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8')) as { id: string; eval: { byLang: Record<'en' | 'fr', { ratioToCeiling: number }> } };
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    expect(await p.locator('table.models').textContent()).toContain(card.id);
    expect(await p.locator('table.models').textContent()).toContain(`${pct(card.eval.byLang.en.ratioToCeiling)} / ${pct(card.eval.byLang.fr.ratioToCeiling)}`);
    await shot(p, '08-admin');
    await admin.close();
  });

  it('logs out', async () => {
    await page.getByRole('banner').getByRole('button', { name: 'Log out' }).click();
    await poll(() => page.getByRole('heading', { name: 'Log in' }).isVisible()).toBe(true);
    expect(await page.getByRole('status').first().textContent()).toContain('You are logged out');
    const r = await page.request.get(`${server.url}/api/me`);
    expect(r.status()).toBe(401);
  });
});
