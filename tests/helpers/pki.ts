/**
 * A test PKI made with node-forge: CAs, and server and client certificates with an OIN in the subject
 * serialNumber (as PKIoverheid puts it), written as PEM (and PKCS#12) files to a folder. Validity windows are
 * relative to the moment of generation, so "expired" and "not yet valid" are real for the TLS stack.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import forge from 'node-forge';

/** Our own OIN (the gemeente's) in the client certificate. */
export const OUR_OIN = '00000099000000000001';
/** The receiver's OIN in its server certificate. */
export const RECEIVER_OIN = '00000099000000000002';
/** An OIN nobody expects. */
export const OTHER_OIN = '00000099000000000003';

const DAY_MS = 86_400_000;

export interface Issued {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

export interface CertificateSpec {
  commonName: string;
  oin?: string;
  /** Days from now; negative is in the past. Defaults: -1 and +365. */
  validFromDays?: number;
  validToDays?: number;
  /** DNS names and IP addresses for a server certificate (subjectAltName). */
  altNames?: string[];
  usage?: 'server' | 'client' | 'both';
}

/** A self-signed CA. */
export function createCa(commonName: string): Issued {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * DAY_MS);
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'Schakel test PKI' },
    { name: 'countryName', value: 'NL' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return {
    cert,
    key: keys.privateKey,
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
  };
}

/** A certificate signed by `ca`. */
export function issue(ca: Issued, spec: CertificateSpec): Issued {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() + (spec.validFromDays ?? -1) * DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + (spec.validToDays ?? 365) * DAY_MS);
  cert.setSubject([
    { name: 'commonName', value: spec.commonName },
    { name: 'organizationName', value: 'Schakel test' },
    { name: 'countryName', value: 'NL' },
    ...(spec.oin ? [{ name: 'serialNumber', value: spec.oin }] : []),
  ]);
  cert.setIssuer(ca.cert.subject.attributes);
  const usage = spec.usage ?? 'both';
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: usage !== 'client', clientAuth: usage !== 'server' },
    ...(spec.altNames?.length
      ? [
          {
            name: 'subjectAltName',
            altNames: spec.altNames.map((n) => (/^[0-9.]+$/.test(n) ? { type: 7, ip: n } : { type: 2, value: n })),
          },
        ]
      : []),
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  return {
    cert,
    key: keys.privateKey,
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
  };
}

/** A PKCS#12 file (AES-256, as current tools write it) holding the certificate, its key and `chain`. */
export function toPkcs12(issued: Issued, password: string, chain: Issued[] = []): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(issued.key, [issued.cert, ...chain.map((c) => c.cert)], password, {
    algorithm: 'aes256',
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/** Everything the TLS tests use, as files in one folder. */
export interface TestPki {
  dir: string;
  /** The trusted CA and a CA nobody trusts. */
  caPath: string;
  otherCaPath: string;
  ca: Issued;
  otherCa: Issued;
  /** Server certificates for 127.0.0.1/localhost: with the receiver's OIN, and with another OIN. */
  server: Paths;
  serverWrongOin: Paths;
  /** Our client certificates: good, expired, from the other CA, expiring in 10 days, not valid for a day yet. */
  client: Paths;
  clientExpired: Paths;
  clientOtherCa: Paths;
  clientExpiringSoon: Paths;
  clientNotYetValid: Paths;
  /** A client certificate of the trusted CA with an OIN no caller has. */
  clientUnknownOin: Paths;
}

export interface Paths {
  cert: string;
  key: string;
  issued: Issued;
}

/** Writes a fresh test PKI to `dir`. */
export function writeTestPki(dir: string): TestPki {
  const ca = createCa('Schakel Test Root CA');
  const otherCa = createCa('Other Test Root CA');
  const write = (name: string, issued: Issued): Paths => {
    const cert = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    writeFileSync(cert, issued.certPem);
    writeFileSync(key, issued.keyPem);
    return { cert, key, issued };
  };
  const caPath = join(dir, 'ca.crt');
  const otherCaPath = join(dir, 'other-ca.crt');
  writeFileSync(caPath, ca.certPem);
  writeFileSync(otherCaPath, otherCa.certPem);
  const serverNames = ['localhost', '127.0.0.1'];
  return {
    dir,
    caPath,
    otherCaPath,
    ca,
    otherCa,
    server: write(
      'server',
      issue(ca, { commonName: 'ontvanger.test', oin: RECEIVER_OIN, altNames: serverNames, usage: 'server' }),
    ),
    serverWrongOin: write(
      'server-wrong-oin',
      issue(ca, { commonName: 'ander.test', oin: OTHER_OIN, altNames: serverNames, usage: 'server' }),
    ),
    client: write('client', issue(ca, { commonName: 'gemeente.test', oin: OUR_OIN, usage: 'client' })),
    clientExpired: write(
      'client-expired',
      issue(ca, { commonName: 'gemeente.test', oin: OUR_OIN, validFromDays: -400, validToDays: -35, usage: 'client' }),
    ),
    clientOtherCa: write(
      'client-other-ca',
      issue(otherCa, { commonName: 'gemeente.test', oin: OUR_OIN, usage: 'client' }),
    ),
    clientExpiringSoon: write(
      'client-expiring',
      issue(ca, { commonName: 'gemeente.test', oin: OUR_OIN, validToDays: 10, usage: 'client' }),
    ),
    clientNotYetValid: write(
      'client-future',
      issue(ca, { commonName: 'gemeente.test', oin: OUR_OIN, validFromDays: 1, validToDays: 400, usage: 'client' }),
    ),
    clientUnknownOin: write(
      'client-unknown-oin',
      issue(ca, { commonName: 'vreemd.test', oin: OTHER_OIN, usage: 'client' }),
    ),
  };
}

function serial(): string {
  return `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
}

/** A request an HTTPS receiver took, with the client certificate it was made with. */
export interface TlsRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The client certificate's subject serialNumber (OIN) and its fingerprint. */
  clientOin: string | undefined;
  clientFingerprint256: string | undefined;
}

export interface TlsReceiver {
  url: string;
  requests: TlsRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTPS server on 127.0.0.1 that stands in for an external party: its certificate and key, the CAs it
 * trusts for client certificates, and mutual TLS required (a client without a certificate of those CAs is
 * refused in the handshake). Answers 200 to every request.
 */
export async function startTlsReceiver(options: { cert: string; key: string; ca: string[] }): Promise<TlsReceiver> {
  const requests: TlsRequest[] = [];
  const server = https.createServer(
    {
      cert: readFileSync(options.cert),
      key: readFileSync(options.key),
      ca: options.ca.map((p) => readFileSync(p)),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      const serial = (peer.subject as unknown as Record<string, string> | undefined)?.serialNumber;
      req.resume();
      req.on('end', () => {
        requests.push({
          path: req.url ?? '',
          headers: req.headers,
          clientOin: serial,
          clientFingerprint256: peer.fingerprint256,
        });
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ontvangen');
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
