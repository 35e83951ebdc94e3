/**
 * Configuration of functioneel beheer: who may log in to /beheer, how /metrics is protected, and when alerts
 * fire. Kept apart from schema.ts so the beheer sections change without touching the rest of the schema.
 */
import { z } from 'zod';
import { API_KEY_HASH_PATTERN } from '../security/api-keys.ts';
import { PASSWORD_HASH_PATTERN } from '../security/passwords.ts';
import { FLOWS } from '../store/types.ts';
import { oidcConfig } from './oidc.ts';

export const BEHEER_ROLES = ['viewer', 'beheerder'] as const;
export type BeheerRole = (typeof BEHEER_ROLES)[number];

const positiveInt = z.number().int().positive();

const gemeentecode = z.string().regex(/^[0-9]{4}$/, 'a CBS gemeentecode: four digits such as "0363"');

/** One grant (src/beheer/grants.ts): a role on some gemeenten and flows. */
export const grantSchema = z.strictObject({
  role: z.enum(BEHEER_ROLES).describe('viewer: metadata only; beheerder: also bodies, BSN search and actions'),
  gemeenten: z
    .union([z.literal('*'), z.array(gemeentecode).min(1)])
    .describe('The CBS gemeentecodes this grant covers, or "*" for every gemeente (and berichten without one)'),
  flows: z
    .union([z.literal('*'), z.array(z.enum(FLOWS)).min(1)])
    .describe('The flows (purposes) this grant covers: wmo, jeugd, pgb, eigen-bijdrage, jeugdbescherming; or "*"'),
});

const beheerUser = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_", "@" or "-"')
      .describe('Login name'),
    role: z
      .enum(BEHEER_ROLES)
      .optional()
      .describe('viewer: looks; beheerder: also resends, holds, cancels, reads bodies (on every gemeente and flow)'),
    grants: z
      .array(grantSchema)
      .min(1)
      .optional()
      .describe('Instead of role: roles on some gemeenten and flows (issue #15); the user sees only those berichten'),
    /** `scrypt:<salt>:<hash>` (see `hashPassword`); never a plaintext password. */
    passwordHash: z
      .string()
      .regex(PASSWORD_HASH_PATTERN, 'must be "scrypt:<salt>:<hash>" (make one with schakel hash-password)')
      .describe('scrypt:<salt>:<hash> from schakel hash-password; never a plaintext password'),
  })
  .refine((u) => (u.role === undefined) !== (u.grants === undefined), {
    message: 'give a user either role or grants',
    path: ['role'],
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
    /** Single sign-on (src/config/oidc.ts); local users keep working next to it. */
    oidc: oidcConfig
      .optional()
      .describe('Single sign-on with OpenID Connect: the provider, the client and the claims that grant access'),
  })
  .prefault({});

export const metricsConfig = z
  .strictObject({
    gemeenteLabels: z
      .array(gemeentecode)
      .max(100)
      .default([])
      .describe(
        'Gemeentecodes that get their own value of a gemeente label on schakel_messages_total and schakel_rejected_total (others: "other"); empty (default): no gemeente label. Read at start',
      ),
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
