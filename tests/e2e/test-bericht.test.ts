/**
 * "Test a bericht" in the beheer page, in a real browser (Debian's chromium via playwright-core) against a real
 * gateway: a beheerder pastes a valid bericht and uploads an invalid one, and sees the verdict, the findings with
 * line and column, the route and the prescribed retour; nothing is stored or sent, and the audit log has the
 * test without the body. The berichten are made by the project's own examples (no reference pack needed).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_BSN, makeExample } from '../../src/examples/examples.ts';
import { hashPassword } from '../../src/security/passwords.ts';
import { chromiumMissing, launchChromium } from '../helpers/browser.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { projectRoot } from '../helpers/reference.ts';

const OUT = path.join(projectRoot, 'tests', 'out');
const USERS = {
  beheerder: { name: 'bea', password: 'bea-wachtwoord-1' },
  viewer: { name: 'vera', password: 'vera-wachtwoord-1' },
};

const skip = chromiumMissing;
if (skip) console.warn(`SKIPPED e2e/test-bericht: ${skip}`);

describe.skipIf(skip !== '')(`"test a bericht" in the browser${skip ? ` (${skip})` : ''}`, () => {
  let browser: Browser;
  let g: TestGateway;
  let receiver: Receiver;
  const contexts: BrowserContext[] = [];
  let received = 0;

  async function loggedIn(user: { name: string; password: string }): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'nl-NL' });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${g.url}/beheer`);
    await page.getByLabel('Gebruikersnaam').fill(user.name);
    await page.getByLabel('Wachtwoord').fill(user.password);
    await page.getByRole('button', { name: 'Aanmelden' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overzicht' }).waitFor();
    return page;
  }

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    receiver = await startReceiver(() => {
      received++;
      return { status: 200, body: 'ok' };
    });
    const [beheerderHash, viewerHash] = await Promise.all([
      hashPassword(USERS.beheerder.password),
      hashPassword(USERS.viewer.password),
    ]);
    const base = receiver.url;
    g = await startTestGateway({
      // The examples are dated today; the test gateway's default pins another day.
      today: () => new Date(),
      destinations: {
        zorg: `${base}/zorg`,
        jeugd: `${base}/jeugd`,
        gemeenteRetour: `${base}/retour`,
        gemeenteInbox: `${base}/inbox`,
      },
      extraYaml: `beheer:
  users:
    - { name: ${USERS.beheerder.name}, role: beheerder, passwordHash: "${beheerderHash}" }
    - { name: ${USERS.viewer.name}, role: viewer, passwordHash: "${viewerHash}" }
`,
    });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await g?.stop();
    await receiver?.close();
  });

  it('a valid bericht: verdict, route and no retour; nothing stored or sent; audited without the body', async () => {
    const page = await loggedIn(USERS.beheerder);
    await page.getByRole('link', { name: 'Bericht testen' }).click();
    await page.getByRole('heading', { level: 1, name: 'Bericht testen' }).waitFor();
    const valid = makeExample('WMO301', { afzender: '0384' });
    await page.getByLabel('Bericht (XML)').fill(valid);
    await page.getByRole('button', { name: 'Testen' }).click();
    await page.getByRole('heading', { name: 'Uitslag' }).waitFor();

    const verdict = page.locator('[data-verdict]').first();
    expect(await verdict.getAttribute('data-verdict')).toBe('valid');
    expect(await verdict.textContent()).toMatch(/iwmo 3\.2 WMO301 \(heen\): geldig/);
    expect(await page.locator('#t-route').getAttribute('data-route')).toBe('route');
    expect(await page.locator('#t-route').textContent()).toMatch(/naar zorg \(webhook\)/);
    expect(await page.getByText('De standaard schrijft hier geen retourbericht voor.').count()).toBe(1);
    await page.screenshot({ path: path.join(OUT, 'beheer-test-bericht-valid.png'), fullPage: true });

    const stored = await g.gateway.store.listMessages({});
    expect(stored.total).toBe(0);
    expect(received).toBe(0);
    const audit = await g.gateway.store.listAudit({ action: 'beheer.test-bericht', limit: 10 });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe(`beheer:${USERS.beheerder.name}`);
    expect(audit[0]!.details).toMatchObject({ message: 'WMO301', valid: true, route: 'zorg', findings: [] });
    expect(JSON.stringify(audit[0])).not.toContain(EXAMPLE_BSN);
  });

  it('an uploaded invalid bericht: the rule with line and column, no route, and the prescribed retour', async () => {
    const page = await loggedIn(USERS.beheerder);
    await page.goto(`${g.url}/beheer#/testen`);
    await page.getByRole('heading', { level: 1, name: 'Bericht testen' }).waitFor();
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'schakel-test-bericht-')), 'wmo301-tr135.xml');
    const invalid = makeExample('WMO301', { afzender: '0384', invalid: 'TR135' });
    writeFileSync(file, invalid);
    await page.getByLabel('Of kies een bestand').setInputFiles(file);
    await expect.poll(() => page.getByLabel('Bericht (XML)').inputValue()).toContain('wmo301:Bericht');
    await page.getByRole('button', { name: 'Testen' }).click();
    await page.getByRole('heading', { name: 'Uitslag' }).waitFor();

    expect(await page.locator('[data-verdict]').first().getAttribute('data-verdict')).toBe('invalid');
    const row = page.locator('tr', { hasText: 'TR135' });
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    const dagtekeningLine = invalid.split('\n').findIndex((l) => l.includes(':Dagtekening>')) + 1;
    expect(cells[0]).toBe('TR135');
    expect(cells[1]).toBe('8848');
    expect(cells[2]).toBe(String(dagtekeningLine));
    expect(Number(cells[3])).toBeGreaterThan(0);
    expect(cells[4]).toMatch(/Dagtekening/);
    expect(await page.locator('#t-route').getAttribute('data-route')).toBe('refused');
    const retour = await page.locator('#t-retour').textContent();
    expect(retour).toMatch(/wmo302:Bericht/);
    expect(retour).toMatch(/<wmo302:RetourCode>8848<\/wmo302:RetourCode>/);
    await page.screenshot({ path: path.join(OUT, 'beheer-test-bericht-invalid.png'), fullPage: true });

    expect((await g.gateway.store.listMessages({})).total).toBe(0);
    expect(received).toBe(0);
  });

  it('refuses a viewer (ROLE_FORBIDDEN) and a request without the CSRF token', async () => {
    const viewer = await loggedIn(USERS.viewer);
    expect(await viewer.getByRole('link', { name: 'Bericht testen' }).isVisible()).toBe(false);
    const token = ((await (await viewer.request.get(`${g.url}/api/beheer/session`)).json()) as { csrfToken: string })
      .csrfToken;
    const asViewer = await viewer.request.post(`${g.url}/api/beheer/test-bericht`, {
      headers: { 'content-type': 'application/xml', 'x-csrf-token': token },
      data: makeExample('WMO301'),
    });
    expect(asViewer.status()).toBe(403);
    expect(((await asViewer.json()) as { error: { code: string } }).error.code).toBe('ROLE_FORBIDDEN');

    const beheerder = await loggedIn(USERS.beheerder);
    const noToken = await beheerder.request.post(`${g.url}/api/beheer/test-bericht`, {
      headers: { 'content-type': 'application/xml' },
      data: makeExample('WMO301'),
    });
    expect(noToken.status()).toBe(403);
    expect(((await noToken.json()) as { error: { code: string } }).error.code).toBe('CSRF_TOKEN');
  });
});
