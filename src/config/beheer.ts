/**
 * Configuration of functioneel beheer: who may log in to /beheer, how /metrics is protected, and when alerts
 * fire. Kept apart from schema.ts so the beheer sections change without touching the rest of the schema.
 */
import { z } from 'zod';
import { API_KEY_HASH_PATTERN } from '../security/api-keys.ts';
import { PASSWORD_HASH_PATTERN } from '../security/passwords.ts';

export const BEHEER_ROLES = ['viewer', 'beheerder'] as const;
export type BeheerRole = (typeof BEHEER_ROLES)[number];

const positiveInt = z.number().int().positive();

const beheerUser = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_", "@" or "-"')
    .describe('Login name'),
  role: z.enum(BEHEER_ROLES).describe('viewer: looks; beheerder: also resends, holds, cancels, reads bodies'),
  /** `scrypt:<salt>:<hash>` (see `hashPassword`); never a plaintext password. */
  passwordHash: z
    .string()
    .regex(PASSWORD_HASH_PATTERN, 'must be "scrypt:<salt>:<hash>" (make one with schakel hash-password)')
    .describe('scrypt:<salt>:<hash> from schakel hash-password; never a plaintext password'),
});

export const beheerConfig = z
  .strictObject({
    users: z
      .array(beheerUser)
      .default([])
      .superRefine((users, ctx) => {
        const seen = new Set<string>();
        users.forEach((u, i) => {
          if (seen.has(u.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate user "${u.name}"` });
          seen.add(u.name);
        });
      })
      .describe('Who may log in to /beheer'),
    /** A session ends this long after login. */
    sessionTtlMinutes: positiveInt.default(480).describe('A session ends this long after login'),
    /** The session cookie's Secure flag: `auto` sets it when the request came over TLS (req.secure). */
    secureCookie: z
      .enum(['auto', 'always', 'never'])
      .default('auto')
      .describe('The session cookie Secure flag: auto sets it when the request came over TLS'),
    /** No longer used: the BSN search reads the store's keyed-hash BSN index, not bodies (docs/encryption.md). */
    bsnSearchMaxScan: positiveInt
      .default(5000)
      .describe('No longer used (the BSN search reads the BSN index, not bodies); accepted for older files'),
    /** Most messages one bulk action may touch. */
    jobMaxMessages: positiveInt.default(10_000).describe('Most messages one bulk action may touch'),
    /** Store actions a bulk job runs at once. */
    jobConcurrency: positiveInt.max(32).default(4).describe('Store actions a bulk job runs at once'),
  })
  .prefault({});

export const metricsConfig = z
  .strictObject({
    /** `sha256:<hex>` of the token a scraper sends as `Authorization: Bearer <token>`; a beheer session works too. */
    bearerToken: z
      .string()
      .regex(API_KEY_HASH_PATTERN, 'must be "sha256:" followed by 64 lower-case hex digits')
      .optional()
      .describe(
        'sha256:<hex> of the token a scraper sends as Authorization: Bearer <token> (schakel new-api-key); a beheer session works too',
      ),
  })
  .prefault({});

export const alertsConfig = z
  .strictObject({
    /** Messages waiting (queued or in delivery) for one destination at or above which it alerts. */
    queueDepth: positiveInt.default(1000).describe('Messages waiting for one destination at or above which it alerts'),
    /** Dead messages for one destination at or above which it alerts (1: any dead letter). */
    deadLetters: positiveInt.default(1).describe('Dead messages for one destination at or above which it alerts'),
    /** A waiting message received longer ago than this alerts. */
    oldestWaitingMinutes: z
      .number()
      .positive()
      .default(60)
      .describe('A waiting message received longer ago than this alerts'),
    /** A destination whose last this many delivery attempts all failed is unhealthy. */
    unhealthyAfterFailures: positiveInt
      .default(5)
      .describe('A destination whose last this many attempts all failed is unhealthy'),
    /** A certificate expiring within this many days alerts. */
    certificateDays: positiveInt.default(30).describe('A certificate expiring within this many days alerts'),
  })
  .prefault({});

export type BeheerConfig = z.output<typeof beheerConfig>;
export type BeheerUser = BeheerConfig['users'][number];
export type MetricsConfig = z.output<typeof metricsConfig>;
export type AlertsConfig = z.output<typeof alertsConfig>;
