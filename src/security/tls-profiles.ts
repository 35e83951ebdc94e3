/**
 * The certificate profiles in use: loaded at start, read from disk again every `tls.reloadIntervalMs` and on
 * `reload()` (SIGHUP), without a restart. Each profile keeps its last good state: a reload that fails (file
 * half-written, wrong passphrase, key not matching) or that brings a certificate not valid yet leaves the
 * current certificate in use and says why. A profile that cannot be used disables only what uses it.
 */

import type { CertificateInfo } from '../beheer/alerts.ts';
import type { DestinationConfig, TlsConfig, TlsProfileConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { ClientTls } from '../transport/adapter.ts';
import { daysUntilExpiry, type Env, type LoadedProfile, loadProfile, validityProblem } from './certificates.ts';

/** Whether a profile can be used now; when not, why and since when. */
export type ProfileUse = { kind: 'usable'; profile: LoadedProfile } | { kind: 'unusable'; reason: string; since: Date };

/** A destination's TLS side: its client certificate (none without a profile), or why it cannot connect. */
export type DestinationTls = { kind: 'ok'; tls?: ClientTls } | { kind: 'unusable'; reason: string; since: Date };

/** One profile as /healthz and beheer show it. */
export interface ProfileStatus {
  profile: string;
  /** Destination ids, and "server" for the gateway's own HTTPS. */
  usedBy: string[];
  usable: boolean;
  problem?: string;
  /** The last reload did not replace the certificate in use, and why. */
  reloadError?: string;
  oin?: string;
  subject?: string;
  notAfter?: string;
  daysLeft?: number;
  /** Expires within `tls.expiryWarningDays`. */
  expiresSoon?: boolean;
}

export interface ReloadReport {
  /** Profiles whose certificate in use changed. */
  changed: string[];
  /** Profiles whose files could not be (fully) used, and why. */
  failed: { profile: string; reason: string }[];
}

export interface TlsProfilesOptions {
  tls: TlsConfig;
  /** For `usedBy`: which destinations use which profile. */
  destinations: readonly DestinationConfig[];
  /** The profile of the gateway's own HTTPS, if any. */
  serverProfile?: string;
  logger: Logger;
  /** Where passphraseEnv is looked up; process.env by default. */
  env?: Env;
  clock?: () => number;
}

interface ProfileState {
  config: TlsProfileConfig;
  /** The profile in use: the last one that loaded (and was valid, unless nothing better was there). */
  good?: LoadedProfile;
  clientTls?: ClientTls;
  /** Why the last load did not bring what is in use (or why nothing is). */
  loadError?: string;
  /** When loading first failed in the current run of failures. */
  failingSince?: Date;
  /** Day (epoch ms / day) of the last expiry log line, so it is written once a day. */
  warnedDay?: number;
}

const DAY_MS = 86_400_000;
const SERVER = 'server';

export class TlsProfiles {
  private readonly states = new Map<string, ProfileState>();
  private readonly listeners: ((profile: string, loaded: LoadedProfile) => void)[] = [];
  private readonly log: Logger;
  private readonly env: Env;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: TlsProfilesOptions) {
    this.log = o.logger.child({ component: 'tls' });
    this.env = o.env ?? process.env;
    this.clock = o.clock ?? Date.now;
    for (const config of o.tls.profiles) this.states.set(config.id, { config });
    this.reload();
  }

  /** True when any profile is configured. */
  get configured(): boolean {
    return this.states.size > 0;
  }

  /** Reads every profile from disk again; keeps the last good state of a profile that fails. */
  reload(): ReloadReport {
    const report: ReloadReport = { changed: [], failed: [] };
    for (const state of this.states.values()) {
      const changed = this.reloadOne(state);
      if (changed) report.changed.push(state.config.id);
      if (state.loadError !== undefined) report.failed.push({ profile: state.config.id, reason: state.loadError });
      this.warnAboutExpiry(state);
    }
    return report;
  }

  /** Reloads every `tls.reloadIntervalMs` until `stop()`. */
  start(): void {
    if (this.timer || !this.configured) return;
    this.timer = setInterval(() => this.reload(), this.o.tls.reloadIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Called with the new state whenever a profile's certificate in use changes (the HTTPS server swaps it). */
  onChange(listener: (profile: string, loaded: LoadedProfile) => void): void {
    this.listeners.push(listener);
  }

  /** The profile if it can be used now. */
  use(id: string): ProfileUse {
    const state = this.states.get(id);
    const now = new Date(this.clock());
    if (!state) return { kind: 'unusable', reason: `unknown TLS profile "${id}"`, since: now };
    if (!state.good)
      return {
        kind: 'unusable',
        reason: state.loadError ?? `profile ${id}: not loaded`,
        since: state.failingSince ?? now,
      };
    const problem = validityProblem(state.good.certificate, now);
    if (problem) {
      const since = now < state.good.certificate.notBefore ? now : state.good.certificate.notAfter;
      return { kind: 'unusable', reason: `profile ${id}: ${problem}`, since };
    }
    return { kind: 'usable', profile: state.good };
  }

  /** What a delivery to `destination` connects with. */
  forDestination(destination: DestinationConfig): DestinationTls {
    if (destination.tlsProfile === undefined) return { kind: 'ok' };
    const use = this.use(destination.tlsProfile);
    if (use.kind === 'unusable') return use;
    return { kind: 'ok', tls: this.states.get(destination.tlsProfile)!.clientTls! };
  }

  /** Certificates in use and when they expire (beheer alerts, the days-left gauge). */
  certificates(): CertificateInfo[] {
    return [...this.states.values()].flatMap((s) =>
      s.good
        ? [
            {
              name: s.config.id,
              destination: this.usedBy(s.config.id).join(',') || s.config.id,
              notAfter: s.good.certificate.notAfter,
            },
          ]
        : [],
    );
  }

  /** Every profile's state for /healthz. */
  status(): ProfileStatus[] {
    const now = new Date(this.clock());
    return [...this.states.values()].map((s) => {
      const use = this.use(s.config.id);
      const cert = s.good?.certificate;
      const daysLeft = cert ? daysUntilExpiry(cert, now) : undefined;
      return {
        profile: s.config.id,
        usedBy: this.usedBy(s.config.id),
        usable: use.kind === 'usable',
        ...(use.kind === 'unusable' ? { problem: use.reason } : {}),
        ...(s.good && s.loadError !== undefined ? { reloadError: s.loadError } : {}),
        ...(cert?.oin !== undefined ? { oin: cert.oin } : {}),
        ...(cert ? { subject: cert.subject, notAfter: cert.notAfter.toISOString() } : {}),
        ...(daysLeft !== undefined ? { daysLeft, expiresSoon: daysLeft <= this.o.tls.expiryWarningDays } : {}),
      };
    });
  }

  private usedBy(id: string): string[] {
    const users = this.o.destinations.filter((d) => d.tlsProfile === id).map((d) => d.id);
    return this.o.serverProfile === id ? [SERVER, ...users] : users;
  }

  /** True when the certificate in use changed. */
  private reloadOne(state: ProfileState): boolean {
    const id = state.config.id;
    const now = new Date(this.clock());
    let candidate: LoadedProfile;
    try {
      candidate = loadProfile(state.config, this.env);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.failed(state, reason, now);
      return false;
    }
    if (state.good && candidate.contentHash === state.good.contentHash) {
      this.recovered(state);
      return false;
    }
    const problem = validityProblem(candidate.certificate, now);
    if (problem && state.good && !validityProblem(state.good.certificate, now)) {
      this.failed(state, `profile ${id}: new ${problem}; the current certificate stays in use`, now);
      return false;
    }
    const first = state.good === undefined;
    state.good = candidate;
    state.clientTls = clientTlsOf(candidate);
    state.warnedDay = undefined;
    this.recovered(state);
    const c = candidate.certificate;
    this.log.info(
      {
        profile: id,
        oin: c.oin,
        subject: c.subject,
        notAfter: c.notAfter.toISOString(),
        fingerprint256: c.fingerprint256,
      },
      first ? 'certificate profile loaded' : 'certificate profile reloaded: new certificate in use',
    );
    if (!first) {
      for (const listener of this.listeners) {
        try {
          listener(id, candidate);
        } catch (err) {
          this.log.error({ profile: id, err }, 'applying a reloaded certificate failed');
        }
      }
    }
    return true;
  }

  private failed(state: ProfileState, reason: string, now: Date): void {
    const repeated = state.loadError === reason;
    state.loadError = reason;
    state.failingSince ??= now;
    if (repeated) return;
    if (state.good)
      this.log.error(
        { profile: state.config.id, reason },
        'certificate profile reload failed; the last good certificate stays in use',
      );
    else
      this.log.error(
        { profile: state.config.id, reason, usedBy: this.usedBy(state.config.id) },
        'certificate profile unusable',
      );
  }

  private recovered(state: ProfileState): void {
    state.loadError = undefined;
    state.failingSince = undefined;
  }

  /** Once a day per profile (and after every change): warn when it expires soon, error once it has expired. */
  private warnAboutExpiry(state: ProfileState): void {
    if (!state.good) return;
    const now = new Date(this.clock());
    const day = Math.floor(now.getTime() / DAY_MS);
    if (state.warnedDay === day) return;
    const cert = state.good.certificate;
    const daysLeft = daysUntilExpiry(cert, now);
    const fields = {
      profile: state.config.id,
      usedBy: this.usedBy(state.config.id),
      notAfter: cert.notAfter.toISOString(),
      daysLeft,
    };
    if (now > cert.notAfter) this.log.error(fields, 'certificate expired: what uses this profile cannot connect');
    else if (daysLeft <= this.o.tls.expiryWarningDays) this.log.warn(fields, 'certificate expires soon');
    else return;
    state.warnedDay = day;
  }
}

/** What node:tls needs for a profile: our certificate chain and key, and the CAs trusted for the other side. */
export function secureOptionsOf(profile: LoadedProfile): { cert: string; key: string; ca?: string[] } {
  return { cert: profile.cert, key: profile.key, ...(profile.ca.length > 0 ? { ca: profile.ca } : {}) };
}

function clientTlsOf(profile: LoadedProfile): ClientTls {
  return {
    profile: profile.id,
    options: secureOptionsOf(profile),
    ...(profile.expectOin !== undefined ? { expectedOin: profile.expectOin } : {}),
  };
}
