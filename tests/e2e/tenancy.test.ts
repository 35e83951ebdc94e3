/**
 * Issue #15, tenancy, in a real browser (Debian's chromium through playwright-core) against a real gateway: a
 * user granted only gemeente 0363 on flow wmo sees only those berichten in every list and count, cannot open a
 * bericht of 0384 or of jeugdbescherming through the page or the API (404, audited), and a bulk resend of "all
 * dead" touches only the berichten the grant covers. The berichten are made with the project's example
 * builders and posted through the gateway, so their gemeente and flow come from the pipeline itself.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeExample } from '../../src/examples/examples.ts';
import { hashPassword } from '../../src/security/passwords.ts';
import type { MessageStatus } from '../../src/store/types.ts';
import { chromiumMissing, launchChromium } from '../helpers/browser.ts';
import { DEFAULT_ROUTES, eventually, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { hasReference, skipReason } from '../helpers/reference.ts';

const TODAY = new Date('2026-11-01T12:00:00');
const USERS = {
  /** Beheerder of gemeente 0363 on wmo only. */
  wmo0363: { name: 'wmo-0363', password: 'wmo-0363-wachtwoord-1' },
  /** Viewer of jeugdbescherming in every gemeente. */
  jb: { name: 'jb-kijker', password: 'jb-kijker-wachtwoord-1' },
  /** Beheerder of everything (role only). */
  admin: { name: 'anna', password: 'anna-wachtwoord-1' },
};

let browser: Browser;
let g: TestGateway;
let receiver: Receiver;
let receiverUp = false;
const contexts: BrowserContext[] = [];
/** The posted berichten by what they are. */
const ids = { wmo0363a: '', wmo0363b: '', wmo0384: '', jeugd0363: '', jb0363: '' };

const statusOf = async (id: string): Promise<MessageStatus | undefined> =>
  (await g.gateway.store.getMessage(id))?.status;

async function post(xml: string, key: string, path = '/berichten'): Promise<string> {
  const r = await g.post(path, xml, key);
  expect(r.status, r.text).toBe(202);
  return r.body.id as string;
}

async function loggedIn(user: { name: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-NL' });
  contexts.push(context);
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${g.url}/beheer`);
  await page.getByLabel('Gebruikersnaam').fill(user.name);
  await page.getByLabel('Wachtwoord').fill(user.password);
  await page.getByRole('button', { name: 'Aanmelden' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overzicht' }).waitFor();
  return page;
}

async function apiJson(page: Page, path: string) {
  const r = await page.request.get(`${g.url}/api/beheer${path}`);
  return { status: r.status(), body: (await r.json()) as any };
}

async function csrfToken(page: Page): Promise<string> {
  return (await apiJson(page, '/session')).body.csrfToken as string;
}

const deniedFor = async (user: string) =>
  (await g.gateway.store.listAudit({ actor: `beheer:${user}`, action: 'beheer.access-denied', limit: 100 })).map(
    (a) => a.targetId,
  );

const browserSkip = !hasReference ? skipReason : chromiumMissing;
if (browserSkip) console.warn(`SKIPPED e2e/tenancy: ${browserSkip}`);

describe.skipIf(browserSkip !== '')(`tenancy in the browser${browserSkip ? ` (${browserSkip})` : ''}`, () => {
  beforeAll(async () => {
    receiver = await startReceiver(() =>
      receiverUp ? { status: 200, body: 'ontvangen' } : { status: 503, body: 'Ontvanger in onderhoud' },
    );
    const base = receiver.url;
    const hashes = await Promise.all(Object.values(USERS).map((u) => hashPassword(u.password)));
    const [wmoHash, jbHash, adminHash] = hashes;
    g = await startTestGateway({
      destinations: {
        zorg: `${base}/zorg`,
        jeugd: `${base}/jeugd`,
        gemeenteRetour: `${base}/retour`,
        gemeenteInbox: `${base}/inbox`,
      },
      maxAttempts: 1,
      today: () => TODAY,
      routes: [
        ...DEFAULT_ROUTES,
        '{ standard: ijw, direction: heen, ontvanger: "65656055", destination: jeugd }',
        '{ standard: stuf-jz, destination: gemeente-inbox }',
      ],
      extraYaml: `beheer:
  users:
    - name: ${USERS.wmo0363.name}
      grants: [{ role: beheerder, gemeenten: ["0363"], flows: [wmo] }]
      passwordHash: "${wmoHash}"
    - name: ${USERS.jb.name}
      grants: [{ role: viewer, gemeenten: "*", flows: [jeugdbescherming] }]
      passwordHash: "${jbHash}"
    - { name: ${USERS.admin.name}, role: beheerder, passwordHash: "${adminHash}" }
metrics:
  gemeenteLabels: ["0363"]
`,
    });
    const at = { now: TODAY };
    ids.wmo0363a = await post(makeExample('WMO301', { ...at, afzender: '0363' }), KEYS.andereGemeente);
    ids.wmo0363b = await post(makeExample('WMO301', { ...at, afzender: '0363' }), KEYS.andereGemeente);
    ids.wmo0384 = await post(makeExample('WMO301', { ...at, afzender: '0384' }), KEYS.wijkteam);
    ids.jeugd0363 = await post(
      makeExample('JW301', { ...at, afzender: '0363', ontvanger: '65656055' }),
      KEYS.andereGemeente,
    );
    ids.jb0363 = await post(makeExample('vtoDi01', { ...at, afzender: '0363' }), KEYS.andereGemeente);
    // The receiver is down and there is one attempt: every one of them is dead.
    await eventually(async () => {
      const statuses = await Promise.all(Object.values(ids).map(statusOf));
      return statuses.every((s) => s === 'dead');
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await g?.stop();
    await receiver?.close();
  });

  it('stores the gemeente and flow the pipeline derives from each bericht', async () => {
    const facts = async (id: string) => {
      const m = (await g.gateway.store.getMessage(id))!;
      return [m.gemeente, m.flow];
    };
    expect(await facts(ids.wmo0363a)).toEqual(['0363', 'wmo']);
    expect(await facts(ids.wmo0384)).toEqual(['0384', 'wmo']);
    expect(await facts(ids.jeugd0363)).toEqual(['0363', 'jeugd']);
    expect(await facts(ids.jb0363)).toEqual(['0363', 'jeugdbescherming']);
  });

  it('a user granted 0363 / wmo sees only those berichten in every list and count', async () => {
    const page = await loggedIn(USERS.wmo0363);
    // Overview: the destination row counts its two dead berichten, not the 0384 one; one gemeente row.
    const zorg = page.getByRole('table', { name: 'Berichten per bestemming' }).getByRole('row', { name: /^zorg/ });
    await zorg.getByRole('link', { name: '2' }).waitFor();
    const perGemeente = page.getByRole('table', { name: 'Berichten per gemeente' });
    await perGemeente.waitFor();
    expect(await perGemeente.getByRole('row').count()).toBe(2); // header + 0363
    expect(await perGemeente.textContent()).not.toContain('0384');
    const jeugdRow = page.getByRole('table', { name: 'Berichten per bestemming' }).getByRole('row', { name: /^jeugd/ });
    expect(await jeugdRow.getByRole('link').count()).toBe(0);

    // The search list of every dead bericht: the two granted ones only.
    await page.goto(`${g.url}/beheer#/zoeken?status=dead`);
    await page.getByText('2 berichten gevonden').waitFor();
    const listed = await page
      .locator('a[href^="#/bericht/"]')
      .evaluateAll((as) => as.map((a) => (a.getAttribute('href') ?? '').replace('#/bericht/', '')));
    expect(new Set(listed)).toEqual(new Set([ids.wmo0363a, ids.wmo0363b]));

    // The API agrees, in the list, the counts, the overview per gemeente and the alerts.
    const list = await apiJson(page, '/berichten?limit=100');
    expect(list.body.total).toBe(2);
    expect(
      list.body.items.every((i: { gemeente: string; flow: string }) => i.gemeente === '0363' && i.flow === 'wmo'),
    ).toBe(true);
    const overview = await apiJson(page, '/overzicht');
    expect(overview.body.totals.dead).toBe(2);
    expect(overview.body.gemeenten).toEqual([
      expect.objectContaining({ gemeente: '0363', total: 2, flows: { wmo: 2 } }),
    ]);
    const deadAlerts = overview.body.alerts.filter((a: { alert: string }) => a.alert === 'dead-letters');
    expect(deadAlerts.map((a: { destination: string; text: string }) => [a.destination, a.text])).toEqual([
      ['zorg', '2 berichten zijn onbestelbaar'],
    ]);
    // Filtering on another gemeente or flow finds nothing, it does not widen the grant.
    expect((await apiJson(page, '/berichten?gemeente=0384')).body.total).toBe(0);
    expect((await apiJson(page, '/berichten?flow=jeugdbescherming')).body.total).toBe(0);
  });

  it('cannot open a bericht of 0384 nor a jeugdbescherming one, by page or API; each refusal is audited', async () => {
    const page = await loggedIn(USERS.wmo0363);
    for (const id of [ids.wmo0384, ids.jb0363]) {
      await page.goto(`${g.url}/beheer#/bericht/${id}`);
      await page.getByRole('heading', { level: 1, name: 'Fout' }).waitFor();
      expect(await page.content()).not.toContain('vtoDi01');
      const detail = await apiJson(page, `/berichten/${id}`);
      expect([detail.status, detail.body.error.code]).toEqual([404, 'NOT_FOUND']);
      const body = await page.request.get(`${g.url}/api/beheer/berichten/${id}/body`);
      expect(body.status()).toBe(404);
    }
    // Its own bericht opens, body included.
    await page.goto(`${g.url}/beheer#/bericht/${ids.wmo0363a}`);
    await page.getByRole('button', { name: 'Inhoud tonen' }).click();
    await expect(page.getByLabel('Inhoud van het bericht').textContent()).resolves.toContain('wmo301:Bericht');

    const denied = await deniedFor(USERS.wmo0363.name);
    expect(denied.filter((t) => t === ids.wmo0384).length).toBeGreaterThanOrEqual(2);
    expect(denied.filter((t) => t === ids.jb0363).length).toBeGreaterThanOrEqual(2);
    // A BSN search reads only the bodies of granted berichten: every example carries the same BSN.
    const token = await csrfToken(page);
    const bsn = await page.request.post(`${g.url}/api/beheer/berichten/zoeken`, {
      headers: { 'x-csrf-token': token },
      data: { bsn: '999990019' },
    });
    const found = (await bsn.json()) as { items: { id: string }[] };
    expect(found.items.every((i) => i.id === ids.wmo0363a || i.id === ids.wmo0363b)).toBe(true);
  });

  it('a jeugdbescherming viewer sees that bericht but may not open its body (403, audited)', async () => {
    const page = await loggedIn(USERS.jb);
    const list = await apiJson(page, '/berichten?limit=100');
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([ids.jb0363]);
    expect((await apiJson(page, `/berichten/${ids.jb0363}`)).body.canOpenBody).toBe(false);
    const body = await page.request.get(`${g.url}/api/beheer/berichten/${ids.jb0363}/body`);
    expect(body.status()).toBe(403);
    expect(await deniedFor(USERS.jb.name)).toContain(ids.jb0363);
  });

  it('a bulk resend of "all dead" touches only the granted berichten; out-of-scope ids are refused one by one', async () => {
    const page = await loggedIn(USERS.wmo0363);
    const token = await csrfToken(page);
    const byIds = await page.request.post(`${g.url}/api/beheer/jobs`, {
      headers: { 'x-csrf-token': token },
      data: { action: 'cancel', ids: [ids.wmo0384, ids.jb0363] },
    });
    expect(byIds.status()).toBe(202);
    const refused = (await byIds.json()) as { total: number; refused: { id: string; reason: string }[] };
    expect(refused.total).toBe(0);
    expect(refused.refused).toEqual([
      { id: ids.wmo0384, reason: 'not-found' },
      { id: ids.jb0363, reason: 'not-found' },
    ]);

    receiverUp = true;
    await page.goto(`${g.url}/beheer#/zoeken?status=dead`);
    await page.getByText('2 berichten gevonden').waitFor();
    await page.getByLabel('Alle 2 resultaten van dit filter').check();
    await page.getByRole('button', { name: 'Opnieuw versturen' }).click();
    const done = page.locator('.progress-text[data-done="true"]');
    await done.waitFor({ timeout: 60_000 });
    expect(await done.textContent()).toBe('Klaar. 2 van 2 verwerkt: 2 gelukt, 0 mislukt.');
    await eventually(
      async () => (await statusOf(ids.wmo0363a)) === 'delivered' && (await statusOf(ids.wmo0363b)) === 'delivered',
    );
    // The others are still dead, untouched.
    for (const id of [ids.wmo0384, ids.jeugd0363, ids.jb0363]) expect(await statusOf(id)).toBe('dead');
    const resent = await g.gateway.store.listAudit({ action: 'message.resend', limit: 100 });
    expect(new Set(resent.map((a) => a.targetId))).toEqual(new Set([ids.wmo0363a, ids.wmo0363b]));
  });

  it('a beheerder of everything still sees every bericht and every gemeente', async () => {
    const page = await loggedIn(USERS.admin);
    const list = await apiJson(page, '/berichten?limit=100');
    expect(list.body.total).toBe(5);
    const gemeenten = (await apiJson(page, '/overzicht')).body.gemeenten.map((r: { gemeente: string }) => r.gemeente);
    expect(gemeenten).toEqual(['0363', '0384']);
  });

  it('a rejected bericht keeps its gemeente; the counters carry a bounded gemeente label', async () => {
    const bad = await g.post(
      '/berichten',
      makeExample('WMO301', { now: TODAY, afzender: '0384', invalid: 'XSD' }),
      KEYS.wijkteam,
    );
    expect(bad.status).toBe(422);
    const rejected = await g.gateway.store.listMessages({ status: 'rejected' });
    expect(rejected.items.map((m) => [m.gemeente, m.flow])).toEqual([['0384', 'wmo']]);
    const page = await loggedIn(USERS.admin);
    const text = await (await page.request.get(`${g.url}/metrics`)).text();
    expect(text).toMatch(
      /schakel_messages_total\{standard="iwmo",message="WMO301",gemeente="0363",outcome="accepted"\} 2/,
    );
    expect(text).toMatch(
      /schakel_messages_total\{standard="iwmo",message="WMO301",gemeente="other",outcome="accepted"\} 1/,
    );
    expect(text).toMatch(
      /schakel_rejected_total\{standard="iwmo",message="WMO301",gemeente="other",code="XSD_INVALID"\} 1/,
    );
    expect(text).not.toContain('gemeente="0384"');
  });
});
