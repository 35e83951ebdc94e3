/**
 * The one HTTP(S) poster over real TLS (generated PKI): the receiver's OIN is checked on every request, also
 * when the TLS session of an earlier request to the same receiver could be resumed (a resumed handshake skips
 * checkServerIdentity), and a refused check sends nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../../adapters/http/post.ts';
import type { ClientTls } from '../../src/transport/adapter.ts';
import {
  OTHER_OIN,
  RECEIVER_OIN,
  startTlsReceiver,
  type TestPki,
  type TlsReceiver,
  writeTestPki,
} from '../helpers/pki.ts';

let dir: string;
let pki: TestPki;
let receiver: TlsReceiver;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'schakel-post-tls-'));
  pki = writeTestPki(dir);
  receiver = await startTlsReceiver({ cert: pki.server.cert, key: pki.server.key, ca: [pki.caPath] });
});
afterAll(async () => {
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

const clientTls = (profile: string, expectedOin: string): ClientTls => ({
  profile,
  options: { cert: readFileSync(pki.client.cert), key: readFileSync(pki.client.key), ca: [readFileSync(pki.caPath)] },
  expectedOin,
});

const send = (tls: ClientTls) =>
  post({
    url: receiver.url,
    body: Buffer.from('<x/>'),
    headers: { 'content-type': 'application/xml' },
    timeoutMs: 5000,
    signal: new AbortController().signal,
    tls,
    answerBytes: 100,
  });

describe('post over mutual TLS', () => {
  it('delivers when the receiver shows the expected OIN, and reports that OIN', async () => {
    const r = await send(clientTls('right', RECEIVER_OIN));
    expect(r).toMatchObject({ kind: 'answered', status: 200, peerOin: RECEIVER_OIN });
  });

  it('refuses the same receiver for a profile that expects another OIN, though a session to it could be resumed', async () => {
    const before = receiver.requests.length;
    // Same certificate options as the profile above, whose session to this receiver is cached.
    for (const profile of ['right', 'other']) {
      const r = await send(clientTls(profile, OTHER_OIN));
      expect(r).toMatchObject({ kind: 'unreachable', tlsRefused: true });
      expect(r.kind === 'unreachable' && r.reason).toContain(`expects ${OTHER_OIN}`);
    }
    expect(receiver.requests.length).toBe(before);
    // And the right expectation keeps working afterwards.
    expect(await send(clientTls('right', RECEIVER_OIN))).toMatchObject({ kind: 'answered', status: 200 });
  });

  it('delivers again over a resumed TLS session (which shows no peer certificate) and reports the OIN it verified', async () => {
    const resumedSeen: boolean[] = [];
    const server = https.createServer(
      {
        cert: readFileSync(pki.server.cert),
        key: readFileSync(pki.server.key),
        ca: [readFileSync(pki.caPath)],
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        resumedSeen.push((req.socket as TLSSocket).isSessionReused());
        req.resume();
        req.on('end', () => res.end('ok'));
      },
    );
    // The server drops idle connections at once, so the next request makes a new connection and resumes.
    server.keepAliveTimeout = 50;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const url = `https://localhost:${(server.address() as AddressInfo).port}/`;
    const tls = clientTls('resuming', RECEIVER_OIN);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await post({
          url,
          body: Buffer.from('<x/>'),
          headers: {},
          timeoutMs: 5000,
          signal: new AbortController().signal,
          tls,
          answerBytes: 10,
        });
        expect(r).toMatchObject({ kind: 'answered', status: 200, peerOin: RECEIVER_OIN });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // The case this guards: later requests did resume the session.
      expect(resumedSeen.slice(1)).toContain(true);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
