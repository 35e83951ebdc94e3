/**
 * Functioneel beheer in a real browser: Debian's chromium driven by playwright-core against a real gateway
 * (HTTP, SQLite) that delivers to a real local receiver we can switch off and on. Screenshots of the
 * overview and the detail page go to tests/out/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/security/passwords.ts';
import type { MessageStatus, MessageStore } from '../../src/store/types.ts';
import { chromiumMissing, launchChromium } from '../helpers/browser.ts';
import { eventually, KEYS, startTestGateway, type TestGateway, withIdentificatie } from '../helpers/gateway.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { hasReference, istandaardExample, projectRoot, skipReason } from '../helpers/reference.ts';

const OUT = path.join(projectRoot, 'tests', 'out');
/** The Bsn in the official WMO301 example. */
const BSN = '999900006';
const USERS = {
  beheerder: { name: 'anna', password: 'anna-wachtwoord-1' },
  viewer: { name: 'victor', password: 'victor-wachtwoord-1' },
};
const BULK = 200;

let browser: Browser;
let g: TestGateway;
let receiver: Receiver;
/** Whether the receiver takes deliveries (200) or is down (503). */
let receiverUp = false;
const contexts: BrowserContext[] = [];
let wmo301 = '';
/** Extra time each beheer resend takes while set, like a store across a network, so progress can be seen. */
let resendDelayMs = 0;

/** The store with `resend` slowed down by `resendDelayMs`. */
function slowResends(store: MessageStore): MessageStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'resend') {
        return async (...args: Parameters<MessageStore['resend']>) => {
          if (resendDelayMs) await new Promise((r) => setTimeout(r, resendDelayMs));
          return target.resend(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function post(identificatie: string): Promise<string> {
  const r = await g.post('/berichten', withIdentificatie(wmo301, identificatie), KEYS.wijkteam);
  expect(r.status, r.text).toBe(202);
  return r.body.id as string;
}

const statusOf = async (id: string): Promise<MessageStatus | undefined> =>
  (await g.gateway.store.getMessage(id))?.status;

async function loggedIn(user: { name: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-NL' });
  contexts.push(context);
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${g.url}/beheer`);
  expect(new URL(page.url()).pathname).toBe('/beheer/login');
  await page.getByLabel('Gebruikersnaam').fill(user.name);
  await page.getByLabel('Wachtwoord').fill(user.password);
  await page.getByRole('button', { name: 'Aanmelden' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overzicht' }).waitFor();
  return page;
}

async function csrfToken(page: Page): Promise<string> {
  const r = await page.request.get(`${g.url}/api/beheer/session`);
  expect(r.status()).toBe(200);
  return ((await r.json()) as { csrfToken: string }).csrfToken;
}

const browserSkip = !hasReference ? skipReason : chromiumMissing;
if (browserSkip) console.warn(`SKIPPED e2e/beheer: ${browserSkip}`);

describe.skipIf(browserSkip !== '')(`beheer in the browser${browserSkip ? ` (${browserSkip})` : ''}`, () => {
  let single = '';

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    wmo301 = istandaardExample('WMO301');
    receiver = await startReceiver(() =>
      receiverUp ? { status: 200, body: 'ontvangen' } : { status: 503, body: 'Ontvanger in onderhoud' },
    );
    const base = receiver.url;
    const [beheerderHash, viewerHash] = await Promise.all([
      hashPassword(USERS.beheerder.password),
      hashPassword(USERS.viewer.password),
    ]);
    g = await startTestGateway({
      destinations: {
        zorg: `${base}/zorg`,
        jeugd: `${base}/jeugd`,
        gemeenteRetour: `${base}/retour`,
        gemeenteInbox: `${base}/inbox`,
      },
      // One attempt: a delivery the receiver refuses is dead at once.
      maxAttempts: 1,
      wrapStore: slowResends,
      extraYaml: `beheer:
  users:
    - { name: ${USERS.beheerder.name}, role: beheerder, passwordHash: "${beheerderHash}" }
    - { name: ${USERS.viewer.name}, role: viewer, passwordHash: "${viewerHash}" }
  jobConcurrency: 4
`,
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await g?.stop();
    await receiver?.close();
  });

  it('a beheerder sees a dead message in the overview, reads the failure, resends it and sees it delivered', async () => {
    single = await post('E2E-DOOD-1');
    await eventually(async () => (await statusOf(single)) === 'dead');

    const page = await loggedIn(USERS.beheerder);
    const zorg = page.getByRole('table', { name: 'Berichten per bestemming' }).getByRole('row', { name: /^zorg/ });
    const deadLink = zorg.getByRole('link', { name: '1' });
    await deadLink.waitFor();
    await expect(page.locator('.alerts').textContent()).resolves.toContain('Onbestelbare berichten');
    await page.screenshot({ path: path.join(OUT, 'beheer-overzicht.png'), fullPage: true });

    // Keyboard: the dead count is a link that opens the search for it.
    await deadLink.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Zoeken' }).waitFor();
    await page.getByText('1 berichten gevonden').waitFor();
    await page.getByRole('link', { name: 'Bericht WMO301 E2E-DOOD-1 openen' }).click();

    await page.getByRole('heading', { level: 1, name: 'WMO301 E2E-DOOD-1' }).waitFor();
    const failure = page.getByRole('region', { name: 'Foutmelding' });
    await expect(failure.textContent()).resolves.toMatch(/HTTP 503/);
    await expect(failure.textContent()).resolves.toContain('Ontvanger in onderhoud');
    await expect(page.locator('.status-line').textContent()).resolves.toContain('Onbestelbaar');
    await page.screenshot({ path: path.join(OUT, 'beheer-detail.png'), fullPage: true });
    // Metadata only until the body is asked for.
    expect(await page.content()).not.toContain(BSN);

    receiverUp = true;
    const before = receiver.requests.length;
    await page.getByRole('button', { name: 'Opnieuw versturen' }).click();
    await page.locator('.status-line .badge', { hasText: 'Afgeleverd' }).waitFor({ timeout: 15_000 });

    // The same message (same id) was delivered again, after two attempts in all.
    expect(await statusOf(single)).toBe('delivered');
    const attempts = await g.gateway.store.deliveryAttempts(single);
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'delivered']);
    expect(receiver.requests.slice(before).filter((r) => r.body.toString('utf8').includes('E2E-DOOD-1'))).toHaveLength(
      1,
    );
    await expect(page.getByRole('table', { name: 'Statusgeschiedenis' }).textContent()).resolves.toContain(
      `beheer:${USERS.beheerder.name}`,
    );
  });

  it(`bulk-resends ${BULK} dead messages matching a filter, with visible progress and a final count that matches the store`, {
    timeout: 180_000,
  }, async () => {
    receiverUp = false;
    const deadBefore = (await g.gateway.store.statusCounts()).dead;
    const ids: string[] = [];
    for (let i = 0; i < BULK; i += 10) {
      ids.push(...(await Promise.all(Array.from({ length: 10 }, (_, k) => post(`E2E-BULK-${i + k}`)))));
    }
    await eventually(async () => (await g.gateway.store.statusCounts()).dead === deadBefore + BULK, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    const deliveredBefore = (await g.gateway.store.statusCounts()).delivered;

    const page = await loggedIn(USERS.beheerder);
    await page.goto(`${g.url}/beheer#/zoeken?message=WMO301&status=dead`);
    await page.getByText(`${BULK} berichten gevonden`).waitFor();
    // The form shows the filter it was opened with.
    expect(await page.getByLabel('Berichttype').inputValue()).toBe('WMO301');
    expect(await page.getByLabel('Status').inputValue()).toBe('dead');

    receiverUp = true;
    // 200 resends × 20 ms over 4 lanes: about a second, so the page polls the job a few times while it runs.
    resendDelayMs = 20;
    // Record every progress text the page shows, to see it count up.
    // (A script string: the project's type check has no DOM library.)
    await page.evaluate(`
      window.seen = [];
      new MutationObserver(() => {
        const t = document.querySelector('.progress-text')?.textContent;
        if (t && window.seen.at(-1) !== t) window.seen.push(t);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    `);
    await page.getByLabel(`Alle ${BULK} resultaten van dit filter`).check();
    await page.getByRole('button', { name: 'Opnieuw versturen' }).click();
    await page.locator('progress').waitFor();
    const done = page.locator('.progress-text[data-done="true"]');
    await done.waitFor({ timeout: 120_000 });
    expect(await done.textContent()).toBe(`Klaar. ${BULK} van ${BULK} verwerkt: ${BULK} gelukt, 0 mislukt.`);
    expect(await page.locator('progress').getAttribute('max')).toBe(String(BULK));
    resendDelayMs = 0;
    const seen = (await page.evaluate('window.seen')) as string[];
    const counts = seen.map((t) => Number(new RegExp(`^(?:Klaar\\. )?(\\d+) van ${BULK} verwerkt`).exec(t)?.[1] ?? -1));
    // It counted up while running, and ended at the total.
    expect(counts.some((n) => n > 0 && n < BULK)).toBe(true);
    expect(counts.filter((n) => n >= 0)).toEqual([...counts.filter((n) => n >= 0)].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(`Klaar. ${BULK} van ${BULK} verwerkt: ${BULK} gelukt, 0 mislukt.`);

    // The store agrees: every one of them was resent by this beheerder and is delivered under its own id.
    const resent = await g.gateway.store.listAudit({
      action: 'message.resend',
      actor: `beheer:${USERS.beheerder.name}`,
      limit: 500,
    });
    expect(new Set(resent.map((a) => a.targetId))).toEqual(new Set([single, ...ids]));
    await eventually(async () => (await g.gateway.store.statusCounts()).delivered === deliveredBefore + BULK, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect((await g.gateway.store.statusCounts()).dead).toBe(0);
    // The list, read again after the job, is empty now.
    await page.getByText('0 berichten gevonden').waitFor();
  });

  it('a viewer sees metadata but cannot open a body nor resend, in the page and in the API', async () => {
    const page = await loggedIn(USERS.viewer);
    await page.goto(`${g.url}/beheer#/bericht/${single}`);
    await page.getByRole('heading', { level: 1, name: 'WMO301 E2E-DOOD-1' }).waitFor();
    await page.getByRole('table', { name: 'Afleverpogingen' }).waitFor();
    expect(await page.getByRole('button', { name: 'Inhoud tonen' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Opnieuw versturen' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Auditlog' }).isVisible()).toBe(false);

    const body = await page.request.get(`${g.url}/api/beheer/berichten/${single}/body`);
    expect(body.status()).toBe(403);
    expect(((await body.json()) as { error: { code: string } }).error.code).toBe('ROLE_FORBIDDEN');
    const token = await csrfToken(page);
    const job = await page.request.post(`${g.url}/api/beheer/jobs`, {
      headers: { 'x-csrf-token': token },
      data: { action: 'resend', ids: [single] },
    });
    expect(job.status()).toBe(403);
    expect(((await job.json()) as { error: { code: string } }).error.code).toBe('ROLE_FORBIDDEN');
    const bsn = await page.request.post(`${g.url}/api/beheer/berichten/zoeken`, {
      headers: { 'x-csrf-token': token },
      data: { bsn: BSN },
    });
    expect(bsn.status()).toBe(403);
    expect((await page.request.get(`${g.url}/api/beheer/audit`)).status()).toBe(403);
    // Nothing was resent by the viewer.
    expect(await g.gateway.store.listAudit({ actor: `beheer:${USERS.viewer.name}`, action: 'message.resend' })).toEqual(
      [],
    );
  });

  it('a state-changing request without the CSRF token is refused', async () => {
    const page = await loggedIn(USERS.beheerder);
    const r = await page.request.post(`${g.url}/api/beheer/jobs`, { data: { action: 'cancel', ids: [single] } });
    expect(r.status()).toBe(403);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('CSRF_TOKEN');
    const wrong = await page.request.post(`${g.url}/api/beheer/jobs`, {
      headers: { 'x-csrf-token': 'x'.repeat(43) },
      data: { action: 'cancel', ids: [single] },
    });
    expect(wrong.status()).toBe(403);
    expect(await statusOf(single)).toBe('delivered');
  });

  it('the audit log shows who resent what and who opened which body; a BSN search is audited without the BSN', async () => {
    const page = await loggedIn(USERS.beheerder);
    await page.goto(`${g.url}/beheer#/bericht/${single}`);
    await page.getByRole('button', { name: 'Inhoud tonen' }).click();
    await expect(page.getByLabel('Inhoud van het bericht').textContent()).resolves.toContain('E2E-DOOD-1');

    // BSN search in the page: the BSN never reaches the address bar.
    await page.goto(`${g.url}/beheer#/zoeken?berichtIdentificatie=E2E-DOOD-1`);
    await page.getByLabel('BSN (exact)').fill(BSN);
    await page.getByRole('button', { name: 'Zoeken' }).click();
    await page.getByText('1 berichten met dit BSN').waitFor();
    expect(page.url()).not.toContain(BSN);

    const r = await page.request.get(`${g.url}/api/beheer/audit?limit=1000`);
    expect(r.status()).toBe(200);
    const { entries } = (await r.json()) as {
      entries: { actor: string; action: string; targetId: string | null; details: Record<string, unknown> }[];
    };
    const actor = `beheer:${USERS.beheerder.name}`;
    expect(entries).toContainEqual(expect.objectContaining({ actor, action: 'message.resend', targetId: single }));
    expect(entries).toContainEqual(expect.objectContaining({ actor, action: 'beheer.body-view', targetId: single }));
    const search = entries.find((e) => e.action === 'beheer.bsn-search');
    expect(search).toMatchObject({ actor, details: { matches: [single], matchCount: 1 } });
    expect(JSON.stringify(entries)).not.toContain(BSN);
    // Nor is it in any log line, in the metrics or in a list the page got.
    expect(g.logs.join('\n')).not.toContain(BSN);
    const metrics = await page.request.get(`${g.url}/metrics`);
    expect(metrics.status()).toBe(200);
    const text = await metrics.text();
    expect(text).not.toContain(BSN);
    expect(text).not.toContain(single);
    expect(text).toMatch(/schakel_delivery_attempts_total\{destination="zorg",outcome="delivered"\} \d+/);
  });
});
