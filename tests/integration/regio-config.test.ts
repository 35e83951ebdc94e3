/**
 * config/regio.yaml (issue #15): check-config accepts it, and the gateway started on it keeps its three
 * gemeenten apart: each demo user sees exactly the berichten of their grants.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseConfig } from '../../src/config/load.ts';
import { DEMO_KEYS, postBericht } from '../../src/examples/demo-parties.ts';
import { makeExample } from '../../src/examples/examples.ts';
import { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { loginBeheer } from '../helpers/beheer-client.ts';
import { hasReference, skipReason } from '../helpers/reference.ts';

const REGIO = fileURLToPath(new URL('../../config/regio.yaml', import.meta.url));
/** The demo passwords written next to each user in config/regio.yaml. */
const PASSWORDS: Record<string, string> = Object.fromEntries(
  [...readFileSync(REGIO, 'utf8').matchAll(/# Demo password: (\S+)\n\s+- name: (\S+)/g)].map((m) => [m[2]!, m[1]!]),
);
const TODAY = new Date('2026-11-01T12:00:00');

describe.skipIf(!hasReference)(`config/regio.yaml${hasReference ? '' : ` (${skipReason})`}`, () => {
  let gateway: Gateway;
  let url = '';
  let dataDir = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'schakel-regio-'));
    // Nobody listens on the demo parties' port: deliveries wait and retry, which is all this test needs.
    const text = readFileSync(REGIO, 'utf8').replaceAll('127.0.0.1:8081', '127.0.0.1:9');
    const config = parseConfig(text, REGIO, { env: { PORT: '0', SCHAKEL_DATA_DIR: dataDir } });
    gateway = new Gateway({ config, logger: createLogger({ level: 'silent', name: 'schakel' }), today: () => TODAY });
    await gateway.start();
    url = `http://127.0.0.1:${gateway.port}`;
    const send = async (key: string, name: string, afzender: string, extra: { ontvanger?: string } = {}) => {
      const r = await postBericht(
        `${url}/berichten`,
        DEMO_KEYS.wijkteam,
        makeExample(name, { now: TODAY, afzender, ...extra }),
      );
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      ids[key] = r.body.id as string;
    };
    await send('wmo0363', 'WMO301', '0363');
    await send('wmo0384', 'WMO301', '0384');
    await send('jeugd0437', 'JW301', '0437', { ontvanger: '65656055' });
    await send('pgb0437', 'WMO501', '0437');
    await send('eb0384', 'WMO405', '0384');
    await send('jb0363', 'vtoDi01', '0363');
  });

  afterAll(async () => {
    await gateway?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('passes check-config', async () => {
    let out = '';
    const sink = new (await import('node:stream')).Writable({
      write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()),
    });
    const code = await main(['check-config', REGIO], { out: sink, err: sink, in: process.stdin });
    expect(code, out).toBe(0);
    expect(out).toMatch(/regio\.yaml: OK/);
  });

  it('has a demo password for each of its five users', () => {
    expect(Object.keys(PASSWORDS).sort()).toEqual([
      'beheer-0363',
      'beheer-0437',
      'bvo-declaraties',
      'jb-kijker',
      'regio-beheer',
    ]);
  });

  const seenBy = async (user: string) => {
    const c = await loginBeheer(url, user, PASSWORDS[user]!);
    const r = await c.call('GET', '/api/beheer/berichten?limit=100');
    expect(r.status).toBe(200);
    const byId = new Map(Object.entries(ids).map(([k, v]) => [v, k]));
    return { client: c, seen: (r.body.items as { id: string }[]).map((i) => byId.get(i.id)).sort() };
  };

  it('each user sees exactly the berichten of their grants', async () => {
    expect((await seenBy('regio-beheer')).seen).toEqual(Object.keys(ids).sort());
    expect((await seenBy('bvo-declaraties')).seen).toEqual(['jeugd0437', 'wmo0363', 'wmo0384']);
    expect((await seenBy('beheer-0363')).seen).toEqual(['jb0363', 'wmo0363']);
    expect((await seenBy('beheer-0437')).seen).toEqual(['jeugd0437', 'pgb0437']);
    expect((await seenBy('jb-kijker')).seen).toEqual(['jb0363']);
  });

  it('beheer-0363 sees the VTO of 0363 but may not open it; it opens its own Wmo bericht', async () => {
    const { client } = await seenBy('beheer-0363');
    expect((await client.call('GET', `/api/beheer/berichten/${ids.jb0363}/body`)).status).toBe(403);
    expect((await client.call('GET', `/api/beheer/berichten/${ids.wmo0363}/body`)).status).toBe(200);
    expect((await client.call('GET', `/api/beheer/berichten/${ids.wmo0384}`)).status).toBe(404);
    // A bulk action by ids: its own bericht is taken, the VTO it may only view and the 0384 one are refused.
    const job = await client.call(
      'POST',
      '/api/beheer/jobs',
      { action: 'hold', ids: [ids.wmo0363, ids.jb0363, ids.wmo0384] },
      { 'x-csrf-token': client.csrf },
    );
    expect(job.status).toBe(202);
    expect(job.body.total).toBe(1);
    expect(job.body.refused).toEqual([
      { id: ids.jb0363, reason: 'forbidden' },
      { id: ids.wmo0384, reason: 'not-found' },
    ]);
    const denied = await gateway.store.listAudit({ actor: 'beheer:beheer-0363', action: 'beheer.access-denied' });
    expect(denied.map((a) => a.targetId)).toEqual(expect.arrayContaining([ids.jb0363, ids.wmo0384]));
    // Its jobs are its own; the region's metrics are not for a partial grant.
    expect((await client.call('GET', `/api/beheer/jobs/${job.body.jobId}`)).status).toBe(200);
    const other = await seenBy('beheer-0437');
    expect((await other.client.call('GET', `/api/beheer/jobs/${job.body.jobId}`)).status).toBe(404);
    expect((await other.client.call('GET', '/api/beheer/jobs')).body.jobs).toEqual([]);
    expect((await client.call('GET', '/metrics')).status).toBe(401);
    const audit = await client.call('GET', '/api/beheer/audit');
    expect([audit.status, audit.body.error.code]).toEqual([403, 'ROLE_FORBIDDEN']);
    const bvo = await seenBy('bvo-declaraties');
    const overview = await bvo.client.call('GET', '/api/beheer/overzicht');
    expect(overview.body.gemeenten.map((g: { gemeente: string; flows: object }) => [g.gemeente, g.flows])).toEqual([
      ['0363', { wmo: 1 }],
      ['0384', { wmo: 1 }],
      ['0437', { jeugd: 1 }],
    ]);
    const admin = await seenBy('regio-beheer');
    expect((await admin.client.call('GET', '/metrics')).text).toMatch(/schakel_messages_total\{[^}]*gemeente="0437"/);
  });
});
