/**
 * The OIN (Organisatie-identificatienummer) in a PKIoverheid certificate: its subject serialNumber, 20 digits.
 * Read inbound (which party called, src/http/auth.ts) and outbound (whether the receiver is who the destination
 * says, adapters/http/post.ts and adapters/amqp/connections.ts).
 */
import type tls from 'node:tls';

/** Whether `value` has the form of an OIN: 20 digits. */
export function isOin(value: string): boolean {
  return /^[0-9]{20}$/.test(value);
}

/** The OIN of a certificate: its subject serialNumber, when it is 20 digits. */
export function oinOfPeer(cert: tls.PeerCertificate | undefined): string | undefined {
  const serial = (cert?.subject as unknown as Record<string, string | string[] | undefined> | undefined)?.serialNumber;
  const value = Array.isArray(serial) ? serial[0] : serial;
  return value !== undefined && isOin(value) ? value : undefined;
}
