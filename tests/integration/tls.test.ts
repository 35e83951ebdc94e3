/**
 * Real TLS with a generated PKI: the gateway delivers over mutual TLS through its embedded transport and the
 * webhook adapter to local HTTPS receivers (right certificate, a certificate of another CA, a receiver with the
 * wrong OIN, an expired certificate), takes berichten from clients authenticated by their certificate's OIN,
 * and picks up replaced certificate files without a restart. Official WMO301 example, clock pinned.
 */

import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  KEYS,
  replaceOnce,
  startTestGateway,
  type TestGateway,
  withIdentificatie,
} from '../helpers/gateway.ts';
import {
  OTHER_OIN,
  OUR_OIN,
  RECEIVER_OIN,
  startTlsReceiver,
  type TestPki,
  type TlsReceiver,
  writeTestPki,
} from '../helpers/pki.ts';
import { hasReference, istandaardExample, skipReason } from '../helpers/reference.ts';

if (!hasReference) console.warn(`SKIP tls.test.ts: ${skipReason}`);

const wmo301 = (): string => istandaardExample('WMO301');

/** The example WMO301 to another Ontvanger (routes pick the destination on it) with its own Identificatie. */
function toOntvanger(ontvanger: string, identificatie: string): string {
  return withIdentificatie(replaceOnce(wmo301(), /(<wmo301:Ontvanger>)42420001(<)/, `$1${ontvanger}$2`), identificatie);
}

interface Described {
  status: string;
  attempts: { outcome: string; reason: string | null }[];
}

let pki: TestPki;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schakel-tls-'));
  pki = writeTestPki(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logLines = (g: TestGateway, msg: string) =>
  g.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);

describe.skipIf(!hasReference)('outbound mutual TLS', () => {
  let receiver: TlsReceiver;
  let wrongOinReceiver: TlsReceiver;
  let g: TestGateway;
  /** The profile "wissel" reads these copies, which the reload test replaces. */
  let swapCert: string;
  let swapKey: string;

  beforeAll(async () => {
    receiver = await startTlsReceiver({ cert: pki.server.cert, key: pki.server.key, ca: [pki.caPath] });
    wrongOinReceiver = await startTlsReceiver({
      cert: pki.serverWrongOin.cert,
      key: pki.serverWrongOin.key,
      ca: [pki.caPath],
    });
    swapCert = join(dir, 'wissel.crt');
    swapKey = join(dir, 'wissel.key');
    copyFileSync(pki.client.cert, swapCert);
    copyFileSync(pki.client.key, swapKey);
    const profile = (id: string, cert: string, key: string, ca = pki.caPath) =>
      `    - { id: ${id}, cert: "${cert}", key: "${key}", ca: ["${ca}"], expectOin: "${RECEIVER_OIN}" }`;
    g = await startTestGateway({
      maxAttempts: 2,
      routes: [
        '{ ontvanger: "11110001", destination: tls-goed }',
        '{ ontvanger: "11110002", destination: tls-andere-ca }',
        '{ ontvanger: "11110003", destination: tls-verkeerde-oin }',
        '{ ontvanger: "11110004", destination: tls-verlopen }',
        '{ ontvanger: "11110005", destination: tls-niet-vertrouwd }',
        '{ ontvanger: "11110006", destination: tls-wissel }',
      ],
      extraDestinations: [
        `{ id: tls-goed, adapter: webhook, url: "${receiver.url}/in", tlsProfile: goed }`,
        `{ id: tls-andere-ca, adapter: webhook, url: "${receiver.url}/in", tlsProfile: andere-ca }`,
        `{ id: tls-verkeerde-oin, adapter: webhook, url: "${wrongOinReceiver.url}/in", tlsProfile: goed }`,
        `{ id: tls-verlopen, adapter: webhook, url: "${receiver.url}/in", tlsProfile: verlopen }`,
        `{ id: tls-niet-vertrouwd, adapter: webhook, url: "${receiver.url}/in", tlsProfile: vertrouwt-ander }`,
        `{ id: tls-wissel, adapter: webhook, url: "${receiver.url}/in", tlsProfile: wissel }`,
      ],
      extraYaml: `
tls:
  reloadIntervalMs: 100
  profiles:
${profile('goed', pki.client.cert, pki.client.key)}
${profile('andere-ca', pki.clientOtherCa.cert, pki.clientOtherCa.key)}
${profile('verlopen', pki.clientExpired.cert, pki.clientExpired.key)}
${profile('vertrouwt-ander', pki.client.cert, pki.client.key, pki.otherCaPath)}
${profile('wissel', swapCert, swapKey)}
`,
    });
  });
  afterAll(async () => {
    await g?.stop();
    await receiver?.close();
    await wrongOinReceiver?.close();
  });

  async function send(ontvanger: string, identificatie: string): Promise<string> {
    const r = await g.post('/berichten', toOntvanger(ontvanger, identificatie), KEYS.wijkteam);
    expect(r.status, r.text).toBe(202);
    return r.body.id as string;
  }
  async function settled(id: string, status: 'delivered' | 'dead'): Promise<Described> {
    return eventually(async () => {
      const d = (await g.get(`/berichten/${id}`)).body as Described;
      expect(d.status).toBe(status);
      return d;
    });
  }
  const healthOf = async (destination: string) => {
    const h = await g.get('/healthz', null);
    expect(h.status).toBe(200);
    expect(h.body.status).toBe('ok');
    return (h.body.destinations as { destination: string; state: string; reason?: string; since?: string }[]).find(
      (d) => d.destination === destination,
    );
  };

  it("delivers with the right certificate: the receiver sees our OIN, the gateway logs the receiver's", async () => {
    const id = await send('11110001', 'TLS-GOED-1');
    await settled(id, 'delivered');
    const got = receiver.requests.find((r) => r.headers['x-schakel-id'] === id);
    expect(got?.clientOin).toBe(OUR_OIN);
    // The log line follows the store's record of the delivery.
    await eventually(() =>
      expect(logLines(g, 'delivered').find((l) => l.messageId === id)).toMatchObject({
        destination: 'tls-goed',
        receiverOin: RECEIVER_OIN,
      }),
    );
    expect(await healthOf('tls-goed')).toEqual({ destination: 'tls-goed', state: 'healthy', tlsProfile: 'goed' });
  });

  it.each([
    [
      '11110002',
      'tls-andere-ca',
      'our certificate is of a CA the receiver does not trust',
      /^TLS refused: .*(alert unknown ca|does not accept the client certificate of profile "andere-ca")/i,
    ],
    [
      '11110003',
      'tls-verkeerde-oin',
      'the receiver shows another OIN',
      new RegExp(
        `^TLS refused: receiver certificate carries OIN ${OTHER_OIN}, profile "goed" expects ${RECEIVER_OIN}$`,
      ),
    ],
    [
      '11110004',
      'tls-verlopen',
      'our certificate expired',
      /^TLS profile unusable: profile verlopen: certificate expired on 20\d\d-\d\d-\d\dT/,
    ],
    [
      '11110005',
      'tls-niet-vertrouwd',
      "we do not trust the receiver's CA",
      /^TLS refused: .*\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)$/,
    ],
  ])(
    'refuses when %s (%s: %s), marks only that destination unhealthy',
    async (ontvanger, destination, _why, reason) => {
      const before = receiver.requests.length;
      const id = await send(ontvanger, `TLS-FOUT-${ontvanger.slice(-1)}`);
      const d = await settled(id, 'dead');
      expect(d.attempts).toHaveLength(2);
      for (const a of d.attempts) {
        expect(a.outcome).toBe('retry');
        expect(a.reason).toMatch(reason);
      }
      expect(receiver.requests.length).toBe(before);
      expect(wrongOinReceiver.requests).toHaveLength(0);
      const health = await healthOf(destination);
      expect(health).toMatchObject({ state: 'unhealthy', reason: expect.stringMatching(reason) });
      expect(Date.parse(health!.since!)).not.toBeNaN();

      // Another destination keeps delivering meanwhile.
      const other = await send('11110001', `TLS-OK-${ontvanger.slice(-1)}`);
      await settled(other, 'delivered');
      expect(await healthOf('tls-goed')).toMatchObject({ state: 'healthy' });
    },
  );

  it('shows the certificate profiles in /healthz and the days-left metric', async () => {
    const h = await g.get('/healthz', null);
    const byProfile = Object.fromEntries((h.body.certificates as { profile: string }[]).map((c) => [c.profile, c]));
    expect(byProfile.goed).toMatchObject({
      usable: true,
      oin: OUR_OIN,
      usedBy: ['tls-goed', 'tls-verkeerde-oin'],
      expiresSoon: false,
    });
    expect(byProfile.verlopen).toMatchObject({
      usable: false,
      problem: expect.stringMatching(/certificate expired on/),
    });
    const metrics = await g.gateway.metrics.render();
    expect(metrics.text).toMatch(/schakel_certificate_days_left\{certificate="goed"\} 36[45]/);
    expect(metrics.text).toMatch(/schakel_certificate_days_left\{certificate="verlopen"\} -3[5-6]/);
  });

  it('picks up replaced certificate files without a restart (the reload interval)', async () => {
    const first = await send('11110006', 'TLS-WISSEL-1');
    await settled(first, 'delivered');
    const firstFingerprint = receiver.requests.find((r) => r.headers['x-schakel-id'] === first)?.clientFingerprint256;
    expect(firstFingerprint).toBe(new X509Certificate(pki.client.issued.certPem).fingerprint256);

    // Key first, then certificate: in between the files do not match and the old certificate stays in use.
    copyFileSync(pki.clientExpiringSoon.key, swapKey);
    copyFileSync(pki.clientExpiringSoon.cert, swapCert);
    const renewed = new X509Certificate(pki.clientExpiringSoon.issued.certPem).fingerprint256;
    await eventually(() =>
      logLines(g, 'certificate profile reloaded: new certificate in use').some((l) => l.fingerprint256 === renewed),
    );

    const second = await send('11110006', 'TLS-WISSEL-2');
    await settled(second, 'delivered');
    expect(receiver.requests.find((r) => r.headers['x-schakel-id'] === second)?.clientFingerprint256).toBe(renewed);
    expect(logLines(g, 'certificate expires soon').some((l) => l.profile === 'wissel')).toBe(true);
  });
});

/** One HTTPS request to the gateway with a client certificate (or none); a fresh connection every time. */
function httpsPost(
  url: string,
  path: string,
  body: string,
  client: { cert: string; key: string } | null,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; serverFingerprint256: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${url}${path}`,
      {
        method: 'POST',
        agent: false,
        ca: readFileSync(pki.caPath),
        ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
        headers: { 'content-type': 'application/xml', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        const serverFingerprint256 = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            body: text.startsWith('{') ? JSON.parse(text) : text,
            serverFingerprint256,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe.skipIf(!hasReference)('inbound mutual TLS', () => {
  let g: TestGateway;
  let serverCert: string;
  let serverKey: string;

  const start = async (clientCertificates: 'optional' | 'required') => {
    serverCert = join(dir, `web-${clientCertificates}.crt`);
    serverKey = join(dir, `web-${clientCertificates}.key`);
    copyFileSync(pki.server.cert, serverCert);
    copyFileSync(pki.server.key, serverKey);
    return startTestGateway({
      serverTls: { profile: 'web', clientCertificates },
      extraCallers: [`{ id: systeem-oin, oins: ["${OUR_OIN}"], afzenders: ["0384"], messages: ["*"] }`],
      extraYaml: `
tls:
  profiles:
    - { id: web, cert: "${serverCert}", key: "${serverKey}", ca: ["${pki.caPath}"] }
`,
    });
  };

  describe('clientCertificates: required', () => {
    beforeAll(async () => {
      g = await start('required');
    });
    afterAll(async () => g?.stop());

    it("accepts a client whose certificate OIN belongs to a caller, with that caller's permissions, and logs the OIN", async () => {
      expect(g.url).toMatch(/^https:/);
      const r = await httpsPost(g.url, '/berichten', withIdentificatie(wmo301(), 'MTLS-IN-1'), pki.client);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      const accepted = logLines(g, 'client certificate accepted');
      expect(accepted.at(-1)).toMatchObject({ oin: OUR_OIN, caller: 'systeem-oin' });
      const stored = await g.gateway.store.getMessage(r.body.id as string);
      expect(stored?.source).toEqual({ kind: 'caller', id: 'systeem-oin' });

      // The caller's Afzender permission holds as for an API key: 0363 is not this caller's.
      const foreign = replaceOnce(withIdentificatie(wmo301(), 'MTLS-IN-2'), /(<wmo301:Afzender>)0384(<)/, '$10363$2');
      const refused = await httpsPost(g.url, '/berichten', foreign, pki.client);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('AFZENDER_NOT_ALLOWED');
    });

    it('refuses the handshake for a certificate of another CA, and for none', async () => {
      await expect(httpsPost(g.url, '/berichten', wmo301(), pki.clientOtherCa)).rejects.toMatchObject({
        code: expect.stringMatching(/^(ERR_SSL_|ECONNRESET$|EPIPE$)/),
      });
      await expect(
        httpsPost(g.url, '/berichten', wmo301(), null, { authorization: `Bearer ${KEYS.wijkteam}` }),
      ).rejects.toMatchObject({
        code: expect.stringMatching(/^(ERR_SSL_|ECONNRESET$|EPIPE$)/),
      });
    });

    it('answers 403 OIN_UNKNOWN for a trusted certificate whose OIN belongs to nobody', async () => {
      const r = await httpsPost(g.url, '/berichten', withIdentificatie(wmo301(), 'MTLS-IN-3'), pki.clientUnknownOin, {
        authorization: `Bearer ${KEYS.wijkteam}`,
      });
      expect(r.status).toBe(403);
      expect(r.body.error).toMatchObject({
        code: 'OIN_UNKNOWN',
        message: `OIN ${OTHER_OIN} of the client certificate is not allowed here`,
      });
    });

    it('serves a replaced server certificate after SIGHUP, without a restart', async () => {
      const before = await httpsPost(g.url, '/berichten', withIdentificatie(wmo301(), 'MTLS-IN-4'), pki.client);
      expect(before.serverFingerprint256).toBe(new X509Certificate(pki.server.issued.certPem).fingerprint256);
      copyFileSync(pki.serverWrongOin.key, serverKey);
      copyFileSync(pki.serverWrongOin.cert, serverCert);
      process.kill(process.pid, 'SIGHUP');
      await eventually(() => logLines(g, 'SIGHUP: certificate profiles reloaded').length > 0);
      const after = await httpsPost(g.url, '/berichten', withIdentificatie(wmo301(), 'MTLS-IN-5'), pki.client);
      expect(after.status).toBe(202);
      expect(after.serverFingerprint256).toBe(new X509Certificate(pki.serverWrongOin.issued.certPem).fingerprint256);
    });
  });

  describe('clientCertificates: optional', () => {
    beforeAll(async () => {
      g = await start('optional');
    });
    afterAll(async () => g?.stop());

    it('still takes API keys without a certificate, and the OIN with one', async () => {
      const byKey = await httpsPost(g.url, '/berichten', withIdentificatie(wmo301(), 'MTLS-OPT-1'), null, {
        authorization: `Bearer ${KEYS.wijkteam}`,
      });
      expect(byKey.status).toBe(202);
      const byOin = await httpsPost(g.url, '/berichten', withIdentificatie(wmo301(), 'MTLS-OPT-2'), pki.client);
      expect(byOin.status).toBe(202);
      const none = await httpsPost(g.url, '/berichten', withIdentificatie(wmo301(), 'MTLS-OPT-3'), null);
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('UNAUTHENTICATED');
    });

    it('answers 401 CLIENT_CERTIFICATE_UNTRUSTED for a certificate of another CA, even with a valid API key', async () => {
      const r = await httpsPost(g.url, '/berichten', withIdentificatie(wmo301(), 'MTLS-OPT-4'), pki.clientOtherCa, {
        authorization: `Bearer ${KEYS.wijkteam}`,
      });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('CLIENT_CERTIFICATE_UNTRUSTED');
    });
  });
});
