/** `schakel healthcheck` against a gateway that serves HTTPS and requires client certificates (mutual TLS). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { issue, RECEIVER_OIN, type TestPki, writeTestPki } from '../helpers/pki.ts';

const dir = mkdtempSync(join(tmpdir(), 'schakel-healthcheck-'));
let pki: TestPki;
let g: TestGateway;
let config: string;

async function healthcheck(...args: string[]) {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (c: Buffer, _e, cb) => (add(c.toString()), cb()) });
  const code = await main(['healthcheck', ...args], { out: sink((s) => (out += s)), err: sink((s) => (err += s)) });
  return { code, out, err };
}

beforeAll(async () => {
  pki = writeTestPki(dir);
  // A server certificate that also allows client authentication (as PKIoverheid server certificates do).
  const web = issue(pki.ca, {
    commonName: 'schakel.test',
    oin: RECEIVER_OIN,
    altNames: ['localhost', '127.0.0.1'],
    usage: 'both',
  });
  writeFileSync(join(dir, 'web.crt'), web.certPem);
  writeFileSync(join(dir, 'web.key'), web.keyPem);
  const profile = `tls:\n  profiles:\n    - { id: web, cert: "${join(dir, 'web.crt')}", key: "${join(dir, 'web.key')}", ca: ["${pki.caPath}"] }\n`;
  g = await startTestGateway({ serverTls: { profile: 'web', clientCertificates: 'required' }, extraYaml: profile });
  config = join(dir, 'schakel.yaml');
  writeFileSync(
    config,
    `server:\n  port: ${g.gateway.port}\n  tls: { profile: web, clientCertificates: required }\n${profile}`,
  );
});
afterAll(async () => {
  await g?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('schakel healthcheck', () => {
  it('asks /healthz and /readyz over https, presenting the profile certificate to a gateway that requires one', async () => {
    expect(await healthcheck(config)).toEqual({
      code: 0,
      out: `https://127.0.0.1:${g.gateway.port}/healthz: 200\n`,
      err: '',
    });
    expect(await healthcheck('--ready', config)).toMatchObject({
      code: 0,
      out: `https://127.0.0.1:${g.gateway.port}/readyz: 200\n`,
    });
  });

  it('fails (exit 1, one line) when nothing answers, or when it speaks plain http to an https gateway', async () => {
    const plain = join(dir, 'plain.yaml');
    writeFileSync(plain, `server: { port: ${g.gateway.port} }\n`);
    const r = await healthcheck(plain);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^schakel healthcheck: /);
    const closed = join(dir, 'closed.yaml');
    writeFileSync(closed, 'server: { port: 1 }\n');
    expect(await healthcheck(closed)).toMatchObject({ code: 1, err: expect.stringContaining('ECONNREFUSED') });
  });
});
