/**
 * Per destination: can it be connected to? A destination is unhealthy while its certificate profile cannot be
 * used, and from a refused TLS handshake until a delivery to it succeeds. This is what deliveries consult
 * (`DeliveryTls`) and what /healthz shows; it never stops the gateway or another destination.
 */

import type { DestinationConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { DeliveryOutcome } from '../transport/adapter.ts';
import type { DeliveryTls } from '../transport/delivery.ts';
import type { TlsProfiles } from './tls-profiles.ts';

export interface DestinationHealthEntry {
  destination: string;
  state: 'healthy' | 'unhealthy';
  tlsProfile?: string;
  reason?: string;
  /** ISO time since when it is unhealthy. */
  since?: string;
}

export class TlsHealth implements DeliveryTls {
  private readonly problems = new Map<string, { reason: string; since: Date }>();
  private readonly log: Logger;

  constructor(
    private readonly profiles: TlsProfiles,
    private readonly destinations: () => readonly DestinationConfig[],
    logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.log = logger.child({ component: 'tls' });
  }

  resolve(destination: DestinationConfig): ReturnType<DeliveryTls['resolve']> {
    return this.profiles.forDestination(destination);
  }

  observe(destination: string, outcome: DeliveryOutcome): void {
    if (outcome.kind === 'delivered') {
      if (this.problems.delete(destination)) this.log.info({ destination }, 'destination healthy again: delivered');
      return;
    }
    if (outcome.kind !== 'retry' || !outcome.tlsRefused) return;
    const known = this.problems.get(destination);
    this.problems.set(destination, { reason: outcome.reason, since: known?.since ?? new Date(this.clock()) });
    if (!known || known.reason !== outcome.reason) {
      this.log.error({ destination, reason: outcome.reason }, 'destination unhealthy: TLS refused');
    }
  }

  /** Every destination: unhealthy while its profile is unusable or since a refused handshake, else healthy. */
  list(): DestinationHealthEntry[] {
    return this.destinations().map((d) => {
      const profile = d.tlsProfile !== undefined ? { tlsProfile: d.tlsProfile } : {};
      const tls = this.profiles.forDestination(d);
      const seen = this.problems.get(d.id);
      if (tls.kind === 'unusable') {
        const since = seen && seen.since < tls.since ? seen.since : tls.since;
        return {
          destination: d.id,
          state: 'unhealthy',
          ...profile,
          reason: `TLS profile unusable: ${tls.reason}`,
          since: since.toISOString(),
        };
      }
      if (seen)
        return {
          destination: d.id,
          state: 'unhealthy',
          ...profile,
          reason: seen.reason,
          since: seen.since.toISOString(),
        };
      return { destination: d.id, state: 'healthy', ...profile };
    });
  }

  /** One destination's entry. */
  of(destination: string): DestinationHealthEntry | undefined {
    return this.list().find((e) => e.destination === destination);
  }
}
