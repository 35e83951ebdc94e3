/**
 * The transports' port to the outside: what one adapter (adapters/) does and what a delivery returns. Adapters
 * implement it; the composition root (src/composition.ts) hands a transport the adapters as an `AdapterLookup`.
 */

import type { ConnectionOptions } from 'node:tls';
import type { AdapterName, DestinationConfig } from '../config/schema.ts';
import type { OutboxMessage } from '../store/types.ts';

export type { AdapterName, DestinationConfig } from '../config/schema.ts';

/** A message on its way out: its identity and routing facts, the exact bytes received, and which try this is. */
export type OutgoingMessage = Omit<OutboxMessage, 'body'> & {
  body: Buffer;
  /** 1 for the first try of this delivery round. */
  attempt: number;
};

export type DeliveryOutcome =
  /**
   * The receiver took the message. `answer` is the start of its reply, kept for beheer; `peerOin` the OIN in the
   * receiver's TLS certificate (subject serialNumber), when there was one.
   */
  | { kind: 'delivered'; status?: number; answer?: string; peerOin?: string }
  /**
   * Worth trying again later; `retryAfterMs` when the receiver said when. `tlsRefused`: the TLS handshake was
   * refused or the certificate profile cannot be used, a configuration problem that marks the destination
   * unhealthy until a delivery succeeds.
   */
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number; answer?: string; tlsRefused?: boolean }
  /** Will not succeed by trying again (refused, misaddressed): no retry. */
  | { kind: 'failed'; reason: string; status?: number; answer?: string };

/**
 * The TLS side of a delivery, from the destination's certificate profile: our client certificate and key, the
 * CAs we trust for the receiver, and the OIN the receiver's certificate must carry in its subject serialNumber.
 */
export interface ClientTls {
  /** The profile's name, for reasons and logs. */
  profile: string;
  options: Pick<ConnectionOptions, 'cert' | 'key' | 'ca' | 'pfx' | 'passphrase'>;
  expectedOin?: string;
}

/**
 * One way of delivering to an external party. `deliver` never throws for a delivery problem: it returns the
 * outcome. It stops when `signal` aborts (shutdown or the lease running out) and reports that as a retry.
 */
export interface Adapter {
  readonly name: AdapterName;
  deliver(
    message: OutgoingMessage,
    destination: DestinationConfig,
    signal: AbortSignal,
    tls?: ClientTls,
  ): Promise<DeliveryOutcome>;
  /** Releases what the adapter keeps open between deliveries (broker connections); called when the gateway stops. */
  close?(): Promise<void>;
}

/** The adapters a transport delivers through, by name (adapters/registry.ts builds the default set). */
export interface AdapterLookup {
  get(name: AdapterName): Adapter | undefined;
  /** Destinations whose adapter is not available, so startup can refuse a configuration it cannot serve. */
  unsupported(destinations: readonly DestinationConfig[]): DestinationConfig[];
  /** Closes every adapter that keeps something open (broker connections). */
  close(): Promise<void>;
}
