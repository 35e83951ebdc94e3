/**
 * Embedded (SQLite) beheer state across a restart (issue 15 part 3): a beheerder stays logged in when the single
 * instance restarts, a finished bulk job is still there with its results, and the database files hold the
 * session cookie only as its hash.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { beheerUsersYaml, loginBeheer } from '../helpers/beheer-client.ts';
import { eventually, KEYS, testConfigYaml, withIdentificatie } from '../helpers/gateway.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { hasReference, istandaardExample, skipReason } from '../helpers/reference.ts';

const ANNA = { password: 'anna-wachtwoord-lang-genoeg', role: 'beheerder' };

describe.skipIf(!hasReference)(
  `beheer state of the embedded gateway across a restart${hasReference ? '' : ` (${skipReason})`}`,
  () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'schakel-beheer-restart-'));
    let receiver: Receiver;
    let gateway: Gateway | null = null;

    afterAll(async () => {
      await gateway?.stop();
      await receiver?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    async function start(): Promise<string> {
      const to = `${receiver.url}/in`;
      const yaml = testConfigYaml({
        dataDir,
        destinations: { zorg: to, jeugd: to, gemeenteRetour: to, gemeenteInbox: to },
        extraYaml: await beheerUsersYaml({ anna: ANNA }),
      });
      gateway = new Gateway({
        config: parseConfig(yaml, join(dataDir, 'test.yaml'), { env: {} }),
        logger: createLogger({ level: 'silent' }),
      });
      await gateway.start();
      return `http://127.0.0.1:${gateway.port}`;
    }

    it('the session, its CSRF token and a finished job survive a restart; the files hold no cookie', async () => {
      receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
      let url = await start();
      const posted = await fetch(`${url}/berichten`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.wijkteam}`, 'content-type': 'application/xml' },
        body: withIdentificatie(istandaardExample('WMO301'), 'RESTART-1'),
      });
      expect(posted.status).toBe(202);
      const id = ((await posted.json()) as { id: string }).id;
      const anna = await loginBeheer(url, 'anna', ANNA.password);
      await eventually(async () => (await anna.call('GET', `/api/beheer/berichten/${id}`)).body.status === 'delivered');
      const started = await anna.call(
        'POST',
        '/api/beheer/jobs',
        { action: 'resend', ids: [id] },
        { 'x-csrf-token': anna.csrf },
      );
      expect(started.status, started.text).toBe(202);
      const jobId = started.body.jobId as string;
      await eventually(async () => (await anna.call('GET', `/api/beheer/jobs/${jobId}`)).body.state === 'done');

      await gateway!.stop();
      gateway = null;
      const cookieValue = decodeURIComponent(anna.cookie.slice(anna.cookie.indexOf('=') + 1));
      for (const f of ['schakel.sqlite', 'schakel.sqlite-wal'].map((n) => join(dataDir, n)).filter(existsSync)) {
        expect(readFileSync(f).includes(cookieValue), f).toBe(false);
      }

      url = await start();
      const again = async (method: string, path: string, body?: unknown) => {
        const r = await fetch(url + path, {
          method,
          headers: {
            cookie: anna.cookie,
            'x-csrf-token': anna.csrf,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        return { status: r.status, body: (await r.json()) as any };
      };
      const session = await again('GET', '/api/beheer/session');
      expect(session.status).toBe(200);
      expect(session.body).toMatchObject({ user: 'anna', csrfToken: anna.csrf });
      const job = await again('GET', `/api/beheer/jobs/${jobId}`);
      expect(job.status).toBe(200);
      expect(job.body).toMatchObject({ state: 'done', total: 1, done: 1, ok: 1 });
      expect(job.body.results).toEqual([{ id, ok: true, status: 'queued' }]);
      // The CSRF token still guards state changes: a job with it is accepted.
      const second = await again('POST', '/api/beheer/jobs', { action: 'cancel', ids: [id] });
      expect(second.status).toBe(202);
    }, 120_000);
  },
);
