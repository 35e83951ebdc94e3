import { isIP } from 'node:net';
import { z } from 'zod';
import { deadlinesConfigSchema } from '../calendar/overdue.ts';
import type { Direction, Standard } from '../catalogue/types.ts';
import { alertsConfig, beheerConfig, metricsConfig } from './beheer.ts';
import { bodyEncryption } from './encryption.ts';

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

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 lower-case letters, digits, ".", "_" or "-"');
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
  profile: id.describe('The certificate profile (tls.profiles[].id) the gateway serves HTTPS with'),
  /** none: no client certificates; optional: verified when sent (API keys still work); required: mutual TLS. */
  clientCertificates: z
    .enum(['none', 'optional', 'required'])
    .default('required')
    .describe('none: no client certificates; optional: verified when sent (API keys still work); required: mutual TLS'),
});

/** Requests per caller / inbound party (token bucket), and failed authentications per client IP. */
const rateLimit = z.strictObject({
  /** Requests per second one caller or inbound party may make, sustained. */
  perSecond: z
    .number()
    .positive()
    .default(500)
    .describe('Requests per second one caller or inbound party may make, sustained'),
  /** Requests it may make at once above that (the bucket's size). */
  burst: positiveInt.default(1000).describe('Requests it may make at once above that (the bucket size)'),
  /** Failed authentications (401) per minute one client IP may cause, sustained. */
  failuresPerMinute: z
    .number()
    .positive()
    .default(60)
    .describe('Failed authentications (401) per minute one client IP may cause, sustained'),
  /** Failed authentications it may cause at once; then its requests get 429 until the bucket refills. */
  failureBurst: positiveInt
    .default(60)
    .describe('Failed authentications it may cause at once; then its requests get 429 until the bucket refills'),
});

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
/** An address, a CIDR range (`10.0.0.0/8`, `fd00::/8`) or one of Express's names for ranges. */
function isProxyAddress(v: string): boolean {
  const [address, bits, ...rest] = v.trim().split('/');
  if (rest.length > 0 || !address) return false;
  if (bits === undefined) return PROXY_NAMES.has(address) || isIP(address) !== 0;
  const max = isIP(address) === 4 ? 32 : isIP(address) === 6 ? 128 : 0;
  return max > 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}
const proxyAddress = z
  .string()
  .refine(isProxyAddress, { error: 'an IP address, a CIDR range, or loopback / linklocal / uniquelocal' });
const trustProxy = z.union([
  z.boolean(),
  z.number().int().min(0).max(100),
  z.array(proxyAddress).min(1),
  z.string().refine((v) => v.split(',').every(isProxyAddress), {
    error: 'comma-separated IP addresses, CIDR ranges, or loopback / linklocal / uniquelocal',
  }),
]);

const server = z.strictObject({
  port: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(8080)
    .describe('TCP port of the HTTP(S) server; env PORT overrides it'),
  host: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe(
      'Address to listen on (127.0.0.1: this host only; 0.0.0.0: every interface); env SCHAKEL_HOST overrides it',
    ),
  bodyLimitBytes: positiveInt
    .default(25 * MiB)
    .describe('Largest bericht body accepted, counted after decompression (413 BODY_TOO_LARGE above it)'),
  requestTimeoutMs: positiveInt
    .default(30_000)
    .describe('A request body must have arrived within this time (408 REQUEST_TIMEOUT)'),
  rateLimit: rateLimit
    .prefault({})
    .describe('Requests per caller or inbound party (token bucket), and failed authentications per client IP'),
  /**
   * Bytes of bericht bodies read and judged at once; more waits its turn with its body unread (memory stays
   * bounded under many large uploads). A body larger than this goes alone.
   */
  bodiesInFlightBytes: positiveInt
    .default(64 * MiB)
    .describe('Bytes of bericht bodies read and judged at once; more waits its turn (memory stays bounded)'),
  /**
   * Of those bytes, what one caller or inbound party may hold at once (beyond one request of its own), so that
   * one key holder declaring large bodies and sending nothing cannot keep the others waiting.
   */
  bodiesInFlightPerHolderBytes: positiveInt
    .default(32 * MiB)
    .describe('Of those bytes, what one caller or inbound party may hold at once beyond one request of its own'),
  /** How long a request may wait for that turn; then 503 SERVER_BUSY with Retry-After. */
  admissionWaitMs: positiveInt
    .default(30_000)
    .describe('How long a request may wait for that turn; then 503 SERVER_BUSY with Retry-After'),
  tls: serverTls
    .optional()
    .describe(
      'Serve HTTPS with a certificate profile and, when asked, client certificates (mutual TLS); plain HTTP when absent',
    ),
  /**
   * Which proxies in front of the gateway to believe about the client address (X-Forwarded-For), with the
   * semantics of Express's `trust proxy`: false (default: the peer is the client), true (any), a hop count, or
   * addresses / CIDR ranges / loopback, linklocal, uniquelocal (a list, or one comma-separated string). The
   * client address is what the failed-authentication limit counts per, and what the logs show.
   */
  trustProxy: trustProxy
    .default(false)
    .describe(
      'Proxies to believe about the client address (X-Forwarded-For), as Express trust proxy: false, true, a hop count, or addresses / CIDR ranges / loopback, linklocal, uniquelocal',
    ),
});

const gemeente = z.strictObject({
  code: gemeentecode.describe('CBS gemeentecode, 4 digits (quote it in YAML)'),
  name: z.string().min(1).describe('Name of the gemeente'),
});

const partyCodes = z
  .strictObject({
    agb: z.array(agbCode).default([]).describe('AGB codes (8 digits) the party sends and receives as'),
    gemeentecode: z.array(gemeentecode).default([]).describe('Gemeentecodes the party acts for'),
    /** GGK/StUF `organisatie` values (CAK, SVB, an instance code …). */
    organisatie: z
      .array(z.string().min(1).max(200))
      .default([])
      .describe('GGK/StUF organisatie values (CAK, SVB, an instance code …)'),
  })
  .prefault({});

const party = z.strictObject({
  id: id.describe('Identifier of the party, used by inbound[].party'),
  name: z.string().min(1).optional().describe('Display name'),
  kind: z
    .enum(PARTY_KINDS)
    .describe(
      'What kind of party: an aanbieder, CAK, SVB, the GGK or CORV hub, Raad voor de Kinderbescherming, Veilig Thuis, other',
    ),
  codes: partyCodes.describe('The codes the party sends and receives as'),
  oin: oin.optional().describe('The party OIN (20 digits)'),
});

/** A caller or inbound party needs an API key or an OIN (a client certificate) to be let in. */
const keyOrOin = {
  message: 'at least one API key hash (apiKeys) or OIN (oins) is needed',
  path: ['apiKeys'],
};

const caller = z
  .strictObject({
    id: id.describe('Identifier of the internal system'),
    apiKeys: z
      .array(apiKeyHash)
      .default([])
      .describe('sha256 hashes of its API keys (schakel new-api-key); never a plaintext key'),
    /** OINs whose verified client certificate (subject serialNumber) authenticates as this caller. */
    oins: z
      .array(oin)
      .default([])
      .describe('OINs whose verified client certificate (subject serialNumber) authenticates as this caller'),
    /** Afzender codes this system may send as, or '*'. */
    afzenders: z.array(z.string().min(1)).min(1).describe('Afzender codes this system may send as, or "*"'),
    messages: z.array(messagePattern).min(1).describe('Message names it may send (WMO301 …), or "*"'),
  })
  .refine((c) => c.apiKeys.length > 0 || c.oins.length > 0, keyOrOin);

/**
 * A party that delivers through the gemeente's Digikoppeling adapter over DAI (`POST /dai/{party}`): the wsa:From
 * values its adapter may deliver with, each exact or ending in `*` (a prefix), e.g. `urn:dkintern:CORV:*`.
 * Without the list any wsa:From is taken that agrees with the bericht's stuurgegevens (Appendix B).
 */
const inboundDai = z.strictObject({
  from: z
    .array(
      z
        .string()
        .min(1)
        .max(500)
        .regex(/^urn:dkintern:/, 'a DAI address starts with "urn:dkintern:"'),
    )
    .min(1)
    .optional()
    .describe('wsa:From values its adapter may deliver with, each exact or ending in * (a prefix)'),
});

const inbound = z
  .strictObject({
    party: id.describe('The external party (parties.external[].id) that posts to /inbound/<party> (or /dai/<party>)'),
    apiKeys: z.array(apiKeyHash).default([]).describe('sha256 hashes of its API keys (schakel new-api-key)'),
    /** OINs whose verified client certificate authenticates as this party (over DAI: the adapter's certificate). */
    oins: z
      .array(oin)
      .default([])
      .describe(
        'OINs whose verified client certificate authenticates as this party (over DAI: the adapter certificate)',
      ),
    messages: z.array(messagePattern).min(1).describe('Message names it may send, or "*"'),
    dai: inboundDai
      .optional()
      .describe('The party delivers through the gemeente Digikoppeling adapter over DAI (POST /dai/<party>)'),
  })
  .refine((c) => c.apiKeys.length > 0 || c.oins.length > 0, keyOrOin);

const headers = z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid HTTP header name'), z.string());

/** The certificate profile (`tls.profiles[].id`) a destination connects with. */
const tlsProfile = id
  .optional()
  .describe('The certificate profile (tls.profiles[].id) the destination connects with (https or amqps)');

const destinationId = id.describe('Identifier of the destination, used by routes[].destination');

const webhookDestination = z.strictObject({
  id: destinationId,
  adapter: z.literal('webhook').describe('HTTP POST of the bericht to url'),
  tlsProfile,
  url: url.describe('Where the bericht is posted'),
  timeoutMs: positiveInt.default(30_000).describe('Longest wait for the answer; then the attempt is retried'),
  headers: headers
    .default({})
    .describe('Extra request headers (e.g. an Authorization for the receiver); values may be ${ENV:NAME}'),
});

/**
 * How a GGK or CORV destination is reached (adapters/digikoppeling/channel.ts):
 * - `dai`: through the gemeente's Digikoppeling adapter at `url`, over Digikoppeling Adapter Intern 1.0 (the
 *   way the GGK and CORV are reached in production). `service` is the ebMS Service of the CPA; `services` gives
 *   another one per message name (WMO301, vtoDi01 …) or per standard (iwmo, stuf-jz …); `actions` an ebMS
 *   Action per message name where the CPA does not use the Appendix B convention (namespace/element name).
 * - `direct`: plain SOAP 1.1 to `url` (an OntvangAsynchroon test endpoint); neither the GGK nor CORV takes it.
 */
const ebmsName = z
  .string()
  .min(1)
  .max(255)
  .regex(
    /^[A-Za-z0-9()+,\-.:=@;$_!*'/]+$/,
    "must be URN characters (it goes into wsa:Action): letters, digits and ()+,-.:=@;$_!*'/",
  );
const messageOrStandard = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{1,39}$/, 'must be a message name or a standard');
const daiEndpoint = z.strictObject({
  kind: z.literal('dai').describe('Through the gemeente Digikoppeling adapter at url, over DAI 1.0'),
  service: ebmsName.describe('The ebMS Service of the CPA'),
  services: z
    .record(messageOrStandard, ebmsName)
    .optional()
    .describe('Another ebMS Service per message name (WMO301, vtoDi01 …) or per standard (iwmo, stuf-jz …)'),
  actions: z
    .record(messagePattern, ebmsName)
    .optional()
    .describe('An ebMS Action per message name, where the CPA does not use namespace/element name'),
});
const directEndpoint = z.strictObject({
  kind: z
    .literal('direct')
    .describe('Plain SOAP 1.1 to url (an OntvangAsynchroon test endpoint; not taken in production)'),
});
const digikoppelingEndpoint = z
  .discriminatedUnion('kind', [daiEndpoint, directEndpoint])
  .optional()
  .describe('How the destination is reached: { kind: dai, service } in production; default { kind: direct }');
const versienr = z.string().regex(/^[0-9]{4}$/, 'four digits (quote it in YAML: "0001")');

const ggkDestination = z.strictObject({
  id: destinationId,
  adapter: z.literal('ggk').describe('The GGK (StUF-GGK envelope, SOAP)'),
  tlsProfile,
  url: url.describe('The GGK endpoint (or the ebMS2 adapter)'),
  timeoutMs: positiveInt.default(60_000).describe('Longest wait for the answer; then the attempt is retried'),
  /** Our `zender/applicatie` in the GGK envelope; `organisatie` comes from the message's Afzender. */
  applicatie: z
    .string()
    .min(3)
    .max(50)
    .default('Schakel')
    .describe('Our zender/applicatie in the GGK envelope (DAI: the second part of wsa:From)'),
  /** Our `zender/administratie` (DAI: the third part of wsa:From), when the gemeente's adapter routes on it. */
  administratie: z
    .string()
    .min(1)
    .max(50)
    .optional()
    .describe('Our zender/administratie (DAI: the third part of wsa:From)'),
  /** The GGK's `ontvanger/applicatie` (DAI: the second part of wsa:To); default `GGk`. */
  ontvangerApplicatie: z
    .string()
    .min(3)
    .max(50)
    .optional()
    .describe('The GGK ontvanger/applicatie (DAI: the second part of wsa:To); default GGk'),
  /** The envelope's applicatieVersie/applicatieSubversie (our application's version); default 0001/0000. */
  applicatieVersie: versienr.optional().describe('The envelope applicatieVersie (default 0001)'),
  applicatieSubversie: versienr.optional().describe('The envelope applicatieSubversie (default 0000)'),
  /** `{ kind: dai, service: … }` in production; default `{ kind: direct }` (a test endpoint). */
  endpoint: digikoppelingEndpoint,
});

const corvDestination = z.strictObject({
  id: destinationId,
  adapter: z.literal('corv').describe('CORV (StUF-Jeugdzorg over Digikoppeling)'),
  tlsProfile,
  url: url.describe('The CORV endpoint (or the ebMS2 adapter)'),
  timeoutMs: positiveInt.default(60_000).describe('Longest wait for the answer; then the attempt is retried'),
  /** The college's own OIN for this aansluitpunt. */
  oin: oin.describe("The college's own OIN for this aansluitpunt"),
  /** `{ kind: dai, service: … }` in production; default `{ kind: direct }` (a test endpoint). */
  endpoint: digikoppelingEndpoint,
  /** direct: SOAPAction per message name, replacing the default `<jz0100 namespace>/<message>` (adapters/digikoppeling/actions.ts). */
  soapActions: z
    .record(messagePattern, z.string().min(1))
    .optional()
    .describe('direct: SOAPAction per message name, replacing the default <jz0100 namespace>/<message>'),
});

const amqpDestination = z
  .strictObject({
    id: destinationId,
    adapter: z.literal('amqp').describe('Publish the bericht to a RabbitMQ (AMQP 0-9-1) broker'),
    tlsProfile,
    url: z
      .url({ protocol: /^amqps?$/, error: 'must be an amqp(s) URL' })
      .describe('amqp(s)://user:password@host/vhost; may be ${ENV:NAME} so the password stays out of the file'),
    /** Publish to this exchange with `routingKey` ("" is the default exchange, where the key names a queue) … */
    exchange: z
      .string()
      .max(255)
      .optional()
      .describe('Exchange to publish to ("" is the default exchange, where routingKey names a queue)'),
    routingKey: z.string().max(255).optional().describe('Routing key for the exchange'),
    /** … or straight to this queue. */
    queue: z.string().min(1).max(255).optional().describe('Or straight to this queue'),
    /** Longest wait for the connection and the broker's publisher confirm; then the delivery is retried. */
    timeoutMs: positiveInt
      .default(10_000)
      .describe('Longest wait for the connection and the broker publisher confirm; then the delivery is retried'),
  })
  .refine((d) => (d.queue === undefined) !== (d.exchange === undefined && d.routingKey === undefined), {
    message: 'give either exchange (with routingKey) or queue',
  });

const destination = z.discriminatedUnion('adapter', [
  webhookDestination,
  ggkDestination,
  corvDestination,
  amqpDestination,
]);

const route = z.strictObject({
  standard: z.enum(STANDARDS).optional().describe('The standard to match'),
  message: messagePattern.optional().describe('The message name to match, or "*"'),
  direction: z.enum(DIRECTIONS).optional().describe('heen or retour'),
  /** The Ontvanger (heen) or StUF ontvanger/organisatie to match. */
  ontvanger: z.string().min(1).optional().describe('The Ontvanger (heen) or StUF ontvanger/organisatie to match'),
  /** The Afzender to match; retours route back on it. */
  afzender: z.string().min(1).optional().describe('The Afzender to match; retours route back on it'),
  destination: id.describe('Where matching berichten go (destinations[].id); the first matching route wins'),
});

const retry = z
  .strictObject({
    maxAttempts: positiveInt.default(8).describe('Delivery attempts before a bericht is dead (waits for beheer)'),
    baseDelayMs: positiveInt.default(30_000).describe('Wait before the second attempt; doubles per attempt'),
    maxDelayMs: positiveInt.default(6 * 60 * 60 * 1000).describe('Longest wait between attempts'),
    jitter: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Random share of each wait (0-1), so retries do not come in waves'),
  })
  .prefault({})
  .refine((r) => r.maxDelayMs >= r.baseDelayMs, {
    message: 'maxDelayMs must not be smaller than baseDelayMs',
    path: ['maxDelayMs'],
  });

const retentionOverride = z
  .strictObject({
    bodyDays: z.number().positive().optional().describe('Days bodies of this standard are kept'),
    bodyHours: z.number().positive().optional().describe('Or hours (not both)'),
    metadataDays: z.number().positive().optional().describe('Days metadata of this standard is kept'),
  })
  .refine((o) => o.bodyDays === undefined || o.bodyHours === undefined, {
    message: 'give bodyDays or bodyHours, not both',
  });

const retention = z
  .strictObject({
    bodyDays: z
      .number()
      .positive()
      .default(30)
      .describe('Days a bericht body (which may hold a BSN) is kept; then it is purged'),
    metadataDays: z.number().positive().default(730).describe('Days the metadata (status, attempts, audit) is kept'),
    perStandard: z
      .partialRecord(z.enum(STANDARDS), retentionOverride)
      .default({})
      .describe('Other periods per standard'),
  })
  .prefault({});

const limits = z
  .strictObject({
    /** Most rows one list/search call returns. */
    listPageMax: positiveInt.default(500).describe('Most rows one list/search call returns'),
    /** Characters of a receiver's answer kept with a delivery attempt. */
    answerExcerptChars: positiveInt
      .default(500)
      .describe("Characters of a receiver's answer kept with a delivery attempt"),
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
  kind: z.literal('embedded').describe('Delivery in this process from the store outbox (one instance)'),
  concurrency: positiveInt.default(16).describe('Deliveries running at once'),
  pollIntervalMs: positiveInt.default(1000).describe('Longest sleep between looks at the outbox'),
  /** How long a leased delivery stays reserved; a crashed worker's rows come back after it. */
  leaseMs: positiveInt
    .default(5 * 60 * 1000)
    .describe("How long a leased delivery stays reserved; a crashed worker's rows come back after it"),
});

/** Scale-out: the outbox relay publishes to RabbitMQ, consumers on every instance deliver. */
const rabbitmqTransport = z.strictObject({
  kind: z
    .literal('rabbitmq')
    .describe('Scale-out: the outbox relay publishes to RabbitMQ, consumers on every instance deliver'),
  /** amqp(s)://user:password@host:port/vhost; env SCHAKEL_RABBITMQ_URL overrides it. */
  url: z
    .url({ protocol: /^amqps?$/, error: 'must be an amqp(s) URL' })
    .describe('amqp(s)://user:password@host:port/vhost; env SCHAKEL_RABBITMQ_URL overrides it'),
  /** Prefix of every exchange and queue; instances with the same prefix (and vhost) share the work. */
  queuePrefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be 1-100 letters, digits, ".", "_" or "-"')
    .default('schakel')
    .describe('Prefix of every exchange and queue; instances with the same prefix (and vhost) share the work'),
  /**
   * Deliveries running at once in this instance. 64, not the embedded 16: each delivery waits for its claim, its
   * HTTP answer and its completion, so with fewer the instance accepts faster than it delivers under load.
   */
  concurrency: positiveInt
    .default(64)
    .describe('Deliveries running at once in this instance (claims and acks are batched over them)'),
  /** Unacknowledged broker messages per destination queue for this instance; default 2 × concurrency. */
  prefetch: positiveInt
    .optional()
    .describe('Unacknowledged broker messages per destination queue for this instance; default 2 × concurrency'),
  /** Publishes awaiting the broker's confirm at once (pipelined, never one at a time). */
  publishWindow: positiveInt.default(256).describe('Publishes awaiting the broker confirm at once'),
  /** Outbox rows the relay takes per round. */
  relayBatch: positiveInt.default(200).describe('Outbox rows the relay takes per round'),
  /** Longest sleep of the relay between looks at the outbox when nothing wakes it earlier. */
  pollIntervalMs: positiveInt.default(1000).describe('Longest sleep of the relay between looks at the outbox'),
  /** After a message was queued the relay waits this long, so messages queued together share its statements. */
  relayLingerMs: z
    .number()
    .int()
    .min(0)
    .default(20)
    .describe('Wait after a message was queued, so messages queued together share statements'),
  /** How long a claimed delivery stays reserved; an attempt is aborted before it runs out. */
  leaseMs: positiveInt
    .default(5 * 60 * 1000)
    .describe('How long a claimed delivery stays reserved; an attempt is aborted before it runs out'),
  /** How long the relay's reservation of a row being published lasts (a crashed relay's rows come back after it). */
  publishLeaseMs: positiveInt
    .default(30_000)
    .describe("How long the relay's reservation of a row being published lasts"),
  /** A published delivery still unclaimed this long after it fell due is published again (the broker lost it). */
  republishAfterMs: positiveInt
    .default(60 * 60 * 1000)
    .describe('A published delivery still unclaimed this long after it fell due is published again'),
  /** Quorum queue x-delivery-limit: a message redelivered this often (it keeps killing its consumer) is dead-lettered. */
  deliveryLimit: positiveInt
    .default(20)
    .describe('Quorum queue x-delivery-limit: a message redelivered this often is dead-lettered'),
  /** Reconnect backoff after the connection to the broker is lost. */
  reconnectBaseDelayMs: positiveInt.default(250).describe('First reconnect wait after the broker connection is lost'),
  reconnectMaxDelayMs: positiveInt.default(15_000).describe('Longest reconnect wait'),
  heartbeatSeconds: z.number().int().min(0).default(15).describe('AMQP heartbeat (0: none)'),
});

const transport = z
  .preprocess(defaultKind('embedded'), z.discriminatedUnion('kind', [embeddedTransport, rabbitmqTransport]))
  .prefault({});

const sqliteStore = z.strictObject({
  /** `<dataDir>/schakel.sqlite`: one gateway instance. */
  kind: z.literal('sqlite').describe('<dataDir>/schakel.sqlite: one gateway instance'),
  encryption: bodyEncryption,
});

const postgresStore = z.strictObject({
  /** Shared by any number of gateway instances. */
  kind: z.literal('postgres').describe('PostgreSQL, shared by any number of gateway instances'),
  /** postgres://user:password@host:port/database; env SCHAKEL_POSTGRES_URL overrides it. */
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .describe('postgres://user:password@host:port/database; env SCHAKEL_POSTGRES_URL overrides it'),
  /** Connections per instance. */
  poolSize: positiveInt.default(10).describe('Connections per instance'),
  /** Apply pending migrations at startup (under an advisory lock); false: only `schakel migrate` does. */
  migrateOnStart: z
    .boolean()
    .default(true)
    .describe('Apply pending migrations at start-up (under an advisory lock); false: only schakel migrate does'),
  /** Schema of the tables (created when missing); default: the connection's search_path. */
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be lower-case letters, digits and "_"')
    .optional()
    .describe('Schema of the tables (created when missing); default: the connection search_path'),
  encryption: bodyEncryption,
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
    id: id.describe('Identifier of the profile, used by server.tls.profile and destinations[].tlsProfile'),
    cert: z
      .string()
      .min(1)
      .optional()
      .describe('Our certificate (PEM file, with its chain), relative to the configuration file'),
    key: z.string().min(1).optional().describe('Its private key (PEM file)'),
    pkcs12: z.string().min(1).optional().describe('Or certificate and key in one PKCS#12 file'),
    passphraseEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the name of an environment variable')
      .optional()
      .describe('Environment variable holding the PKCS#12 or key passphrase'),
    passphrase: z
      .never({
        error: 'never put a passphrase in the file: name the environment variable that holds it in passphraseEnv',
      })
      .optional()
      .describe('Not allowed: a passphrase never goes in the file (use passphraseEnv)'),
    ca: z.array(z.string().min(1)).default([]).describe('CA certificates (PEM files) trusted for the other side'),
    expectOin: oin.optional().describe("The OIN the other side's certificate must carry"),
  })
  .superRefine((p, ctx) => {
    if (p.pkcs12 !== undefined && (p.cert !== undefined || p.key !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['pkcs12'], message: 'give cert + key or pkcs12, not both' });
    } else if (p.pkcs12 === undefined && (p.cert === undefined || p.key === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [p.cert === undefined ? 'cert' : 'key'],
        message: 'give cert + key (PEM files) or pkcs12',
      });
    }
  });

const tls = z
  .strictObject({
    profiles: z
      .array(tlsProfileEntry)
      .default([])
      .describe('Certificate profiles: our certificate and key, the CAs we trust, the OIN we expect'),
    /** A certificate expiring within this many days is logged (warn) and shown in /healthz. */
    expiryWarningDays: positiveInt
      .default(30)
      .describe('A certificate expiring within this many days is logged (warn) and shown in /healthz'),
    /** How often the profiles are read from disk again (also on SIGHUP). */
    reloadIntervalMs: positiveInt
      .default(60_000)
      .describe('How often the profiles are read from disk again (also on SIGHUP)'),
  })
  .prefault({});

/** Where berichten are judged: worker threads keep the event loop free for HTTP, the store and delivery. */
const validation = z
  .strictObject({
    /** Validation worker threads (each compiles the schema packs once); 0 judges everything on the event loop. */
    workers: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(1)
      .describe('Validation worker threads; 0 judges everything on the event loop'),
    /** Documents up to this size are judged on the event loop even when there are workers. */
    inlineMaxBytes: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Documents up to this size are judged on the event loop even when there are workers'),
    /**
     * Product list for TR381 (ProductCode fits ProductCategorie, S329): `standard;categorie;code` lines, see
     * data/productcodes.example.csv (a test list). Relative to the working directory. Absent: TR381 is off.
     */
    productList: z
      .string()
      .min(1)
      .optional()
      .describe('Product list file for TR381 (standard;categorie;code lines); absent: TR381 is off'),
  })
  .prefault({});

const log = z
  .strictObject({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Lowest level logged; env LOG_LEVEL overrides it'),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    server: server.prefault({}).describe('The HTTP(S) server'),
    dataDir: z
      .string()
      .min(1)
      .default('.schakel')
      .describe('Folder of the SQLite store, relative to this file; env SCHAKEL_DATA_DIR overrides it'),
    log: log.describe('Logging'),
    validation: validation.describe('Where berichten are judged: worker threads keep the event loop free'),
    parties: z
      .strictObject({
        gemeenten: z.array(gemeente).default([]).describe('The gemeenten this gateway serves'),
        external: z.array(party).default([]).describe('External parties: aanbieders, CAK, SVB, the GGK, CORV …'),
      })
      .prefault({})
      .describe('Who the gateway exchanges berichten with'),
    callers: z.array(caller).default([]).describe('Internal systems that post to /berichten'),
    inbound: z.array(inbound).default([]).describe('External parties that post to /inbound/<party>'),
    destinations: z.array(destination).default([]).describe('Where berichten are delivered'),
    routes: z
      .array(route)
      .default([])
      .describe('Which bericht goes to which destination; the first matching route wins'),
    tls: tls.describe('Certificate profiles (Digikoppeling/PKIoverheid)'),
    retry: retry.describe('Delivery retries'),
    retention: retention.describe('How long bodies and metadata are kept'),
    limits: limits.describe('Limits of list calls and kept answers'),
    transport: transport.describe('How deliveries are carried out: embedded (one instance) or rabbitmq (scale-out)'),
    store: store.describe('Where berichten are stored: sqlite (one instance) or postgres (scale-out)'),
    // Functioneel beheer (src/config/beheer.ts): /beheer users, /metrics access, alert thresholds.
    beheer: beheerConfig.describe('Functioneel beheer: /beheer users and sessions'),
    metrics: metricsConfig.describe('Access to /metrics'),
    alerts: alertsConfig.describe('Alert thresholds (beheer and schakel_alert)'),
    // Answer deadlines in working days (standards.md §5 Expectations; src/calendar): "Wacht op antwoord".
    deadlines: deadlinesConfigSchema.describe(
      'Answer deadlines in working days per standard and message (Wacht op antwoord, schakel_answers_overdue)',
    ),
  })
  .superRefine((c, ctx) => {
    const unique = (ids: string[], path: (string | number)[], what: string) => {
      const seen = new Set<string>();
      ids.forEach((v, i) => {
        if (seen.has(v)) ctx.addIssue({ code: 'custom', path: [...path, i], message: `duplicate ${what} "${v}"` });
        seen.add(v);
      });
    };
    unique(
      c.parties.gemeenten.map((g) => g.code),
      ['parties', 'gemeenten'],
      'gemeentecode',
    );
    unique(
      c.parties.external.map((p) => p.id),
      ['parties', 'external'],
      'party id',
    );
    unique(
      c.callers.map((x) => x.id),
      ['callers'],
      'caller id',
    );
    unique(
      c.inbound.map((x) => x.party),
      ['inbound'],
      'inbound party',
    );
    unique(
      c.destinations.map((d) => d.id),
      ['destinations'],
      'destination id',
    );
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
  unique(
    c.tls.profiles.map((p) => p.id),
    ['tls', 'profiles'],
    'TLS profile id',
  );
  for (const [section, holders] of [
    ['callers', c.callers],
    ['inbound', c.inbound],
  ] as const) {
    const owner = new Map<string, number>();
    holders.forEach((h, i) =>
      h.oins.forEach((value, j) => {
        // The gemeente's one Digikoppeling adapter delivers for several parties (GGK, CORV) on /dai/{party} with
        // one certificate; the party in the path tells them apart, so DAI parties may share an OIN.
        if (
          'dai' in h &&
          h.dai !== undefined &&
          holders.every((o, k) => k === i || !o.oins.includes(value) || ('dai' in o && o.dai !== undefined))
        )
          return;
        const first = owner.get(value);
        if (first !== undefined && first !== i) {
          ctx.addIssue({
            code: 'custom',
            path: [section, i, 'oins', j],
            message: `OIN ${value} is already given to ${section}[${first}]`,
          });
        }
        owner.set(value, first ?? i);
      }),
    );
  }
  const profiles = new Map(c.tls.profiles.map((p) => [p.id, p]));
  c.destinations.forEach((d, i) => {
    if (d.tlsProfile === undefined) return;
    if (!profiles.has(d.tlsProfile)) {
      ctx.addIssue({
        code: 'custom',
        path: ['destinations', i, 'tlsProfile'],
        message: `unknown TLS profile "${d.tlsProfile}"`,
      });
    } else if (!/^(https|amqps):/.test(d.url)) {
      ctx.addIssue({
        code: 'custom',
        path: ['destinations', i, 'tlsProfile'],
        message: 'a TLS profile needs an https (or amqps) URL',
      });
    }
  });
  const serverTls = c.server.tls;
  if (serverTls === undefined) return;
  const profile = profiles.get(serverTls.profile);
  if (!profile) {
    ctx.addIssue({
      code: 'custom',
      path: ['server', 'tls', 'profile'],
      message: `unknown TLS profile "${serverTls.profile}"`,
    });
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
