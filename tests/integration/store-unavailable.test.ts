/**
 * A store that cannot be used is "cannot take responsibility" in the table "Answers per channel" (standards.md
 * §5): `POST /berichten` answers 503 STORE_UNAVAILABLE with Retry-After (not 500 INTERNAL), a SOAP request a
 * fault with Fo03 StUF058 plek server; once the store is back, the same bericht is taken.
 *
 * Made unavailable for real: the SQLite file locked by another connection (BEGIN EXCLUSIVE, so the gateway's
 * write waits out busy_timeout and gets SQLITE_BUSY), and PostgreSQL reached through a TCP relay that the test
 * shuts after start (connections cut, port closed).
 */
import net from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeExample } from '../../src/examples/examples.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { descendants, textAt } from '../../src/xml/tree.ts';
import { KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { createSchema, PG_URL, probePostgres, servicesAvailable, uniqueName } from '../helpers/services.ts';

/** The day the test gateway believes it is (tests/helpers/gateway.ts), so the examples pass TR135. */
const NOW = new Date('2026-11-01T12:00:00Z');
const wmo301 = () => makeExample('WMO301', { afzender: '0384', ontvanger: '42420001', now: NOW });

function expectStoreUnavailable(r: { status: number; headers: Headers; body: { error?: { code?: string } } }): void {
  expect([r.status, r.body.error?.code, r.headers.get('retry-after')]).toEqual([503, 'STORE_UNAVAILABLE', '5']);
}

describe('SQLite locked by another connection', () => {
  let g: TestGateway;
  let other: Database.Database;
  beforeAll(async () => {
    g = await startTestGateway();
    other = new Database(join(g.dataDir, 'schakel.sqlite'));
  });
  afterAll(async () => {
    if (other?.inTransaction) other.exec('ROLLBACK');
    other?.close();
    await g?.stop();
  });

  it('POST /berichten: 503 STORE_UNAVAILABLE with Retry-After; SOAP: fault with Fo03 StUF058 plek server; taken once the lock is gone', async () => {
    const bericht = wmo301();
    other.exec('BEGIN EXCLUSIVE');
    expectStoreUnavailable(await g.post('/berichten', bericht, KEYS.wijkteam));

    const di01 = makeExample('ggk_Di01', { now: NOW }).replace(/^<\?xml[^>]*\?>\s*/, '');
    const soap = `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${di01}</soap:Body></soap:Envelope>`;
    const fault = await g.post('/inbound/zorg', soap, KEYS.zorg, 'text/xml; charset=utf-8');
    expect(fault.status).toBe(500);
    const fo03 = descendants(parseToTree(fault.text), 'Fo03Bericht')[0];
    expect([textAt(fo03, 'body/code'), textAt(fo03, 'body/plek')]).toEqual(['StUF058', 'server']);
    expect(fault.text).not.toMatch(/SQLITE|locked|busy/i);

    other.exec('ROLLBACK');
    const taken = await g.post('/berichten', bericht, KEYS.wijkteam);
    expect(taken.status, taken.text).toBe(202);
  });
});

const pgUp = await servicesAvailable('store-unavailable (PostgreSQL)', probePostgres());

describe.skipIf(!pgUp)('PostgreSQL whose connection goes away after start', () => {
  let g: TestGateway;
  let dropSchema: () => Promise<void>;
  let relay: net.Server;
  let port: number;
  const sockets = new Set<net.Socket>();
  const target = new URL(PG_URL);

  /** A TCP relay to PostgreSQL on `port` (0: any free port). */
  const openRelay = (on: number) =>
    new Promise<void>((resolve) => {
      relay = net.createServer((client) => {
        const up = net.connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, up]) {
          sockets.add(s);
          s.on('error', () => s.destroy());
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(up).pipe(client);
      });
      relay.listen(on, '127.0.0.1', () => {
        port = (relay.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const closeRelay = () =>
    new Promise<void>((resolve) => {
      relay.close(() => resolve());
      for (const s of sockets) s.destroy();
    });

  beforeAll(async () => {
    const schema = uniqueName('store_down');
    dropSchema = await createSchema(schema);
    await openRelay(0);
    const via = new URL(PG_URL);
    via.hostname = '127.0.0.1';
    via.port = String(port);
    g = await startTestGateway({
      extraYaml: `store: { kind: postgres, url: "${via.toString()}", schema: ${schema} }\n`,
    });
  });
  afterAll(async () => {
    await g?.stop();
    if (relay?.listening) await closeRelay();
    await dropSchema?.();
  });

  it('POST /berichten: 503 STORE_UNAVAILABLE with Retry-After while PostgreSQL cannot be reached; 202 once it can', async () => {
    const bericht = wmo301();
    await closeRelay();
    expectStoreUnavailable(await g.post('/berichten', bericht, KEYS.wijkteam));
    await openRelay(port);
    const taken = await g.post('/berichten', bericht, KEYS.wijkteam);
    expect(taken.status, taken.text).toBe(202);
  });
});
