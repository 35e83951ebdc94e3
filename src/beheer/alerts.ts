/**
 * Alerts for beheer, shown on the page and exported as `schakel_alert{alert,destination}`: a queue too deep,
 * dead letters, a message waiting too long, a destination whose recent attempts all failed, a certificate
 * about to expire. Thresholds come from `alerts` in the configuration.
 */
import type { AlertsConfig } from '../config/beheer.ts';
import type { AttemptEvent } from '../metrics.ts';
import type { Overview } from './overview.ts';

export const ALERT_KINDS = [
  'queue-depth',
  'dead-letters',
  'oldest-waiting',
  'destination-unhealthy',
  'certificate-expiring',
  'answers-overdue',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface Alert {
  alert: AlertKind;
  /** The destination (or, for a certificate, what it is used for); '' when not tied to one. */
  destination: string;
  severity: 'warning' | 'critical';
  /** Dutch, for the page; no personal data. */
  text: string;
}

/** A certificate the gateway uses and when it expires. */
export interface CertificateInfo {
  name: string;
  destination?: string;
  notAfter: Date;
}

/** Where certificate facts come from; none until the certificates work lands. */
export type CertificateSource = () => Promise<CertificateInfo[]>;
export const noCertificates: CertificateSource = async () => [];

/**
 * Consecutive failed delivery attempts per destination, from the attempts this process recorded (so it
 * starts empty after a restart and, scaled out, each instance sees its own attempts).
 */
export class DestinationHealth {
  private readonly streaks = new Map<string, number>();

  record(e: Pick<AttemptEvent, 'destination' | 'outcome'>): void {
    this.streaks.set(e.destination, e.outcome === 'delivered' ? 0 : (this.streaks.get(e.destination) ?? 0) + 1);
  }

  failingStreak(destination: string): number {
    return this.streaks.get(destination) ?? 0;
  }
}

const DAY_MS = 86_400_000;

export function daysLeft(c: CertificateInfo, now: Date): number {
  return Math.floor((c.notAfter.getTime() - now.getTime()) / DAY_MS);
}

export function evaluateAlerts(
  overview: Overview,
  health: DestinationHealth,
  certificates: readonly CertificateInfo[],
  t: AlertsConfig,
  now: Date,
): Alert[] {
  const alerts: Alert[] = [];
  for (const d of overview.destinations) {
    const waiting = d.queued + d.delivering;
    if (waiting >= t.queueDepth) {
      alerts.push({
        alert: 'queue-depth',
        destination: d.key,
        severity: 'warning',
        text: `${waiting} berichten wachten (drempel ${t.queueDepth})`,
      });
    }
    if (d.dead >= t.deadLetters) {
      alerts.push({
        alert: 'dead-letters',
        destination: d.key,
        severity: 'critical',
        text: d.dead === 1 ? '1 bericht is onbestelbaar' : `${d.dead} berichten zijn onbestelbaar`,
      });
    }
    if (d.oldestWaitingAt) {
      const minutes = (now.getTime() - Date.parse(d.oldestWaitingAt)) / 60_000;
      if (minutes > t.oldestWaitingMinutes) {
        alerts.push({
          alert: 'oldest-waiting',
          destination: d.key,
          severity: 'warning',
          text: `oudste wachtende bericht is ${Math.floor(minutes)} minuten oud (drempel ${t.oldestWaitingMinutes})`,
        });
      }
    }
    const streak = health.failingStreak(d.key);
    if (streak >= t.unhealthyAfterFailures) {
      alerts.push({
        alert: 'destination-unhealthy',
        destination: d.key,
        severity: 'critical',
        text: `laatste ${streak} afleverpogingen mislukt`,
      });
    }
  }
  for (const c of certificates) {
    const left = daysLeft(c, now);
    if (left <= t.certificateDays) {
      alerts.push({
        alert: 'certificate-expiring',
        destination: c.destination ?? c.name,
        severity: left <= 7 ? 'critical' : 'warning',
        text: left < 0 ? `certificaat ${c.name} is verlopen` : `certificaat ${c.name} verloopt over ${left} dagen`,
      });
    }
  }
  return alerts;
}
