/**
 * Certificate profiles from disk: our certificate and key (PEM files or one PKCS#12 file), the CAs trusted for
 * the other side, and the OIN that side must show. Loading checks what can be checked without a connection: the
 * files are readable, the key belongs to the certificate, and the certificate's validity window; the OIN of our
 * own certificate (its subject serialNumber) is read for logs and beheer.
 *
 * PKCS#12 is read with node-forge (Node's own TLS accepts a pfx but cannot say what is in it); certificates with
 * Node's X509Certificate, which reads every key type (forge's reader refuses anything but RSA) and checks that a
 * private key belongs to a certificate.
 */
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import type { TlsProfileConfig } from '../config/schema.ts';
import { isOin } from './oin.ts';

/** A profile cannot be used; the message names the profile and what is wrong. */
export class CertificateError extends Error {
  override readonly name = 'CertificateError';
}

/** What a certificate says about itself. */
export interface CertificateFacts {
  subject: string;
  issuer: string;
  /** The subject serialNumber when it is an OIN (20 digits). */
  oin?: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 fingerprint, as OpenSSL prints it. */
  fingerprint256: string;
}

/** A profile as read from disk: ready to hand to node:tls. */
export interface LoadedProfile {
  id: string;
  /** Our certificate (the leaf). */
  certificate: CertificateFacts;
  /** PEM: our certificate, then the chain certificates that came with it. */
  cert: string;
  /** PEM (PKCS#8, unencrypted: decrypted once at load). */
  key: string;
  /** PEM certificates trusted for the other side; empty means the system's roots. */
  ca: string[];
  expectOin?: string;
  /** Hash of every input file, to see whether a reload changed anything. */
  contentHash: string;
}

export type Env = Record<string, string | undefined>;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const DAY_MS = 86_400_000;

/** Reads and checks one profile. Throws a CertificateError that starts with `profile <id>:`. */
export function loadProfile(profile: TlsProfileConfig, env: Env): LoadedProfile {
  const fail = (message: string): never => {
    throw new CertificateError(`profile ${profile.id}: ${message}`);
  };
  try {
    const hash = createHash('sha256');
    const read = (path: string): Buffer => {
      const bytes = readInput(path);
      hash.update(path).update('\0').update(bytes);
      return bytes;
    };
    const passphrase = passphraseOf(profile, env);
    hash.update(passphrase ?? '\0');
    const identity =
      profile.pkcs12 !== undefined
        ? identityFromPkcs12(read(profile.pkcs12), profile.pkcs12, passphrase, profile.passphraseEnv)
        : identityFromPem(
            read(requirePath(profile.cert, 'cert')),
            profile.cert!,
            read(requirePath(profile.key, 'key')),
            profile.key!,
            passphrase,
            profile.passphraseEnv,
          );
    const ca = profile.ca.flatMap((path) => {
      const found = pemCertificates(read(path).toString('utf8'));
      if (found.length === 0) throw new CertificateError(`no PEM certificate in CA file ${path}`);
      for (const pem of found) readCertificate(pem, path);
      return found;
    });
    return {
      id: profile.id,
      certificate: identity.facts,
      cert: `${identity.chain.join('\n')}\n`,
      key: identity.key,
      ca,
      ...(profile.expectOin !== undefined ? { expectOin: profile.expectOin } : {}),
      contentHash: hash.digest('hex'),
    };
  } catch (e) {
    if (e instanceof CertificateError && e.message.startsWith(`profile ${profile.id}:`)) throw e;
    return fail(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Why a loaded certificate cannot be used at `now` (expired, not yet valid), or undefined when it can. The
 * dates are UTC, as in the certificate.
 */
export function validityProblem(
  facts: Pick<CertificateFacts, 'notBefore' | 'notAfter'>,
  now: Date,
): string | undefined {
  if (now.getTime() > facts.notAfter.getTime()) return `certificate expired on ${facts.notAfter.toISOString()}`;
  if (now.getTime() < facts.notBefore.getTime()) return `certificate not valid before ${facts.notBefore.toISOString()}`;
  return undefined;
}

/** Whole days until the certificate expires (negative once it has). */
export function daysUntilExpiry(facts: Pick<CertificateFacts, 'notAfter'>, now: Date): number {
  return Math.floor((facts.notAfter.getTime() - now.getTime()) / DAY_MS);
}

/** The facts of one PEM certificate; `source` names the file in errors. */
export function readCertificate(pem: string, source: string): CertificateFacts {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem);
  } catch (e) {
    throw new CertificateError(`cannot read the certificate in ${source}: ${(e as Error).message}`);
  }
  return factsOf(x509);
}

/** The PEM certificate blocks in a text, in order. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERTIFICATE) ?? [];
}

function factsOf(x509: X509Certificate): CertificateFacts {
  const serial = x509.toLegacyObject().subject as unknown as Record<string, string | string[] | undefined> | undefined;
  const value = serial?.serialNumber;
  const oin = Array.isArray(value) ? value[0] : value;
  return {
    subject: x509.subject.replace(/\n/g, ', '),
    issuer: x509.issuer.replace(/\n/g, ', '),
    ...(oin !== undefined && isOin(oin) ? { oin } : {}),
    notBefore: new Date(Date.parse(x509.validFrom)),
    notAfter: new Date(Date.parse(x509.validTo)),
    fingerprint256: x509.fingerprint256,
  };
}

interface Identity {
  facts: CertificateFacts;
  /** PEM: the leaf first. */
  chain: string[];
  key: string;
}

function identityFromPem(
  certBytes: Buffer,
  certPath: string,
  keyBytes: Buffer,
  keyPath: string,
  passphrase: string | undefined,
  passphraseEnv: string | undefined,
): Identity {
  const chain = pemCertificates(certBytes.toString('utf8'));
  if (chain.length === 0) throw new CertificateError(`no PEM certificate in ${certPath}`);
  const leaf = new X509Certificate(chain[0]!);
  const key = privateKeyFromPem(keyBytes, keyPath, passphrase, passphraseEnv);
  if (!leaf.checkPrivateKey(key))
    throw new CertificateError(`key does not match certificate (${keyPath}, ${certPath})`);
  return { facts: factsOf(leaf), chain, key: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

function privateKeyFromPem(
  bytes: Buffer,
  path: string,
  passphrase: string | undefined,
  passphraseEnv: string | undefined,
): KeyObject {
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(bytes.toString('latin1'));
  if (encrypted && passphrase === undefined) {
    throw new CertificateError(
      `the key in ${path} is encrypted; name the environment variable that holds its passphrase in passphraseEnv`,
    );
  }
  try {
    return createPrivateKey(passphrase !== undefined ? { key: bytes, passphrase } : { key: bytes });
  } catch (e) {
    if (encrypted) {
      throw new CertificateError(`the passphrase in env ${passphraseEnv} does not decrypt the key in ${path}`);
    }
    throw new CertificateError(`cannot read the private key in ${path}: ${(e as Error).message}`);
  }
}

function identityFromPkcs12(
  bytes: Buffer,
  path: string,
  passphrase: string | undefined,
  passphraseEnv: string | undefined,
): Identity {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytes.toString('binary')), false, passphrase ?? '');
  } catch (e) {
    const message = (e as Error).message;
    if (/Invalid password|wrong password|MAC could not be verified/i.test(message)) {
      throw new CertificateError(
        passphraseEnv
          ? `the passphrase in env ${passphraseEnv} does not open the PKCS#12 file ${path}`
          : `the PKCS#12 file ${path} needs a passphrase; name the environment variable that holds it in passphraseEnv`,
      );
    }
    throw new CertificateError(`cannot read the PKCS#12 file ${path}: ${message}`);
  }
  const oids = forge.pki.oids;
  const keyBags = [
    ...(p12.getBags({ bagType: oids.pkcs8ShroudedKeyBag! })[oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: oids.keyBag! })[oids.keyBag!] ?? []),
  ];
  const certBags = p12.getBags({ bagType: oids.certBag! })[oids.certBag!] ?? [];
  if (keyBags.length !== 1) {
    throw new CertificateError(`the PKCS#12 file ${path} holds ${keyBags.length} private keys; exactly one is needed`);
  }
  const key = createPrivateKey(bagKeyPem(keyBags[0]!));
  const certs = certBags.map(bagCertificatePem);
  const leafIndex = certs.findIndex((pem) => new X509Certificate(pem).checkPrivateKey(key));
  if (leafIndex < 0) {
    throw new CertificateError(
      certs.length === 0
        ? `the PKCS#12 file ${path} holds no certificate`
        : `key does not match certificate: no certificate in ${path} belongs to its private key`,
    );
  }
  const leaf = certs[leafIndex]!;
  return {
    facts: factsOf(new X509Certificate(leaf)),
    chain: [leaf, ...certs.filter((_, i) => i !== leafIndex)],
    key: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** A key bag's key as PEM; forge decodes RSA keys only and keeps any other key type as its ASN.1. */
function bagKeyPem(bag: forge.pkcs12.Bag): string {
  if (bag.key) return forge.pki.privateKeyToPem(bag.key);
  if (bag.asn1) return forge.pki.privateKeyInfoToPem(bag.asn1);
  throw new CertificateError('a key bag without a key');
}

function bagCertificatePem(bag: forge.pkcs12.Bag): string {
  if (bag.cert) return forge.pki.certificateToPem(bag.cert);
  if (bag.asn1) return forge.pem.encode({ type: 'CERTIFICATE', body: forge.asn1.toDer(bag.asn1).getBytes() });
  throw new CertificateError('a certificate bag without a certificate');
}

/** The passphrase named by `passphraseEnv`; never read from the configuration file itself. */
function passphraseOf(profile: TlsProfileConfig, env: Env): string | undefined {
  if (profile.passphraseEnv === undefined) return undefined;
  const value = env[profile.passphraseEnv];
  if (value === undefined || value === '') {
    throw new CertificateError(
      `${profile.pkcs12 !== undefined ? 'PKCS#12' : 'key'} passphrase env ${profile.passphraseEnv} not set`,
    );
  }
  return value;
}

function readInput(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw new CertificateError(`file not found: ${path}`);
    if (code === 'EACCES') throw new CertificateError(`file not readable (permission denied): ${path}`);
    throw new CertificateError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

function requirePath(path: string | undefined, field: string): string {
  if (path === undefined) throw new CertificateError(`${field} is not set`);
  return path;
}
