/**
 * Certificate profiles: loading PEM and PKCS#12 files made by node-forge (and by OpenSSL when it is installed),
 * the specific errors, the registry that reloads from disk and keeps the last good state, and the configuration
 * of profiles, destinations, server TLS and OIN-authenticated callers.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.ts';
import type { DestinationConfig, TlsProfileConfig } from '../../src/config/schema.ts';
import { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { CertificateError, daysUntilExpiry, loadProfile, validityProblem } from '../../src/security/certificates.ts';
import { TlsHealth } from '../../src/security/tls-health.ts';
import { TlsProfiles } from '../../src/security/tls-profiles.ts';
import { OUR_OIN, RECEIVER_OIN, type TestPki, toPkcs12, writeTestPki } from '../helpers/pki.ts';

let pki: TestPki;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schakel-pki-'));
  pki = writeTestPki(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pem = (
  id: string,
  paths: { cert: string; key: string },
  extra: Partial<TlsProfileConfig> = {},
): TlsProfileConfig => ({
  id,
  cert: paths.cert,
  key: paths.key,
  ca: [pki.caPath],
  ...extra,
});

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CertificateError);
    return (e as Error).message;
  }
  throw new Error('expected a CertificateError');
};

describe('loadProfile', () => {
  it('reads a PEM certificate and key: our OIN, validity, chain, trusted CAs', () => {
    const p = loadProfile(pem('ggk-prod', pki.client, { expectOin: RECEIVER_OIN }), {});
    expect(p.certificate.oin).toBe(OUR_OIN);
    expect(p.certificate.subject).toContain('CN=gemeente.test');
    expect(p.certificate.issuer).toContain('CN=Schakel Test Root CA');
    expect(p.certificate.notAfter.getTime()).toBe(
      pki.client.issued.cert.validity.notAfter.getTime() - (pki.client.issued.cert.validity.notAfter.getTime() % 1000),
    );
    expect(p.certificate.notBefore < new Date()).toBe(true);
    expect(p.ca).toHaveLength(1);
    expect(p.expectOin).toBe(RECEIVER_OIN);
    expect(p.key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(validityProblem(p.certificate, new Date())).toBeUndefined();
  });

  it('reads a PKCS#12 file with the passphrase from the named environment variable; the leaf comes first', () => {
    const file = join(dir, 'client.p12');
    writeFileSync(file, toPkcs12(pki.client.issued, 'p12-geheim', [pki.ca]));
    const p = loadProfile(
      { id: 'p12', pkcs12: file, passphraseEnv: 'SCHAKEL_P12_PASS', ca: [pki.caPath] },
      { SCHAKEL_P12_PASS: 'p12-geheim' },
    );
    expect(p.certificate.oin).toBe(OUR_OIN);
    const blocks = p.cert.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
    expect(blocks).toHaveLength(2);
    expect(p.cert.indexOf(pki.client.issued.certPem.trim().slice(30, 90))).toBeGreaterThan(-1);
    expect(p.cert.indexOf(pki.client.issued.certPem.trim().slice(30, 90))).toBeLessThan(
      p.cert.indexOf(pki.ca.certPem.trim().slice(30, 90)),
    );
  });

  const openssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  if (!openssl) console.warn('SKIP: openssl not installed; the OpenSSL-written PKCS#12 cases are skipped');
  it.skipIf(!openssl)('reads PKCS#12 files written by OpenSSL 3 (AES-256, HMAC-SHA256), RSA and EC', () => {
    const rsa = join(dir, 'openssl-rsa.p12');
    execFileSync('openssl', [
      'pkcs12',
      '-export',
      '-in',
      pki.client.cert,
      '-inkey',
      pki.client.key,
      '-certfile',
      pki.caPath,
      '-out',
      rsa,
      '-passout',
      'pass:os-geheim',
    ]);
    expect(loadProfile({ id: 'os', pkcs12: rsa, passphraseEnv: 'P', ca: [] }, { P: 'os-geheim' }).certificate.oin).toBe(
      OUR_OIN,
    );

    const ecKey = join(dir, 'ec.key');
    const ecCert = join(dir, 'ec.crt');
    const ec = join(dir, 'ec.p12');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', ecKey]);
    execFileSync('openssl', [
      'req',
      '-new',
      '-x509',
      '-key',
      ecKey,
      '-subj',
      '/CN=ec.test/serialNumber=00000099000000000042',
      '-days',
      '30',
      '-out',
      ecCert,
    ]);
    execFileSync('openssl', ['pkcs12', '-export', '-in', ecCert, '-inkey', ecKey, '-out', ec, '-passout', 'pass:ec']);
    const p = loadProfile({ id: 'ec', pkcs12: ec, passphraseEnv: 'P', ca: [] }, { P: 'ec' });
    expect(p.certificate.oin).toBe('00000099000000000042');
    expect(daysUntilExpiry(p.certificate, new Date())).toBeGreaterThanOrEqual(29);
  });

  it('says which file is missing', () => {
    expect(errorOf(() => loadProfile(pem('ggk-prod', { cert: join(dir, 'nope.crt'), key: pki.client.key }), {}))).toBe(
      `profile ggk-prod: file not found: ${join(dir, 'nope.crt')}`,
    );
    expect(errorOf(() => loadProfile(pem('ggk-prod', pki.client, { ca: [join(dir, 'nope-ca.crt')] }), {}))).toBe(
      `profile ggk-prod: file not found: ${join(dir, 'nope-ca.crt')}`,
    );
  });

  it('refuses a key that does not belong to the certificate', () => {
    expect(errorOf(() => loadProfile(pem('corv', { cert: pki.client.cert, key: pki.server.key }), {}))).toMatch(
      /^profile corv: key does not match certificate/,
    );
    const file = join(dir, 'mismatch.p12');
    writeFileSync(file, toPkcs12({ ...pki.server.issued, cert: pki.client.issued.cert }, 'x'));
    expect(errorOf(() => loadProfile({ id: 'p12', pkcs12: file, passphraseEnv: 'P', ca: [] }, { P: 'x' }))).toMatch(
      /^profile p12: key does not match certificate/,
    );
  });

  it('names the passphrase variable that is not set or does not open the file', () => {
    const file = join(dir, 'pass.p12');
    writeFileSync(file, toPkcs12(pki.client.issued, 'juist'));
    const profile: TlsProfileConfig = { id: 'ggk-prod', pkcs12: file, passphraseEnv: 'SCHAKEL_P12_PASS', ca: [] };
    expect(errorOf(() => loadProfile(profile, {}))).toBe(
      'profile ggk-prod: PKCS#12 passphrase env SCHAKEL_P12_PASS not set',
    );
    expect(errorOf(() => loadProfile(profile, { SCHAKEL_P12_PASS: 'fout' }))).toBe(
      `profile ggk-prod: the passphrase in env SCHAKEL_P12_PASS does not open the PKCS#12 file ${file}`,
    );
    expect(errorOf(() => loadProfile({ id: 'ggk-prod', pkcs12: file, ca: [] }, {}))).toMatch(
      /needs a passphrase; name the environment variable/,
    );
  });

  it('reads an encrypted PEM key only with its passphrase', () => {
    const encrypted = join(dir, 'client-encrypted.key');
    writeFileSync(
      encrypted,
      createPrivateKey(pki.client.issued.keyPem).export({
        type: 'pkcs8',
        format: 'pem',
        cipher: 'aes-256-cbc',
        passphrase: 'sleutel',
      }),
    );
    const paths = { cert: pki.client.cert, key: encrypted };
    expect(errorOf(() => loadProfile(pem('enc', paths), {}))).toMatch(
      /the key in .* is encrypted; name the environment variable/,
    );
    expect(errorOf(() => loadProfile(pem('enc', paths, { passphraseEnv: 'K' }), { K: 'fout' }))).toBe(
      `profile enc: the passphrase in env K does not decrypt the key in ${encrypted}`,
    );
    expect(loadProfile(pem('enc', paths, { passphraseEnv: 'K' }), { K: 'sleutel' }).certificate.oin).toBe(OUR_OIN);
  });

  it('refuses a file without a certificate', () => {
    expect(errorOf(() => loadProfile(pem('x', { cert: pki.client.key, key: pki.client.key }), {}))).toBe(
      `profile x: no PEM certificate in ${pki.client.key}`,
    );
    expect(errorOf(() => loadProfile(pem('x', pki.client, { ca: [pki.client.key] }), {}))).toBe(
      `profile x: no PEM certificate in CA file ${pki.client.key}`,
    );
  });

  it('says when a certificate expired or is not valid yet (dates in UTC)', () => {
    const expired = loadProfile(pem('ggk-prod', pki.clientExpired), {});
    const now = new Date();
    expect(validityProblem(expired.certificate, now)).toBe(
      `certificate expired on ${expired.certificate.notAfter.toISOString()}`,
    );
    expect(daysUntilExpiry(expired.certificate, now)).toBeLessThan(-30);
    const future = loadProfile(pem('ggk-prod', pki.clientNotYetValid), {});
    expect(validityProblem(future.certificate, now)).toBe(
      `certificate not valid before ${future.certificate.notBefore.toISOString()}`,
    );
  });
});

describe('TlsProfiles', () => {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    name: 'test',
    destination: { write: (l: string) => void lines.push(l) },
  });
  const logged = (msg: string) =>
    lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);

  const destinations = (profiles: string[]): DestinationConfig[] =>
    profiles.map((p, i) => ({
      id: `d${i}`,
      adapter: 'webhook',
      url: 'https://127.0.0.1:1/x',
      timeoutMs: 1000,
      headers: {},
      tlsProfile: p,
    }));

  function registry(profiles: TlsProfileConfig[], usedBy: string[], expiryWarningDays = 30) {
    return new TlsProfiles({
      tls: { profiles, expiryWarningDays, reloadIntervalMs: 60_000 },
      destinations: destinations(usedBy),
      logger,
      env: {},
    });
  }

  it('gives each destination its client certificate, or the reason its profile cannot be used', () => {
    const r = registry(
      [
        pem('goed', pki.client, { expectOin: RECEIVER_OIN }),
        pem('verlopen', pki.clientExpired),
        pem('kapot', { cert: join(dir, 'weg.crt'), key: pki.client.key }),
      ],
      ['goed', 'verlopen', 'kapot'],
    );
    const [good, expired, broken] = destinations(['goed', 'verlopen', 'kapot']);
    const ok = r.forDestination(good!);
    expect(ok.kind === 'ok' && ok.tls).toMatchObject({ profile: 'goed', expectedOin: RECEIVER_OIN });
    const options = ok.kind === 'ok' ? ok.tls!.options : {};
    expect((options.ca as string[]).map((c) => new X509Certificate(c).fingerprint256)).toEqual([
      new X509Certificate(pki.ca.certPem).fingerprint256,
    ]);
    expect(new X509Certificate(String(options.cert)).checkPrivateKey(createPrivateKey(String(options.key)))).toBe(true);
    const e = r.forDestination(expired!);
    expect(e).toMatchObject({
      kind: 'unusable',
      reason: expect.stringMatching(/^profile verlopen: certificate expired on 20\d\d-/),
    });
    expect(r.forDestination(broken!)).toMatchObject({
      kind: 'unusable',
      reason: `profile kapot: file not found: ${join(dir, 'weg.crt')}`,
    });
    expect(r.forDestination({ id: 'plain', adapter: 'webhook', url: 'http://x', timeoutMs: 1, headers: {} })).toEqual({
      kind: 'ok',
    });
    expect(logged('certificate profile unusable').map((l) => l.profile)).toContain('kapot');
    expect(logged('certificate expired: what uses this profile cannot connect').map((l) => l.profile)).toContain(
      'verlopen',
    );
  });

  it('warns about a certificate that expires within expiryWarningDays: log, status and the certificate source', () => {
    const r = registry([pem('bijna', pki.clientExpiringSoon), pem('ruim', pki.client)], ['bijna', 'ruim'], 30);
    const warned = logged('certificate expires soon').filter((l) => l.profile === 'bijna');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.daysLeft).toBeLessThanOrEqual(10);
    expect(logged('certificate expires soon').filter((l) => l.profile === 'ruim')).toHaveLength(0);
    const status = Object.fromEntries(r.status().map((s) => [s.profile, s]));
    expect(status.bijna).toMatchObject({ usable: true, expiresSoon: true, oin: OUR_OIN, usedBy: ['d0'] });
    expect(status.ruim).toMatchObject({ usable: true, expiresSoon: false });
    expect(r.certificates().map((c) => [c.name, c.destination])).toEqual([
      ['bijna', 'd0'],
      ['ruim', 'd1'],
    ]);
    // Once a day, not on every reload.
    r.reload();
    expect(logged('certificate expires soon').filter((l) => l.profile === 'bijna')).toHaveLength(1);
  });

  it('reloads changed files, keeps the last good certificate when new files are broken or not valid yet', () => {
    const cert = join(dir, 'reload.crt');
    const key = join(dir, 'reload.key');
    copyFileSync(pki.client.cert, cert);
    copyFileSync(pki.client.key, key);
    const r = registry([{ id: 'wissel', cert, key, ca: [pki.caPath] }], ['wissel']);
    const fingerprint = () => {
      const u = r.use('wissel');
      return u.kind === 'usable' ? u.profile.certificate.fingerprint256 : u.reason;
    };
    const first = fingerprint();
    const changes: string[] = [];
    r.onChange((id, loaded) => changes.push(`${id}:${loaded.certificate.fingerprint256}`));
    expect(r.reload()).toEqual({ changed: [], failed: [] });

    // Half-way through a replacement: the new certificate with the old key.
    copyFileSync(pki.clientExpiringSoon.cert, cert);
    const broken = r.reload();
    expect(broken.failed).toEqual([
      { profile: 'wissel', reason: expect.stringMatching(/^profile wissel: key does not match certificate/) },
    ]);
    expect(fingerprint()).toBe(first);
    expect(r.status()[0]).toMatchObject({ usable: true, reloadError: expect.stringMatching(/key does not match/) });

    copyFileSync(pki.clientExpiringSoon.key, key);
    expect(r.reload()).toEqual({ changed: ['wissel'], failed: [] });
    const second = fingerprint();
    expect(second).not.toBe(first);
    expect(changes).toEqual([`wissel:${second}`]);

    // A certificate that is not valid yet does not replace a valid one.
    copyFileSync(pki.clientNotYetValid.cert, cert);
    copyFileSync(pki.clientNotYetValid.key, key);
    expect(r.reload().failed[0]!.reason).toMatch(
      /^profile wissel: new certificate not valid before .*; the current certificate stays in use$/,
    );
    expect(fingerprint()).toBe(second);
  });

  it('TlsHealth: unhealthy while the profile is unusable or since a refused handshake, healthy again after a delivery', () => {
    const r = registry([pem('goed', pki.client), pem('verlopen', pki.clientExpired)], ['goed', 'verlopen']);
    const health = new TlsHealth(
      r,
      () => destinations(['goed', 'verlopen']),
      logger,
      () => Date.parse('2030-01-01T00:00:00Z'),
    );
    const byId = () => Object.fromEntries(health.list().map((e) => [e.destination, e]));
    expect(byId().d0).toEqual({ destination: 'd0', state: 'healthy', tlsProfile: 'goed' });
    expect(byId().d1).toMatchObject({
      state: 'unhealthy',
      reason: expect.stringMatching(/^TLS profile unusable: profile verlopen: certificate expired on/),
    });

    health.observe('d0', { kind: 'retry', reason: 'HTTP 503' });
    expect(byId().d0!.state).toBe('healthy');
    health.observe('d0', {
      kind: 'retry',
      reason: 'TLS refused: receiver certificate carries OIN x',
      tlsRefused: true,
    });
    expect(byId().d0).toEqual({
      destination: 'd0',
      state: 'unhealthy',
      tlsProfile: 'goed',
      reason: 'TLS refused: receiver certificate carries OIN x',
      since: '2030-01-01T00:00:00.000Z',
    });
    health.observe('d0', { kind: 'delivered', status: 200 });
    expect(byId().d0!.state).toBe('healthy');
  });
});

describe('configuration: tls', () => {
  const base = (extra: string) => `
callers:
  - { id: wijkteam, apiKeys: ["sha256:${'a'.repeat(64)}"], afzenders: ["0384"], messages: ["*"] }
${extra}`;
  const issuesOf = (yaml: string): Record<string, string> => {
    try {
      parseConfig(yaml, join(dir, 'schakel.yaml'), { env: {} });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return Object.fromEntries((e as ConfigError).issues.map((i) => [i.path, i.message]));
    }
    throw new Error('expected a ConfigError');
  };

  it('resolves profile paths against the config file and checks references', () => {
    const config = parseConfig(
      base(`
tls:
  profiles:
    - { id: ggk-prod, pkcs12: certs/ggk.p12, passphraseEnv: SCHAKEL_P12_PASS, ca: [certs/ca.crt], expectOin: "${RECEIVER_OIN}" }
    - { id: web, cert: /etc/schakel/web.crt, key: web.key, ca: [ca.crt] }
  expiryWarningDays: 14
server:
  tls: { profile: web }
destinations:
  - { id: ggk, adapter: webhook, url: "https://ggk.example/in", tlsProfile: ggk-prod }
`),
      join(dir, 'conf', 'schakel.yaml'),
      { env: {} },
    );
    expect(config.tls.profiles[0]).toMatchObject({
      pkcs12: join(dir, 'conf/certs/ggk.p12'),
      ca: [join(dir, 'conf/certs/ca.crt')],
    });
    expect(config.tls.profiles[1]).toMatchObject({ cert: '/etc/schakel/web.crt', key: join(dir, 'conf/web.key') });
    expect(config.tls.expiryWarningDays).toBe(14);
    expect(config.tls.reloadIntervalMs).toBe(60_000);
    expect(config.server.tls).toEqual({ profile: 'web', clientCertificates: 'required' });
    expect(config.destinations[0]!.tlsProfile).toBe('ggk-prod');
  });

  it('refuses unknown profiles, a passphrase in the file, half a profile, and a TLS profile on plain http', () => {
    const fields = issuesOf(
      base(`
tls:
  profiles:
    - { id: a, cert: a.crt, ca: [] }
    - { id: b, pkcs12: b.p12, passphrase: geheim }
    - { id: c, pkcs12: c.p12, cert: c.crt }
`),
    );
    expect(fields['tls.profiles[0].key']).toBe('give cert + key (PEM files) or pkcs12');
    expect(fields['tls.profiles[1].passphrase']).toMatch(/never put a passphrase in the file/);
    expect(fields['tls.profiles[2].pkcs12']).toBe('give cert + key or pkcs12, not both');

    const issues = issuesOf(
      base(`
tls:
  profiles:
    - { id: c, pkcs12: c.p12 }
    - { id: c, pkcs12: c2.p12 }
server:
  tls: { profile: c, clientCertificates: optional }
destinations:
  - { id: d1, adapter: webhook, url: "https://x.example", tlsProfile: nergens }
  - { id: d2, adapter: webhook, url: "http://x.example", tlsProfile: c }
`),
    );
    expect(issues['tls.profiles[1]']).toBe('duplicate TLS profile id "c"');
    expect(issues['destinations[0].tlsProfile']).toBe('unknown TLS profile "nergens"');
    expect(issues['destinations[1].tlsProfile']).toBe('a TLS profile needs an https (or amqps) URL');
    expect(issues['server.tls.profile']).toBe(
      'profile "c" has no ca: client certificates need the CA(s) to verify them against',
    );
  });

  it('lets a caller or inbound party in by OIN instead of an API key, but needs one of them, each OIN once', () => {
    const config = parseConfig(
      `
parties:
  external: [{ id: zorg, kind: aanbieder, codes: { agb: ["42420001"] } }]
callers:
  - { id: systeem, oins: ["${OUR_OIN}"], afzenders: ["0384"], messages: ["*"] }
inbound:
  - { party: zorg, oins: ["${RECEIVER_OIN}"], messages: [WMO302] }
`,
      join(dir, 'x.yaml'),
    );
    expect(config.callers[0]).toMatchObject({ apiKeys: [], oins: [OUR_OIN] });
    expect(config.inbound[0]).toMatchObject({ apiKeys: [], oins: [RECEIVER_OIN] });

    const issues = issuesOf(`
callers:
  - { id: niets, afzenders: ["0384"], messages: ["*"] }
  - { id: een, oins: ["${OUR_OIN}"], afzenders: ["0384"], messages: ["*"] }
  - { id: twee, oins: ["${OUR_OIN}"], afzenders: ["0384"], messages: ["*"] }
  - { id: kort, oins: ["123"], afzenders: ["0384"], messages: ["*"] }
`);
    expect(issues['callers[0].apiKeys']).toBe('at least one API key hash (apiKeys) or OIN (oins) is needed');
    expect(issues['callers[2].oins[0]']).toBe(`OIN ${OUR_OIN} is already given to callers[1]`);
    expect(issues['callers[3].oins[0]']).toMatch(/an OIN is 20 digits/);
  });

  it('refuses to start a gateway whose own HTTPS profile cannot be used, naming it', () => {
    const config = parseConfig(
      base(`
tls:
  profiles:
    - { id: web, cert: weg.crt, key: weg.key, ca: [ca.crt] }
server:
  tls: { profile: web }
`),
      join(dir, 'schakel.yaml'),
      { env: {} },
    );
    const logger = createLogger({ level: 'silent', name: 'test' });
    let error: unknown;
    try {
      new Gateway({ config, logger });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { path: 'server.tls.profile', message: `profile web: file not found: ${join(dir, 'weg.crt')}` },
    ]);
  });
});
