import { z } from 'zod';
import type { Direction, Standard } from '../catalogue/types.ts';
import { alertsConfig, beheerConfig, metricsConfig } from './beheer.ts';

export const STANDARDS = [
  'iwmo',
  'ijw',
  'ieb',
  'ipgb',
  'stuf-jz',
  'stuf',
  'ggk',
] as const satisfies readonly Standard[];
// Fails to compile when catalogue/types.ts gains a standard that is missing above.
const allStandardsListed: Exclude<Standard, (typeof STANDARDS)[number]> extends never ? true : never = true;
void allStandardsListed;

export const DIRECTIONS = ['heen', 'retour'] as const satisfies readonly Direction[];

export const PARTY_KINDS = ['aanbieder', 'cak', 'svb', 'ggk', 'corv', 'rvdk', 'veilig-thuis', 'other'] as const;
export const ADAPTER_NAMES = ['webhook', 'ggk', 'corv', 'amqp'] as const;

const MiB = 1024 * 1024;

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 lower-case letters, digits, ".", "_" or "-"');
const gemeentecode = z.string().regex(/^[0-9]{4}$/, 'a CBS gemeentecode is 4 digits (quote it in YAML: "0363")');
const agbCode = z.string().regex(/^[0-9]{8}$/, 'an AGB code is 8 digits (quote it in YAML)');
const oin = z.string().regex(/^[0-9]{20}$/, 'an OIN is 20 digits (quote it in YAML)');
const apiKeyHash = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" followed by 64 lower-case hex digits (never a plaintext key)');
/** A message name from the catalogue (WMO301, JW315, vtoDi01 …) or '*' for all. */
const messagePattern = z.string().regex(/^(\*|[A-Za-z][A-Za-z0-9_]{1,39})$/, 'must be a message name or "*"');
const positiveInt = z.number().int().positive();
const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const server = z.strictObject({
  port: z.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  bodyLimitBytes: positiveInt.default(25 * MiB),
  requestTimeoutMs: positiveInt.default(30_000),
});

const gemeente = z.strictObject({ code: gemeentecode, name: z.string().min(1) });

const partyCodes = z
  .strictObject({
    agb: z.array(agbCode).default([]),
    gemeentecode: z.array(gemeentecode).default([]),
    /** GGK/StUF `organisatie` values (CAK, SVB, an instance code …). */
    organisatie: z.array(z.string().min(1).max(200)).default([]),
  })
  .prefault({});

const party = z.strictObject({
  id,
  name: z.string().min(1).optional(),
  kind: z.enum(PARTY_KINDS),
  codes: partyCodes,
  oin: oin.optional(),
});

const caller = z.strictObject({
  id,
  apiKeys: z.array(apiKeyHash).min(1, 'at least one API key hash is needed'),
  /** Afzender codes this system may send as, or '*'. */
  afzenders: z.array(z.string().min(1)).min(1),
  messages: z.array(messagePattern).min(1),
});

const inbound = z.strictObject({
  party: id,
  apiKeys: z.array(apiKeyHash).min(1, 'at least one API key hash is needed'),
  messages: z.array(messagePattern).min(1),
});

const headers = z.record(
  z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid HTTP header name'),
  z.string(),
);

const webhookDestination = z.strictObject({
  id,
  adapter: z.literal('webhook'),
  url,
  timeoutMs: positiveInt.default(30_000),
  headers: headers.default({}),
});

const ggkDestination = z.strictObject({
  id,
  adapter: z.literal('ggk'),
  url,
  timeoutMs: positiveInt.default(60_000),
  /** Our `zender/applicatie` in the GGK envelope; `organisatie` comes from the message's Afzender. */
  applicatie: z.string().min(3).max(50).default('Schakel'),
});

const corvDestination = z.strictObject({
  id,
  adapter: z.literal('corv'),
  url,
  timeoutMs: positiveInt.default(60_000),
  /** The college's own OIN for this aansluitpunt. */
  oin,
});

const amqpDestination = z.strictObject({
  id,
  adapter: z.literal('amqp'),
  url: z.url({ protocol: /^amqps?$/, error: 'must be an amqp(s) URL' }),
  exchange: z.string(),
  routingKey: z.string().min(1),
});

const destination = z.discriminatedUnion('adapter', [
  webhookDestination,
  ggkDestination,
  corvDestination,
  amqpDestination,
]);

const route = z.strictObject({
  standard: z.enum(STANDARDS).optional(),
  message: messagePattern.optional(),
  direction: z.enum(DIRECTIONS).optional(),
  /** The Ontvanger (heen) or StUF ontvanger/organisatie to match. */
  ontvanger: z.string().min(1).optional(),
  /** The Afzender to match; retours route back on it. */
  afzender: z.string().min(1).optional(),
  destination: id,
});

const retry = z
  .strictObject({
    maxAttempts: positiveInt.default(8),
    baseDelayMs: positiveInt.default(30_000),
    maxDelayMs: positiveInt.default(6 * 60 * 60 * 1000),
    jitter: z.number().min(0).max(1).default(0.2),
  })
  .prefault({})
  .refine((r) => r.maxDelayMs >= r.baseDelayMs, {
    message: 'maxDelayMs must not be smaller than baseDelayMs',
    path: ['maxDelayMs'],
  });

const retentionOverride = z
  .strictObject({
    bodyDays: z.number().positive().optional(),
    bodyHours: z.number().positive().optional(),
    metadataDays: z.number().positive().optional(),
  })
  .refine((o) => o.bodyDays === undefined || o.bodyHours === undefined, {
    message: 'give bodyDays or bodyHours, not both',
  });

const retention = z
  .strictObject({
    bodyDays: z.number().positive().default(30),
    metadataDays: z.number().positive().default(730),
    perStandard: z.partialRecord(z.enum(STANDARDS), retentionOverride).default({}),
  })
  .prefault({});

const limits = z
  .strictObject({
    /** Most rows one list/search call returns. */
    listPageMax: positiveInt.default(500),
    /** Characters of a receiver's answer kept with a delivery attempt. */
    answerExcerptChars: positiveInt.default(500),
  })
  .prefault({});

/** A missing `kind` means the first (embedded) variant, so existing configurations keep their meaning. */
function defaultKind(kind: string) {
  return (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { kind?: unknown }).kind === undefined
      ? { ...v, kind }
      : v;
}

const embeddedTransport = z.strictObject({
  kind: z.literal('embedded'),
  concurrency: positiveInt.default(4),
  pollIntervalMs: positiveInt.default(1000),
  /** How long a leased delivery stays reserved; a crashed worker's rows come back after it. */
  leaseMs: positiveInt.default(5 * 60 * 1000),
});

/** Scale-out: the outbox relay publishes to RabbitMQ, consumers on every instance deliver. */
const rabbitmqTransport = z.strictObject({
  kind: z.literal('rabbitmq'),
  /** amqp(s)://user:password@host:port/vhost; env SCHAKEL_RABBITMQ_URL overrides it. */
  url: z.url({ protocol: /^amqps?$/, error: 'must be an amqp(s) URL' }),
  /** Prefix of every exchange and queue; instances with the same prefix (and vhost) share the work. */
  queuePrefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be 1-100 letters, digits, ".", "_" or "-"')
    .default('schakel'),
  /** Deliveries running at once in this instance. */
  concurrency: positiveInt.default(16),
  /** Unacknowledged broker messages per destination queue for this instance; default 2 × concurrency. */
  prefetch: positiveInt.optional(),
  /** Publishes awaiting the broker's confirm at once (pipelined, never one at a time). */
  publishWindow: positiveInt.default(256),
  /** Outbox rows the relay takes per round. */
  relayBatch: positiveInt.default(200),
  /** Longest sleep of the relay between looks at the outbox when nothing wakes it earlier. */
  pollIntervalMs: positiveInt.default(1000),
  /** After a message was queued the relay waits this long, so messages queued together share its statements. */
  relayLingerMs: z.number().int().min(0).default(20),
  /** How long a claimed delivery stays reserved; an attempt is aborted before it runs out. */
  leaseMs: positiveInt.default(5 * 60 * 1000),
  /** How long the relay's reservation of a row being published lasts (a crashed relay's rows come back after it). */
  publishLeaseMs: positiveInt.default(30_000),
  /** A published delivery still unclaimed this long after it fell due is published again (the broker lost it). */
  republishAfterMs: positiveInt.default(60 * 60 * 1000),
  /** Quorum queue x-delivery-limit: a message redelivered this often (it keeps killing its consumer) is dead-lettered. */
  deliveryLimit: positiveInt.default(20),
  /** Reconnect backoff after the connection to the broker is lost. */
  reconnectBaseDelayMs: positiveInt.default(250),
  reconnectMaxDelayMs: positiveInt.default(15_000),
  heartbeatSeconds: z.number().int().min(0).default(15),
});

const transport = z
  .preprocess(defaultKind('embedded'), z.discriminatedUnion('kind', [embeddedTransport, rabbitmqTransport]))
  .prefault({});

const sqliteStore = z.strictObject({
  /** `<dataDir>/schakel.sqlite`: one gateway instance. */
  kind: z.literal('sqlite'),
});

const postgresStore = z.strictObject({
  /** Shared by any number of gateway instances. */
  kind: z.literal('postgres'),
  /** postgres://user:password@host:port/database; env SCHAKEL_POSTGRES_URL overrides it. */
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  /** Connections per instance. */
  poolSize: positiveInt.default(10),
  /** Apply pending migrations at startup (under an advisory lock); false: only `schakel migrate` does. */
  migrateOnStart: z.boolean().default(true),
  /** Schema of the tables (created when missing); default: the connection's search_path. */
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be lower-case letters, digits and "_"')
    .optional(),
});

const store = z
  .preprocess(defaultKind('sqlite'), z.discriminatedUnion('kind', [sqliteStore, postgresStore]))
  .prefault({});

const log = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    server: server.prefault({}),
    dataDir: z.string().min(1).default('.schakel'),
    log,
    parties: z
      .strictObject({
        gemeenten: z.array(gemeente).default([]),
        external: z.array(party).default([]),
      })
      .prefault({}),
    callers: z.array(caller).default([]),
    inbound: z.array(inbound).default([]),
    destinations: z.array(destination).default([]),
    routes: z.array(route).default([]),
    retry,
    retention,
    limits,
    transport,
    store,
    // Functioneel beheer (src/config/beheer.ts): /beheer users, /metrics access, alert thresholds.
    beheer: beheerConfig,
    metrics: metricsConfig,
    alerts: alertsConfig,
  })
  .superRefine((c, ctx) => {
    const unique = (ids: string[], path: (string | number)[], what: string) => {
      const seen = new Set<string>();
      ids.forEach((v, i) => {
        if (seen.has(v)) ctx.addIssue({ code: 'custom', path: [...path, i], message: `duplicate ${what} "${v}"` });
        seen.add(v);
      });
    };
    unique(c.parties.gemeenten.map((g) => g.code), ['parties', 'gemeenten'], 'gemeentecode');
    unique(c.parties.external.map((p) => p.id), ['parties', 'external'], 'party id');
    unique(c.callers.map((x) => x.id), ['callers'], 'caller id');
    unique(c.inbound.map((x) => x.party), ['inbound'], 'inbound party');
    unique(c.destinations.map((d) => d.id), ['destinations'], 'destination id');

    const partyIds = new Set(c.parties.external.map((p) => p.id));
    c.inbound.forEach((x, i) => {
      if (!partyIds.has(x.party)) {
        ctx.addIssue({ code: 'custom', path: ['inbound', i, 'party'], message: `unknown party "${x.party}"` });
      }
    });
    const destinationIds = new Set(c.destinations.map((d) => d.id));
    c.routes.forEach((r, i) => {
      if (!destinationIds.has(r.destination)) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'destination'],
          message: `unknown destination "${r.destination}"`,
        });
      }
    });
  });

export type Config = z.output<typeof configSchema>;
export type ServerConfig = Config['server'];
export type PartyConfig = Config['parties']['external'][number];
export type GemeenteConfig = Config['parties']['gemeenten'][number];
export type CallerConfig = Config['callers'][number];
export type InboundConfig = Config['inbound'][number];
export type DestinationConfig = Config['destinations'][number];
export type AdapterName = DestinationConfig['adapter'];
export type WebhookDestination = Extract<DestinationConfig, { adapter: 'webhook' }>;
export type RouteConfig = Config['routes'][number];
export type RetryConfig = Config['retry'];
export type RetentionConfig = Config['retention'];
export type LimitsConfig = Config['limits'];
export type TransportConfig = Config['transport'];
export type RabbitMqTransportConfig = Extract<TransportConfig, { kind: 'rabbitmq' }>;
export type StoreConfig = Config['store'];
export type PostgresStoreConfig = Extract<StoreConfig, { kind: 'postgres' }>;
export type PartyKind = (typeof PARTY_KINDS)[number];
