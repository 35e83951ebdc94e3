/**
 * Single sign-on in a real browser: Debian's chromium (playwright-core) clicks "Aanmelden met Test IdP" on the
 * beheer login page, logs in at a real OpenID Connect provider (oidc-provider over HTTPS, its own login and
 * consent forms, on another site: https://localhost vs http://127.0.0.1) and lands in beheer; the claims of
 * the account decide the grants the page shows. An account whose claims map to nothing is refused.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../helpers/browser.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { wmo301 } from '../helpers/messages.ts';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.ts';
import { projectRoot } from '../helpers/reference.ts';
import { tempDir } from '../helpers/temp.ts';

const OUT = path.join(projectRoot, 'tests', 'out');
const CLIENT = { clientId: 'schakel-beheer', clientSecret: 'e2e-client-secret-of-some-length-123456' };

const browserSkip = chromiumMissing;
if (browserSkip) console.warn(`SKIPPED e2e/beheer-oidc: ${browserSkip}`);

describe.skipIf(browserSkip !== '')(
  `beheer single sign-on in the browser${browserSkip ? ` (${browserSkip})` : ''}`,
  () => {
    const dir = tempDir('schakel-oidc-e2e-');
    let idp: TestIdp;
    let g: TestGateway;
    let browser: Browser;
    const contexts: BrowserContext[] = [];

    beforeAll(async () => {
      mkdirSync(OUT, { recursive: true });
      idp = await startTestIdp(dir.path);
      // No local users: the login page offers single sign-on only.
      g = await startTestGateway({
        extraYaml: `beheer:
  oidc:
    issuer: ${idp.issuer}
    clientId: ${CLIENT.clientId}
    clientSecret: ${CLIENT.clientSecret}
    displayName: Test IdP
    ca: ["${idp.caPath}"]
    discoveryRetrySeconds: 0
    grants:
      - { claim: groups, value: schakel-0363-wmo-beheerder, grant: { role: beheerder, gemeenten: ["0363"], flows: [wmo] } }
      - { claim: realm_access.roles, value: schakel-jb-viewer, grant: { role: viewer, gemeenten: "*", flows: [jeugdbescherming] } }
    gemeentenClaims:
      - { claim: schakel_gemeenten, role: viewer, flows: [jeugd] }
`,
      });
      idp.attach({
        ...CLIENT,
        redirectUris: [`${g.url}/beheer/oidc/callback`],
        accounts: {
          anna: { preferred_username: 'anna@gemeente0363.nl', groups: ['schakel-0363-wmo-beheerder'] },
          bram: {
            preferred_username: 'bram@bvo.nl',
            schakel_gemeenten: ['0384', '0363'],
            realm_access: { roles: ['schakel-jb-viewer'] },
          },
          carla: { preferred_username: 'carla@elders.nl', groups: ['somewhere-else'] },
        },
      });
      browser = await launchChromium([
        // Trust exactly the provider's key (issued by the test CA), nothing else.
        `--ignore-certificate-errors-spki-list=${idp.spkiHash}`,
      ]);
    }, 60_000);

    afterAll(async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await browser?.close();
      await g?.stop();
      await idp?.close();
      dir.remove();
    });

    /** A fresh browser at the beheer login page, which offers single sign-on only. */
    async function atLogin(): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-NL' });
      contexts.push(context);
      // Nothing leaves the machine (the provider's development pages ask for a web font).
      await context.route('**/*', (route) => {
        const host = new URL(route.request().url()).hostname;
        return host === 'localhost' || host === '127.0.0.1' ? route.continue() : route.abort();
      });
      const page = await context.newPage();
      await page.goto(`${g.url}/beheer`);
      expect(new URL(page.url()).pathname).toBe('/beheer/login');
      expect(await page.getByLabel('Wachtwoord').count()).toBe(0);
      return page;
    }

    /** Clicks "Aanmelden met Test IdP" and logs in at the provider as `account`. */
    async function ssoLogin(page: Page, account: string): Promise<void> {
      await page.getByRole('link', { name: 'Aanmelden met Test IdP' }).click();
      await page.waitForURL((u) => u.origin === idp.issuer);
      await page.locator('input[name="login"]').fill(account);
      await page.locator('input[name="password"]').fill('any-password');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.getByRole('button', { name: 'Continue' }).click();
    }

    it('a beheerder for 0363/wmo clicks single sign-on, logs in at the provider and lands in beheer with those grants', async () => {
      const page = await atLogin();
      await page.screenshot({ path: path.join(OUT, 'beheer-sso-login.png'), fullPage: true });
      // Without local users there is no password login, not even by posting the form by hand.
      const post = await page.request.post(`${g.url}/beheer/login`, { form: { name: 'anna', password: 'x' } });
      expect(post.status()).toBe(404);
      await ssoLogin(page, 'anna');
      await page.getByRole('heading', { level: 1, name: 'Overzicht' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/beheer');
      await expect(page.locator('#who').textContent()).resolves.toBe('oidc:anna@gemeente0363.nl (beheerder)');
      await expect(page.locator('#grants').textContent()).resolves.toBe('beheerder: 0363 · wmo');
      await page.getByRole('link', { name: 'Auditlog' }).waitFor();
      const session = await page.request.get(`${g.url}/api/beheer/session`);
      expect(await session.json()).toMatchObject({
        method: 'oidc',
        grants: [{ role: 'beheerder', gemeenten: ['0363'], flows: ['wmo'] }],
      });
      await page.screenshot({ path: path.join(OUT, 'beheer-sso-landed.png'), fullPage: true });
      // The claims' grants are enforced: of a 0363 and a 0384 WMO301 and a 0363 JW301 (stored as the pipeline would
      // store them, with their gemeente), only the first is hers.
      const mine = await g.gateway.store.insertMessage(
        wmo301({ berichtIdentificatie: 'SSO-1', gemeente: '0363' }),
        'test',
      );
      const other = await g.gateway.store.insertMessage(
        wmo301({ berichtIdentificatie: 'SSO-2', afzender: '0384', gemeente: '0384' }),
        'test',
      );
      const jeugd = await g.gateway.store.insertMessage(
        wmo301({ berichtIdentificatie: 'SSO-3', standard: 'ijw', messageName: 'JW301', gemeente: '0363' }),
        'test',
      );
      const list = await (await page.request.get(`${g.url}/api/beheer/berichten`)).json();
      expect(list.items.map((m: { id: string }) => m.id)).toEqual([mine.id]);
      for (const id of [other.id, jeugd.id])
        expect((await page.request.get(`${g.url}/api/beheer/berichten/${id}`)).status()).toBe(404);
      expect((await page.request.get(`${g.url}/api/beheer/berichten/${mine.id}`)).status()).toBe(200);
    });

    it('another account gets the grants its claims give: a viewer on jeugdbescherming everywhere and jeugd in 0363, 0384', async () => {
      const page = await atLogin();
      await ssoLogin(page, 'bram');
      await page.getByRole('heading', { level: 1, name: 'Overzicht' }).waitFor();
      await expect(page.locator('#who').textContent()).resolves.toBe('oidc:bram@bvo.nl (viewer)');
      await expect(page.locator('#grants').textContent()).resolves.toBe(
        'viewer: alle gemeenten · jeugdbescherming; viewer: 0363, 0384 · jeugd',
      );
      expect(await page.getByRole('link', { name: 'Auditlog' }).isVisible()).toBe(false);
    });

    it('an account whose claims map to no grant is refused, and has no session', async () => {
      const page = await atLogin();
      await ssoLogin(page, 'carla');
      const refusal = page.getByRole('alert');
      await refusal.waitFor();
      await expect(refusal.getAttribute('data-code')).resolves.toBe('OIDC_NO_GRANT');
      await expect(page.getByRole('heading', { level: 2 }).textContent()).resolves.toBe('Aanmelden geweigerd');
      expect((await page.request.get(`${g.url}/api/beheer/session`)).status()).toBe(401);
      await page.goto(`${g.url}/beheer`);
      expect(new URL(page.url()).pathname).toBe('/beheer/login');
      const refused = await g.gateway.store.listAudit({ action: 'beheer.login-refused' });
      expect(refused.some((a) => a.details.code === 'OIDC_NO_GRANT' && a.details.sub === 'carla')).toBe(true);
    });
  },
);
