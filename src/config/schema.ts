import { z } from 'zod';
import { deadlinesConfigSchema } from '../calendar/overdue.ts';
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

/** The gateway's own HTTPS: the certificate profile it serves with and whether it asks for client certificates. */
const serverTls = z.strictObject({
  profile: id,
  /** none: no client certificates; optional: verified when sent (API keys still work); required: mutual TLS. */
  clientCertificates: z.enum(['none', 'optional', 'required']).default('required'),
});

/** Requests per caller / inbound party (token bucket), and failed authentications per client IP. */
const rateLimit = z.strictObject({
  /** Requests per second one caller or inbound party may make, sustained. */
  perSecond: z.number().positive().default(500),
  /** Requests it may make at once above that (the bucket's size). */
  burst: positiveInt.default(1000),
  /** Failed authentications (401) per minute one client IP may cause, sustained. */
  failuresPerMinute: z.number().positive().default(60),
  /** Failed authentications it may cause at once; then its requests get 429 until the bucket refills. */
  failureBurst: positiveInt.default(60),
});

const server = z.strictObject({
  port: z.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  bodyLimitBytes: positiveInt.default(25 * MiB),
  requestTimeoutMs: positiveInt.default(30_000),
  rateLimit: rateLimit.prefault({}),
  /**
   * Bytes of bericht bodies read and judged at once; more waits its turn with its body unread (memory stays
   * bounded under many large uploads). A body larger than this goes alone.
   */
  bodiesInFlightBytes: positiveInt.default(64 * MiB),
  /** How long a request may wait for that turn; then 503 SERVER_BUSY with Retry-After. */
  admissionWaitMs: positiveInt.default(30_000),
  tls: serverTls.optional(),
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

/** A caller or inbound party needs an API key or an OIN (a client certificate) to be let in. */
const keyOrOin = {
  message: 'at least one API key hash (apiKeys) or OIN (oins) is needed',
  path: ['apiKeys'],
};

const caller = z.strictObject({
  id,
  apiKeys: z.array(apiKeyHash).default([]),
  /** OINs whose verified client certificate (subject serialNumber) authenticates as this caller. */
  oins: z.array(oin).default([]),
  /** Afzender codes this system may send as, or '*'. */
  afzenders: z.array(z.string().min(1)).min(1),
  messages: z.array(messagePattern).min(1),
}).refine((c) => c.apiKeys.length > 0 || c.oins.length > 0, keyOrOin);

/**
 * A party that delivers through the gemeente's Digikoppeling adapter over DAI (`POST /dai/{party}`): the wsa:From
 * values its adapter may deliver with, each exact or ending in `*` (a prefix), e.g. `urn:dkintern:CORV:*`.
 * Without the list any wsa:From is taken that agrees with the bericht's stuurgegevens (Appendix B).
 */
const inboundDai = z.strictObject({
  from: z.array(z.string().min(1).max(500).regex(/^urn:dkintern:/, 'a DAI address starts with "urn:dkintern:"')).min(1).optional(),
});

const inbound = z.strictObject({
  party: id,
  apiKeys: z.array(apiKeyHash).default([]),
  /** OINs whose verified client certificate authenticates as this party (over DAI: the adapter's certificate). */
  oins: z.array(oin).default([]),
  messages: z.array(messagePattern).min(1),
  dai: inboundDai.optional(),
}).refine((c) => c.apiKeys.length > 0 || c.oins.length > 0, keyOrOin);

const headers = z.record(
  z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid HTTP header name'),
  z.string(),
);

/** The certificate profile (`tls.profiles[].id`) a destination connects with. */
const tlsProfile = id.optional();

const webhookDestination = z.strictObject({
  id,
  adapter: z.literal('webhook'),
  tlsProfile,
  url,
  timeoutMs: positiveInt.default(30_000),
  headers: headers.default({}),
});

/**
 * How a GGK or CORV destination is reached (adapters/digikoppeling/channel.ts):
 * - `dai`: through the gemeente's Digikoppeling adapter at `url`, over Digikoppeling Adapter Intern 1.0 (the
 *   way the GGK and CORV are reached in production). `service` is the ebMS Service of the CPA; `services` gives
 *   another one per message name (WMO301, vtoDi01 …) or per standard (iwmo, stuf-jz …); `actions` an ebMS
 *   Action per message name where the CPA does not use the Appendix B convention (namespace/element name).
 * - `direct`: plain SOAP 1.1 to `url` (an OntvangAsynchroon test endpoint); neither the GGK nor CORV takes it.
 */
const ebmsName = z.string().min(1).max(255).regex(/^[A-Za-z0-9()+,\-.:=@;$_!*'/]+$/, 'must be URN characters (it goes into wsa:Action): letters, digits and ()+,-.:=@;$_!*\'/');
const messageOrStandard = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{1,39}$/, 'must be a message name or a standard');
const daiEndpoint = z.strictObject({
  kind: z.literal('dai'),
  service: ebmsName,
  services: z.record(messageOrStandard, ebmsName).optional(),
  actions: z.record(messagePattern, ebmsName).optional(),
});
const directEndpoint = z.strictObject({ kind: z.literal('direct') });
const digikoppelingEndpoint = z.discriminatedUnion('kind', [daiEndpoint, directEndpoint]).optional();
const versienr = z.string().regex(/^[0-9]{4}$/, 'four digits (quote it in YAML: "0001")');

const ggkDestination = z.strictObject({
  id,
  adapter: z.literal('ggk'),
  tlsProfile,
  url,
  timeoutMs: positiveInt.default(60_000),
  /** Our `zender/applicatie` in the GGK envelope; `organisatie` comes from the message's Afzender. */
  applicatie: z.string().min(3).max(50).default('Schakel'),
  /** Our `zender/administratie` (DAI: the third part of wsa:From), when the gemeente's adapter routes on it. */
  administratie: z.string().min(1).max(50).optional(),
  /** The GGK's `ontvanger/applicatie` (DAI: the second part of wsa:To); default `GGk`. */
  ontvangerApplicatie: z.string().min(3).max(50).optional(),
  /** The envelope's applicatieVersie/applicatieSubversie (our application's version); default 0001/0000. */
  applicatieVersie: versienr.optional(),
  applicatieSubversie: versienr.optional(),
  /** `{ kind: dai, service: … }` in production; default `{ kind: direct }` (a test endpoint). */
  endpoint: digikoppelingEndpoint,
});

const corvDestination = z.strictObject({
  id,
  adapter: z.literal('corv'),
  tlsProfile,
  url,
  timeoutMs: positiveInt.default(60_000),
  /** The college's own OIN for this aansluitpunt. */
  oin,
  /** `{ kind: dai, service: … }` in production; default `{ kind: direct }` (a test endpoint). */
  endpoint: digikoppelingEndpoint,
  /** direct: SOAPAction per message name, replacing the default `<jz0100 namespace>/<message>` (adapters/digikoppeling/actions.ts). */
  soapActions: z.record(messagePattern, z.string().min(1)).optional(),
});

const amqpDestination = z.strictObject({
  id,
  adapter: z.literal('amqp'),
  tlsProfile,
  url: z.url({ protocol: /^amqps?$/, error: 'must be an amqp(s) URL' }),
  /** Publish to this exchange with `routingKey` ("" is the default exchange, where the key names a queue) … */
  exchange: z.string().max(255).optional(),
  routingKey: z.string().max(255).optional(),
  /** … or straight to this queue. */
  queue: z.string().min(1).max(255).optional(),
  /** Longest wait for the connection and the broker's publisher confirm; then the delivery is retried. */
  timeoutMs: positiveInt.default(10_000),
}).refine((d) => (d.queue === undefined) !== (d.exchange === undefined && d.routingKey === undefined), {
  message: 'give either exchange (with routingKey) or queue',
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
  concurrency: positiveInt.default(16),
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

/**
 * One certificate profile: our certificate and key (PEM files, or one PKCS#12 file whose passphrase comes from
 * the environment variable named in passphraseEnv), the CAs trusted for the other side, and the OIN that side's
 * certificate must carry. Paths are relative to the configuration file.
 */
const tlsProfileEntry = z
  .strictObject({
    id,
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    pkcs12: z.string().min(1).optional(),
    passphraseEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the name of an environment variable')
      .optional(),
    passphrase: z
      .never({ error: 'never put a passphrase in the file: name the environment variable that holds it in passphraseEnv' })
      .optional(),
    ca: z.array(z.string().min(1)).default([]),
    expectOin: oin.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.pkcs12 !== undefined && (p.cert !== undefined || p.key !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['pkcs12'], message: 'give cert + key or pkcs12, not both' });
    } else if (p.pkcs12 === undefined && (p.cert === undefined || p.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: [p.cert === undefined ? 'cert' : 'key'], message: 'give cert + key (PEM files) or pkcs12' });
    }
  });

const tls = z
  .strictObject({
    profiles: z.array(tlsProfileEntry).default([]),
    /** A certificate expiring within this many days is logged (warn) and shown in /healthz. */
    expiryWarningDays: positiveInt.default(30),
    /** How often the profiles are read from disk again (also on SIGHUP). */
    reloadIntervalMs: positiveInt.default(60_000),
  })
  .prefault({});

/** Where berichten are judged: worker threads keep the event loop free for HTTP, the store and delivery. */
const validation = z
  .strictObject({
    /** Validation worker threads (each compiles the schema packs once); 0 judges everything on the event loop. */
    workers: z.number().int().min(0).max(64).default(1),
    /** Documents up to this size are judged on the event loop even when there are workers. */
    inlineMaxBytes: z.number().int().min(0).default(0),
    /**
     * Product list for TR381 (ProductCode fits ProductCategorie, S329): `standard;categorie;code` lines, see
     * data/productcodes.example.csv (a test list). Relative to the working directory. Absent: TR381 is off.
     */
    productList: z.string().min(1).optional(),
  })
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
    validation,
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
    tls,
    retry,
    retention,
    limits,
    transport,
    store,
    // Functioneel beheer (src/config/beheer.ts): /beheer users, /metrics access, alert thresholds.
    beheer: beheerConfig,
    metrics: metricsConfig,
    alerts: alertsConfig,
    // Answer deadlines in working days (standards.md §5 Expectations; src/calendar): "Wacht op antwoord".
    deadlines: deadlinesConfigSchema,
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
    checkTlsReferences(c, ctx, unique);

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

type ConfigShape = {
  server: z.output<typeof server>;
  callers: z.output<typeof caller>[];
  inbound: z.output<typeof inbound>[];
  destinations: z.output<typeof destination>[];
  tls: z.output<typeof tls>;
};

/** Certificate profiles: unique ids, known references, a CA for client certificates, OINs used once. */
function checkTlsReferences(
  c: ConfigShape,
  ctx: z.core.$RefinementCtx<unknown>,
  unique: (ids: string[], path: (string | number)[], what: string) => void,
): void {
  unique(c.tls.profiles.map((p) => p.id), ['tls', 'profiles'], 'TLS profile id');
  for (const [section, holders] of [['callers', c.callers], ['inbound', c.inbound]] as const) {
    const owner = new Map<string, number>();
    holders.forEach((h, i) =>
      h.oins.forEach((value, j) => {
        // The gemeente's one Digikoppeling adapter delivers for several parties (GGK, CORV) on /dai/{party} with
        // one certificate; the party in the path tells them apart, so DAI parties may share an OIN.
        if ('dai' in h && h.dai !== undefined && holders.every((o, k) => k === i || !o.oins.includes(value) || ('dai' in o && o.dai !== undefined))) return;
        const first = owner.get(value);
        if (first !== undefined && first !== i) {
          ctx.addIssue({ code: 'custom', path: [section, i, 'oins', j], message: `OIN ${value} is already given to ${section}[${first}]` });
        }
        owner.set(value, first ?? i);
      }),
    );
  }
  const profiles = new Map(c.tls.profiles.map((p) => [p.id, p]));
  c.destinations.forEach((d, i) => {
    if (d.tlsProfile === undefined) return;
    if (!profiles.has(d.tlsProfile)) {
      ctx.addIssue({ code: 'custom', path: ['destinations', i, 'tlsProfile'], message: `unknown TLS profile "${d.tlsProfile}"` });
    } else if (!/^(https|amqps):/.test(d.url)) {
      ctx.addIssue({ code: 'custom', path: ['destinations', i, 'tlsProfile'], message: 'a TLS profile needs an https (or amqps) URL' });
    }
  });
  const serverTls = c.server.tls;
  if (serverTls === undefined) return;
  const profile = profiles.get(serverTls.profile);
  if (!profile) {
    ctx.addIssue({ code: 'custom', path: ['server', 'tls', 'profile'], message: `unknown TLS profile "${serverTls.profile}"` });
  } else if (serverTls.clientCertificates !== 'none' && profile.ca.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['server', 'tls', 'profile'],
      message: `profile "${profile.id}" has no ca: client certificates need the CA(s) to verify them against`,
    });
  }
}

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
export type TlsConfig = Config['tls'];
export type TlsProfileConfig = TlsConfig['profiles'][number];
export type ServerTlsConfig = NonNullable<ServerConfig['tls']>;
