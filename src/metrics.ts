/**
 * The gateway's Prometheus metrics, one registry per gateway. The pipeline and the delivery side report into
 * it through two narrow hooks (`PipelineMetrics`, the store's `onAttemptRecorded`); gauges that mirror the store (queue
 * depth, dead letters, alerts) are filled by collectors that run on each scrape. Labels are bounded: standard,
 * catalogue message name, outcome, configured destination, status. Never a message id or a BSN.
 */
import client from 'prom-client';
import { catalogue } from './catalogue/catalogue.ts';
import type { AcceptOutcome, PipelineMetrics } from './pipeline/accept.ts';
import { gemeenteOf } from './pipeline/tenancy.ts';
import type { RecordedAttempt } from './store/types.ts';
import type { Verdict } from './validation/verdict.ts';

/** One recorded delivery attempt, as the store was asked to record it. */
/** A recorded delivery attempt; the store reports each through `onAttemptRecorded`. */
export type AttemptEvent = RecordedAttempt;

const UNKNOWN = 'unknown';

export class GatewayMetrics implements PipelineMetrics {
  readonly registry = new client.Registry();
  private readonly messages: client.Counter<'standard' | 'message' | 'outcome' | 'gemeente'>;
  private readonly rejected: client.Counter<'standard' | 'message' | 'code' | 'gemeente'>;
  /** Issue #15: the gemeenten counted under their own `gemeente` label value; null: no such label. */
  private readonly gemeenten: ReadonlySet<string> | null;
  private readonly validation: client.Histogram<'standard'>;
  private readonly attempts: client.Counter<'destination' | 'outcome'>;
  private readonly attemptSeconds: client.Histogram<'destination'>;
  private readonly deadLettered: client.Counter<'destination'>;
  /** Filled on scrape. */
  readonly queueDepth: client.Gauge<'destination' | 'status'>;
  readonly deadLetters: client.Gauge<'destination'>;
  readonly oldestWaiting: client.Gauge<'destination'>;
  readonly certificateDaysLeft: client.Gauge<'certificate'>;
  readonly alerts: client.Gauge<'alert' | 'destination'>;
  readonly answersOverdue: client.Gauge<'standard'>;
  private readonly collectors: (() => Promise<void>)[] = [];

  /**
   * `gemeenteLabels` (config metrics.gemeenteLabels): when given, the counters of berichten handed in and rejected
   * get a `gemeente` label, the code for these gemeenten and `other` for the rest (bounded cardinality).
   */
  constructor(options: { processMetrics?: boolean; gemeenteLabels?: readonly string[] } = {}) {
    const registers = [this.registry];
    this.gemeenten = options.gemeenteLabels?.length ? new Set(options.gemeenteLabels) : null;
    const gemeente = this.gemeenten ? (['gemeente'] as const) : [];
    if (options.processMetrics ?? true) client.collectDefaultMetrics({ register: this.registry });
    this.messages = new client.Counter({
      name: 'schakel_messages_total',
      help: 'Berichten handed in, by standard, message and outcome (accepted, repeat, invalid, forbidden, no-route, conflict)',
      labelNames: ['standard', 'message', 'outcome', ...gemeente],
      registers,
    });
    this.rejected = new client.Counter({
      name: 'schakel_rejected_total',
      help: 'Berichten refused or rejected (and kept), by standard, message and code: the first finding (XSD_INVALID, a rule such as CS002 or TR056) or the refusal (AFZENDER_NOT_ALLOWED, NO_ROUTE …)',
      labelNames: ['standard', 'message', 'code', ...gemeente],
      registers,
    });
    this.validation = new client.Histogram({
      name: 'schakel_validation_seconds',
      help: 'Time to validate one bericht (parse, recognise, XSD, technical rules)',
      labelNames: ['standard'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.attempts = new client.Counter({
      name: 'schakel_delivery_attempts_total',
      help: 'Delivery attempts by destination and outcome (delivered, retry, failed)',
      labelNames: ['destination', 'outcome'],
      registers,
    });
    this.attemptSeconds = new client.Histogram({
      name: 'schakel_delivery_duration_seconds',
      help: 'Duration of one delivery attempt, by destination',
      labelNames: ['destination'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.deadLettered = new client.Counter({
      name: 'schakel_dead_lettered_total',
      help: 'Messages that became dead (retries ran out), by destination',
      labelNames: ['destination'],
      registers,
    });
    this.queueDepth = new client.Gauge({
      name: 'schakel_queue_depth',
      help: 'Messages per destination and status (queued, delivering, on_hold, failed, dead), read from the store on scrape',
      labelNames: ['destination', 'status'],
      registers,
    });
    this.deadLetters = new client.Gauge({
      name: 'schakel_dead_letters',
      help: 'Dead messages waiting for beheer, by destination',
      labelNames: ['destination'],
      registers,
    });
    this.oldestWaiting = new client.Gauge({
      name: 'schakel_oldest_waiting_seconds',
      help: 'Age of the oldest message waiting for delivery (queued or delivering), by destination; 0 when none wait',
      labelNames: ['destination'],
      registers,
    });
    this.certificateDaysLeft = new client.Gauge({
      name: 'schakel_certificate_days_left',
      help: 'Days until a certificate the gateway uses expires',
      labelNames: ['certificate'],
      registers,
    });
    this.alerts = new client.Gauge({
      name: 'schakel_alert',
      help: 'Active alerts (1); an alert that clears disappears',
      labelNames: ['alert', 'destination'],
      registers,
    });
    this.answersOverdue = new client.Gauge({
      name: 'schakel_answers_overdue',
      help: 'Heenberichten whose answer is overdue (working days, standards.md §5), by standard; read from the store on scrape',
      labelNames: ['standard'],
      registers,
    });
  }

  validated(verdict: Verdict, seconds: number): void {
    const standard = (verdict.payload ?? verdict).standard ?? verdict.standard ?? UNKNOWN;
    this.validation.observe({ standard }, seconds);
  }

  accepted(outcome: AcceptOutcome): void {
    const labels = { ...outcomeLabels(outcome), ...this.gemeenteLabel(outcome) };
    this.messages.inc({ ...labels, outcome: outcome.kind });
    const code = rejectionCode(outcome);
    if (code) this.rejected.inc({ ...labels, code });
  }

  /** The bounded `gemeente` label of a bericht handed in (none when not configured). */
  private gemeenteLabel(outcome: AcceptOutcome): { gemeente?: string } {
    if (!this.gemeenten) return {};
    let code: string | null;
    if (outcome.kind === 'accepted' || outcome.kind === 'repeat') code = outcome.message.gemeente;
    else {
      const h = (outcome.verdict.payload ?? outcome.verdict).header;
      code = gemeenteOf(h.afzender, h.ontvanger);
    }
    return { gemeente: code && this.gemeenten.has(code) ? code : 'other' };
  }

  attempted(e: AttemptEvent): void {
    this.attempts.inc({ destination: e.destination, outcome: e.outcome });
    this.attemptSeconds.observe({ destination: e.destination }, e.seconds);
    if (e.next === 'dead') this.deadLettered.inc({ destination: e.destination });
  }

  /** Runs before every scrape, in order; a failing collector fails the scrape. */
  onScrape(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  async render(): Promise<{ contentType: string; text: string }> {
    for (const collect of this.collectors) await collect();
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

/** Standard and message name from the catalogue only, so a label can never carry text from a request. */
function outcomeLabels(outcome: AcceptOutcome): { standard: string; message: string } {
  if (outcome.kind === 'accepted' || outcome.kind === 'repeat') {
    return { standard: outcome.message.standard, message: outcome.message.messageName };
  }
  const verdict = outcome.verdict.payload ?? outcome.verdict;
  const entry =
    (verdict.message ? catalogue.byName(verdict.message) : undefined) ??
    (outcome.verdict.message ? catalogue.byName(outcome.verdict.message) : undefined);
  return entry ? { standard: entry.standard, message: entry.name } : { standard: UNKNOWN, message: UNKNOWN };
}

/** A code from a fixed vocabulary (catalogue rule codes, XSD/parse codes, refusal codes); never request text. */
const CODE = /^[A-Za-z][A-Za-z0-9_]{1,39}$/;

/** The code a refused or rejected bericht is counted under; null for one the gateway took as it is. */
function rejectionCode(outcome: AcceptOutcome): string | null {
  let code: string | undefined;
  switch (outcome.kind) {
    case 'accepted':
    case 'repeat':
      return null;
    case 'invalid': {
      const v = outcome.verdict.payload && outcome.verdict.xsdValid ? outcome.verdict.payload : outcome.verdict;
      code = v.findings[0]?.code;
      break;
    }
    case 'forbidden':
      code = outcome.code;
      break;
    case 'no-route':
      code = 'NO_ROUTE';
      break;
    case 'conflict':
    case 'refused-answer':
      code = outcome.code;
      break;
  }
  return code && CODE.test(code) ? code : 'OTHER';
}
