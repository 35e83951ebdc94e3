import type { Direction, Standard } from '../catalogue/types.ts';
import type { Finding } from '../validation/finding.ts';
import type { BeheerState } from './beheer-state.ts';

/**
 * The purpose a bericht is processed for (issue #15), one per flow of the sociaal domein. Kept here, the store's
 * vocabulary; beheer's grants speak the same values.
 */
export const FLOWS = ['wmo', 'jeugd', 'pgb', 'eigen-bijdrage', 'jeugdbescherming'] as const;
export type Flow = (typeof FLOWS)[number];

/** One part of a scope: these gemeenten on these flows ("*": every one). */
export interface ScopePart {
  gemeenten: readonly string[] | '*';
  flows: readonly Flow[] | '*';
}

/**
 * The messages a reader may see: those matching any part. A message without a gemeente matches only a part
 * with gemeenten "*". An empty scope matches nothing; no scope at all (undefined) means every message.
 */
export type MessageScope = readonly ScopePart[];

/**
 * A message's status as every read shows it (message, lists, filters, counts). `delivering` is not stored (issue
 * #17): a queued message reads delivering while its outbox row holds a delivery lease (`leaseDue`, or a claimed
 * broker publication; also once that lease ran out, until it is taken again). The status history records the
 * stored statuses only, so a delivery shows as queued → delivered (or failed, dead); a retry leaves it queued.
 */
export const MESSAGE_STATUSES = [
  'received',
  'queued',
  'delivering',
  'delivered',
  'failed',
  'dead',
  'on_hold',
  'cancelled',
  'rejected',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** States in which the gateway has nothing more to do for a message; retention is counted from here. */
export const SETTLED_STATUSES = [
  'delivered',
  'failed',
  'dead',
  'cancelled',
  'rejected',
] as const satisfies readonly MessageStatus[];

/** The statuses a message may be stored with. */
export type InitialStatus = 'received' | 'queued' | 'on_hold' | 'rejected';

/**
 * The identity the standard requires to be unique, enforced by the database:
 * - `istd` (TR056): unique per (sender, message name, identificatie). For a heenbericht that is
 *   Header/Afzender + BerichtIdentificatie/Identificatie. A retour copies the heen's header, so pass its real
 *   sender (Header/Ontvanger where the header has one, else the fixed party code such as CAK) and
 *   IdentificatieRetour.
 * - `stuf` (StUF016): unique per (zender organisatie, referentienummer), whatever the message.
 * Rejected messages take no part in uniqueness.
 */
export type DedupKey =
  | { scope: 'istd'; sender: string; identificatie: string }
  | { scope: 'stuf'; zender: string; referentienummer: string };

/** Who handed the message to the gateway: an internal system (callers) or an external party (inbound). */
export interface MessageSource {
  kind: 'caller' | 'inbound';
  id: string;
}

export interface NewMessage {
  /** Generated (UUID v4) when omitted. */
  id?: string;
  standard: Standard;
  release: string;
  messageName: string;
  direction: Direction;
  /** iStandaarden Header/Afzender; StUF zender/organisatie. */
  afzender?: string | null;
  /** iStandaarden Header/Ontvanger; StUF ontvanger/organisatie. */
  ontvanger?: string | null;
  /** iStandaarden BerichtIdentificatie as in the header (a retour's copy of the heen's). */
  berichtIdentificatie?: string | null;
  /** YYYY-MM-DD */
  dagtekening?: string | null;
  berichtcode?: string | null;
  referentienummer?: string | null;
  /** StUF crossRefnummer, or another correlation key the pipeline wants to keep. */
  crossRef?: string | null;
  /** The CBS gemeentecode of the gemeente the bericht belongs to (pipeline/tenancy.ts); null when none. */
  gemeente?: string | null;
  /** The flow (purpose); derived from the standard when omitted. */
  flow?: Flow | null;
  dedup: DedupKey | null;
  body: Uint8Array | string;
  source: MessageSource;
  status: InitialStatus;
  /** Required when status is `queued`: the first outbox row goes there. */
  destination?: string | null;
  /** Why the message is on hold, received-but-unrouted or rejected (no personal data). */
  statusReason?: string | null;
  /** The heenbericht this message answers, when already known. */
  correlatedTo?: string | null;
  /** Short outcome shown on the heenbericht when `correlatedTo` is set (e.g. retourcodes "0200"). */
  answerSummary?: string | null;
  /**
   * False for a message that belongs to the heenbericht's conversation without being its answer (a CORV
   * notificatie to a VTO): linked through `correlatedTo`, but never the heen's `answeredBy`. Default true.
   */
  countsAsAnswer?: boolean;
  /**
   * The case this message opens, for later messages that relate to it through case data rather than a
   * crossRefnummer (a VTO's zaak identificatie, as a hash: see pipeline/case-reference.ts). Never shown.
   */
  caseRef?: string | null;
  findings?: Finding[];
  /**
   * sha256 (hex) of what a repeat is compared on, when it is not the whole body: the bericht inside a GGK
   * envelope, so that the same bericht in a new envelope (another referentienummer, tijdstip) is a repeat.
   */
  contentHash?: string;
  /**
   * The facts the cross-message rules read later (iEb periods, iPgb budgets), keyed on hashed BSNs; written in
   * the same transaction as the message, and only when it is not rejected.
   */
  history?: HistoryFacts | null;
}

/** iEb: one delivery of a period, as the history keeps it (the Bsn only as its HMAC). */
export interface HistoryPeriodKey {
  /** The heen message the period is delivered in (WMO405, WMO407). */
  messageName: string;
  afzender: string;
  bsnHash: string;
  nummer: string;
}

/** iPgb: a budget of a client, (Afzender, hashed Bsn, BudgetIdentificatie). */
export interface HistoryBudgetKey {
  afzender: string;
  bsnHash: string;
  budget: string;
}

/** What one bericht adds to the history. */
export interface HistoryFacts {
  periods: (HistoryPeriodKey & { status: string })[];
  budgets: HistoryBudgetKey[];
}

/** The keys one bericht asks the history about. */
export interface HistoryQuery {
  periods: HistoryPeriodKey[];
  budgets: HistoryBudgetKey[];
}

/** One earlier message in the history: its id and BerichtIdentificatie. */
export interface HistoryMessageRef {
  id: string;
  identificatie: string;
  dagtekening: string;
}

/** The history's answers for the keys of one query, in the query's order. */
export interface HistorySnapshot {
  /** Per queried period: its earlier deliveries, oldest first. */
  periods: { key: HistoryPeriodKey; deliveries: (HistoryMessageRef & { status: string })[] }[];
  /**
   * Per queried budget: whether another client (another Bsn hash) of the same Afzender used it, and the
   * oldest TKB on this key that is not rejected or cancelled and has no retour yet.
   */
  budgets: { key: HistoryBudgetKey; heldByAnotherClient: boolean; pending: HistoryMessageRef | null }[];
}

export type InsertResult =
  /** `message`: the stored message as `getMessage` would return it, read in the same statement/transaction. */
  | { kind: 'inserted'; id: string; message: StoredMessage }
  /** Same identity and same content: the caller gets the first receipt again. */
  | { kind: 'duplicate-same'; id: string }
  /** Same identity, other content: TR056 / StUF016. */
  | { kind: 'duplicate-different'; id: string };

/** A message's metadata. Bodies are read only through `getBody`. */
export interface StoredMessage {
  id: string;
  receivedAt: Date;
  standard: Standard;
  release: string;
  messageName: string;
  direction: Direction;
  afzender: string | null;
  ontvanger: string | null;
  berichtIdentificatie: string | null;
  dagtekening: string | null;
  berichtcode: string | null;
  referentienummer: string | null;
  crossRef: string | null;
  /** CBS gemeentecode, or null when the bericht names no gemeente. */
  gemeente: string | null;
  flow: Flow | null;
  dedup: DedupKey | null;
  contentHash: string;
  bodySize: number;
  hasBody: boolean;
  bodyPurgedAt: Date | null;
  source: MessageSource;
  status: MessageStatus;
  statusReason: string | null;
  destination: string | null;
  correlatedTo: string | null;
  /** The first retour linked to this heenbericht, and its outcome. */
  answeredBy: string | null;
  answerSummary: string | null;
  findings: Finding[];
  attempts: number;
  nextAttemptAt: Date | null;
  settledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A list row: no body, no findings. */
export type MessageSummary = Omit<StoredMessage, 'findings' | 'dedup'> & { findingCount: number };

export type CorrelationKey =
  /** iStandaarden: the heen's name, Afzender, Identificatie and Dagtekening, as the retour carries them. */
  | { scope: 'istd'; messageName: string; afzender: string; identificatie: string; dagtekening: string }
  /** StUF: the answer's crossRefnummer is the answered message's referentienummer from that zender. */
  | { scope: 'stuf'; zender: string; referentienummer: string }
  /** Case data (a CORV notificatie → its VTO): the latest `messageName` from that zender that opened this case. */
  | { scope: 'case'; zender: string; messageName: string; caseRef: string };

export interface MessageFilter {
  status?: MessageStatus | MessageStatus[];
  standard?: Standard;
  messageName?: string;
  direction?: Direction;
  afzender?: string;
  ontvanger?: string;
  destination?: string;
  berichtIdentificatie?: string;
  referentienummer?: string;
  correlatedTo?: string;
  sourceId?: string;
  receivedFrom?: Date;
  /** Exclusive. */
  receivedTo?: Date;
  gemeente?: string;
  flow?: Flow;
  /** Only messages within this scope (beheer: the grants of the reader); undefined: every message. */
  scope?: MessageScope;
  /**
   * Only berichten that carry this BSN (nine digits) in a BSN element: looked up in the store's keyed-hash index,
   * never by reading bodies. Never logged.
   */
  bsn?: string;
  /** Default 50; capped by the store's list maximum. */
  limit?: number;
  offset?: number;
}

export interface MessagePage {
  items: MessageSummary[];
  total: number;
}

export interface StatusChange {
  at: Date;
  from: MessageStatus | null;
  to: MessageStatus;
  actor: string;
  reason: string | null;
}

export type AttemptOutcomeKind = 'delivered' | 'retry' | 'failed';

export interface DeliveryAttempt {
  messageId: string;
  /** Counts all attempts of the message, across resends. */
  attemptNo: number;
  destination: string;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  outcome: AttemptOutcomeKind;
  /** The message's status after this attempt (queued on retry, dead when retries ran out …). */
  resultStatus: MessageStatus;
  httpStatus: number | null;
  reason: string | null;
  /** Start of the receiver's answer; BSN-shaped numbers masked. */
  answerExcerpt: string | null;
  nextAttemptAt: Date | null;
}

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  targetId: string | null;
  details: Record<string, unknown>;
}

export interface AuditInput {
  actor: string;
  action: string;
  targetId?: string | null;
  /** Free-form facts; strings are stored with BSN-shaped numbers masked. */
  details?: Record<string, unknown>;
}

export interface AuditFilter {
  targetId?: string;
  actor?: string;
  action?: string;
  from?: Date;
  limit?: number;
  offset?: number;
}

/** A delivery reserved for one worker until `leaseUntil`; after that another worker may take it. */
export interface Lease {
  outboxId: number;
  token: string;
  owner: string;
  messageId: string;
  destination: string;
  /** 1 for the first try of this delivery round (a resend starts a new round). */
  attempt: number;
  leaseUntil: Date;
  message: OutboxMessage;
}

/** What an adapter needs of a message: identity, routing facts and the body. */
export interface OutboxMessage {
  id: string;
  standard: Standard;
  release: string;
  messageName: string;
  direction: Direction;
  afzender: string | null;
  ontvanger: string | null;
  berichtIdentificatie: string | null;
  referentienummer: string | null;
  crossRef: string | null;
  correlatedTo: string | null;
  /** Null only when the body was purged while the message was pending, which retention never does. */
  body: Buffer | null;
}

export interface AttemptReport {
  startedAt: Date;
  finishedAt: Date;
  outcome: AttemptOutcomeKind;
  httpStatus?: number | null;
  reason?: string | null;
  answer?: string | null;
}

/** What happens to the message after an attempt; the transport decides, the store records it atomically. */
export type NextStep = { kind: 'delivered' } | { kind: 'retry'; at: Date } | { kind: 'failed' } | { kind: 'dead' };

/**
 * Scale-out (broker transport): a delivery reserved for publishing. The relay publishes it to the broker with
 * `token` in the broker message and marks it published once the broker confirmed it. Outbox rows move through
 * phases: due → publishing (relay lease) → published (in the broker, lease free) → claimed (a consumer took it
 * from the broker; a lease like `leaseDue`'s) → deleted or, on retry, due again. A lease that runs out in
 * publishing or claimed makes the row publishable again under a new token; a broker copy with an old token is
 * stale and dropped by its consumer.
 */
export interface PublishLease {
  outboxId: number;
  token: string;
  messageId: string;
  destination: string;
  /** 1 for the first try of this delivery round. */
  attempt: number;
  /** When the delivery falls due; later than now for a scheduled retry (it waits in a broker delay queue). */
  dueAt: Date;
}

/** Names one publication of a delivery: the outbox row and the token the broker message carries. */
export type PublishRef = Pick<PublishLease, 'outboxId' | 'token'>;

export interface LeaseForPublishOptions {
  /** Also take deliveries falling due up to this far ahead (scheduled retries go to a delay queue). Default 0. */
  horizonMs?: number;
  /**
   * Take a published delivery again when it is still unclaimed this long after it fell due (the broker lost it).
   * Default: never.
   */
  republishAfterMs?: number;
}

export type ClaimResult =
  | { kind: 'claimed'; lease: Lease }
  /** Another consumer holds a live claim: it records the outcome, or its claim runs out and the relay publishes again. */
  | { kind: 'busy'; leaseUntil: Date }
  /** No longer this publication: settled, held, cancelled, or published again under another token. */
  | { kind: 'stale' };

export type CompleteResult =
  | { kind: 'recorded'; status: MessageStatus }
  /** The lease had expired and was taken over, or beheer changed the message: the attempt is kept, the state is not. */
  | { kind: 'lease-lost' };

export type ActionResult =
  | { ok: true; status: MessageStatus }
  | {
      ok: false;
      reason: 'not-found' | 'invalid-state' | 'in-flight' | 'body-purged' | 'no-destination';
      status?: MessageStatus;
    };

/**
 * Maximum age per standard, in milliseconds; `default` for standards without an override. Ages count from the
 * moment a message settled: for a delivered message that is its confirmed delivery. Bodies of pending
 * messages are never purged, and a failed or dead message (which beheer may still resend) keeps its body at
 * least `default` long, whatever its standard's shorter age.
 */
export interface RetentionAges {
  default: number;
  perStandard: Partial<Record<Standard, number>>;
}

export interface PurgeResult {
  total: number;
  perStandard: Partial<Record<Standard, number>>;
}

export type StatusCounts = Record<MessageStatus, number>;

export interface StatusCountFilter {
  destination?: string;
  standard?: Standard;
  gemeente?: string;
  scope?: MessageScope;
}

export interface GemeenteCount {
  gemeente: string | null;
  flow: Flow | null;
  status: MessageStatus;
  n: number;
}

/** A recorded delivery attempt as metrics and health see it (no message content). */
export interface RecordedAttempt {
  destination: string;
  outcome: AttemptOutcomeKind;
  next: NextStep['kind'];
  seconds: number;
}

/*
 * The store's roles. Every state change and its history/audit rows are written in one transaction; a resolved
 * promise means the change is durable. A part of the gateway takes the roles it uses (the transport the
 * outboxes, beheer the actions …); `MessageStore` is all of them, for the composition root.
 */

/** The messages: stored once, read by id, listed, with their history and delivery attempts. */
export interface MessageLog {
  /** Stores a message (and, when queued, its first outbox row) or reports the duplicate it is. */
  insertMessage(message: NewMessage, actor: string): Promise<InsertResult>;
  /** The message; null when unknown or, with a scope, outside it. */
  getMessage(id: string, scope?: MessageScope): Promise<StoredMessage | null>;
  /** The stored body; null when unknown, purged or, with a scope, outside it. */
  getBody(id: string, scope?: MessageScope): Promise<Buffer | null>;
  listMessages(filter?: MessageFilter): Promise<MessagePage>;
  /** The changes of the stored status, oldest first (no `delivering`: see `MESSAGE_STATUSES`). */
  statusHistory(id: string): Promise<StatusChange[]>;
  deliveryAttempts(id: string): Promise<DeliveryAttempt[]>;
  statusCounts(filter?: StatusCountFilter): Promise<StatusCounts>;
  /** Messages per gemeente (null: none) and status within the scope (the overview per gemeente). */
  gemeenteCounts(scope?: MessageScope): Promise<GemeenteCount[]>;
}

export interface UnansweredFilter {
  receivedBefore: Date;
  limit: number;
  scope?: MessageScope;
}

/** A heenbericht still waiting for its answer (standards.md §5 Expectations): metadata only. */
export interface UnansweredHeen {
  id: string;
  standard: Standard;
  messageName: string;
  afzender: string | null;
  ontvanger: string | null;
  status: MessageStatus;
  receivedAt: Date;
  /** When it was delivered; null while it is still queued or in delivery. */
  deliveredAt: Date | null;
}

/** Retours and answers linked to the heenbericht they answer. */
export interface CorrelationStore {
  /**
   * iWmo/iJw/iEb/iPgb heenberichten received before `receivedBefore` that are queued, in delivery or delivered
   * and have no answer linked yet, oldest first.
   */
  listUnanswered(filter: UnansweredFilter): Promise<UnansweredHeen[]>;
  /** The earliest non-rejected heenbericht with this key, or null. */
  findCorrelationTarget(key: CorrelationKey): Promise<StoredMessage | null>;
  /** Marks `retourId` as answering `heenId`; the first retour linked is the heen's answer. */
  linkRetour(
    retourId: string,
    heenId: string,
    actor: string,
    answerSummary?: string | null,
  ): Promise<{ ok: boolean; firstAnswer: boolean }>;
}

/** The outbox as a delivering transport sees it: lease, deliver, record. */
export interface DeliveryOutbox {
  /**
   * Reserves up to `limit` due deliveries whose lease is free or expired (not those handed to a broker); only
   * the outbox rows are written, their messages read delivering from the lease.
   */
  leaseDue(owner: string, limit: number, leaseMs: number): Promise<Lease[]>;
  /** Gives a lease back without counting an attempt (shutdown): due at once, and the message reads queued again. */
  releaseLease(lease: Pick<Lease, 'outboxId' | 'token' | 'messageId' | 'owner'>): Promise<boolean>;
  /** When the next delivery `leaseDue` can take falls due (leased rows count from their lease end), or null. */
  nextDueAt(): Promise<Date | null>;
  /** Records an attempt and moves the message on (retry, delivered, failed, dead) in one transaction. */
  completeDelivery(
    lease: Pick<Lease, 'outboxId' | 'token' | 'messageId' | 'destination'>,
    attempt: AttemptReport,
    next: NextStep,
  ): Promise<CompleteResult>;
  /**
   * Calls `listener` after each `completeDelivery` that recorded (whatever its result); returns the unsubscribe.
   * The hook of metrics and destination health; a listener that throws is ignored.
   */
  onAttemptRecorded(listener: (attempt: RecordedAttempt) => void): () => void;
}

/** Scale-out: the outbox as the relay and the broker's consumers see it (see `PublishLease`). */
export interface BrokerOutbox {
  /**
   * Reserves up to `limit` deliveries to publish (due, or due within `horizonMs`; and those whose publishing or
   * claimed lease ran out), oldest due first, each under a new token. Several relays lease disjoint rows. Does
   * not change the message's status: it stays queued until a consumer claims it.
   */
  leaseForPublish(
    owner: string,
    limit: number,
    leaseMs: number,
    options?: LeaseForPublishOptions,
  ): Promise<PublishLease[]>;
  /** The broker confirmed these publications: they wait there with a free lease. Returns how many were still publishing. */
  markPublished(refs: readonly PublishRef[]): Promise<number>;
  /** Publishing these failed: due again at once for the relay. Returns how many were still publishing. */
  abandonPublish(refs: readonly PublishRef[]): Promise<number>;
  /**
   * A consumer took a publication from the broker: reserves the delivery like `leaseDue` (reads delivering) when
   * the token is current and no live claim holds it. Also before `markPublished` (the consumer can be faster
   * than the confirm).
   */
  claimPublished(ref: PublishRef, owner: string, leaseMs: number): Promise<ClaimResult>;
}

/** Beheer's actions on one message; each audited when it changed something. Rules: `ACTION_FROM` in rules.ts. */
export interface BeheerActions {
  /** Deliver again under the same message id (from dead, failed, delivered, cancelled, received). */
  resend(id: string, actor: string, options?: { destination?: string }): Promise<ActionResult>;
  /** Stop a queued message from being delivered until released. */
  hold(id: string, actor: string, reason?: string): Promise<ActionResult>;
  release(id: string, actor: string): Promise<ActionResult>;
  /** Never deliver (from queued, on_hold, failed, dead, received). */
  cancel(id: string, actor: string, reason?: string): Promise<ActionResult>;
}

/** The history of iEb/iPgb berichten the level-3 rules read (written through `insertMessage`'s `history`). */
export interface HistoryStore {
  /** The history's answers for these keys. */
  readHistory(query: HistoryQuery): Promise<HistorySnapshot>;
  /**
   * The store's own secret for hashing BSNs when no key is configured: created once (random, 32 bytes) and the
   * same for every instance on this store.
   */
  historySecret(): Promise<Buffer>;
  /** TR507: the TKBs held back per budget key, oldest first within a key (at most `limit` rows). */
  listHeldTkbs(limit: number, scope?: MessageScope): Promise<HeldTkb[]>;
}

/** A TKB held back by TR507 (metadata only; the client only as its Bsn's HMAC). */
export interface HeldTkb {
  key: HistoryBudgetKey;
  id: string;
  berichtIdentificatie: string | null;
  receivedAt: Date;
  /** The TKB whose retour it waits for, from its hold reason. */
  waitingFor: string | null;
}

export interface RetentionStore {
  /**
   * Drops bodies of messages settled longer ago than their standard's age (delivered: since the confirmed
   * delivery); failed and dead ones only after at least `ages.default`.
   */
  purgeBodies(ages: RetentionAges): Promise<PurgeResult>;
  /** Deletes settled messages (with history and attempts) older than their standard's age. */
  purgeMetadata(ages: RetentionAges): Promise<PurgeResult>;
}

/** What one step of `schakel reencrypt` did: counts only, never content. */
export interface ResealBatch {
  /** Rows sealed again under the current key (or for the first time). */
  rows: number;
  /** Rows stored before encryption that got their BSN index entries now. */
  indexed: number;
  /** Rows left as they are because the key they are sealed under is not configured, per key id. */
  missingKeys: Record<string, number>;
  /** Where the next step starts (after this row); null when this step found no row left. */
  after: string | null;
}

/**
 * Encryption at rest (issue 15 part 4): re-sealing what was stored under another key, or in plain before
 * encryption, under the current key, in batches. Each step starts after the row the last one ended at; a row
 * done drops out of the selection, so a run that stopped starts again where it was.
 */
export interface ResealStore {
  /** Message rows (body, findings) not under the current key, ordered by id, after `after`. */
  resealMessages(limit: number, after: string | null): Promise<ResealBatch>;
  /** Delivery attempts' kept answers not under the current key, ordered by id, after `after`. */
  resealAnswers(limit: number, after: string | null): Promise<ResealBatch>;
  /** The id of the key new values are sealed under. */
  currentBodyKey(): Promise<string>;
}

export interface AuditLog {
  audit(entry: AuditInput): Promise<void>;
  listAudit(filter?: AuditFilter): Promise<AuditEntry[]>;
}

export type { BeheerState, BucketRate, StoredJob, StoredJobResult, StoredSession } from './beheer-state.ts';

/** The whole store: every role, and closing it. */
export interface MessageStore
  extends MessageLog,
    CorrelationStore,
    DeliveryOutbox,
    BrokerOutbox,
    BeheerActions,
    HistoryStore,
    RetentionStore,
    ResealStore,
    AuditLog {
  /** Beheer's shared state (sessions, login attempts, failure buckets, bulk jobs). */
  readonly beheerState: BeheerState;
  close(): Promise<void>;
}
