/**
 * Configuration of single sign-on for beheer (`beheer.oidc`): the OpenID Connect provider and client, and how
 * the provider's claims map to grants (role on gemeenten and flows). Kept apart from beheer.ts: one concept.
 */
import { z } from 'zod';
import { FLOWS } from '../store/types.ts';

/** Roles as in beheer.ts (repeated here to avoid an import cycle: beheer.ts imports this module). */
const ROLES = ['viewer', 'beheerder'] as const;

const gemeentecode = z.string().regex(/^\d{4}$/, 'must be a gemeentecode of four digits, e.g. "0363"');

/** A grant as configuration writes it: a role on gemeenten and flows, "*" for every one. */
export const grantSchema = z.strictObject({
  role: z.enum(ROLES).describe('viewer: looks; beheerder: also acts and reads bodies'),
  gemeenten: z
    .union([z.literal('*'), z.array(gemeentecode).min(1)])
    .describe('Gemeentecodes (four digits) this grant covers, or "*" for every gemeente'),
  flows: z
    .union([z.literal('*'), z.array(z.enum(FLOWS)).min(1)])
    .describe(`Flows this grant covers (${FLOWS.join(', ')}), or "*" for every flow`),
});

/** A claim, by name or by a dotted path into nested claims (Keycloak: realm_access.roles). */
const claimPath = z
  .string()
  .regex(/^[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*$/, 'must be a claim name or a dotted path (realm_access.roles)');

const claimGrant = z.strictObject({
  claim: claimPath.describe('The claim to look at (a string or a list of strings, e.g. groups or roles)'),
  value: z.string().min(1).describe('The value (or one of the values) the claim must hold'),
  grant: grantSchema.describe('What a user whose claim holds this value is granted'),
});

const gemeentenClaim = z.strictObject({
  claim: claimPath.describe('A claim holding gemeentecodes (a list, or one string separated by spaces or commas)'),
  role: z.enum(ROLES).describe('The role granted on those gemeenten'),
  flows: z
    .union([z.literal('*'), z.array(z.enum(FLOWS)).min(1)])
    .describe('The flows granted on those gemeenten, or "*"'),
});

/** Scope tokens as RFC 6749 allows them. */
const scope = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be one scope token');

export const oidcConfig = z
  .strictObject({
    issuer: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .describe('The provider (issuer) URL; its /.well-known/openid-configuration is read lazily'),
    clientId: z.string().min(1).describe('The client id registered at the provider'),
    clientSecret: z
      .string()
      .min(1)
      .optional()
      .describe('The client secret (use ${ENV:NAME}); without it the client is public (PKCE only)'),
    stateSecret: z
      .string()
      .min(32, 'must be at least 32 characters')
      .optional()
      .describe(
        'Secret that seals the login state cookie, the same on every instance (use ${ENV:NAME}); derived from clientSecret when omitted',
      ),
    redirectUri: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .optional()
      .describe(
        'The callback URL registered at the provider; derived from the request (…/beheer/oidc/callback) when omitted',
      ),
    scopes: z
      .array(scope)
      .default(['openid', 'profile'])
      .refine((s) => s.includes('openid'), 'must include "openid"')
      .describe('Scopes asked for; must include openid'),
    displayName: z
      .string()
      .trim()
      .min(1)
      .max(60)
      .default('single sign-on')
      .describe('Shown on the login button: "Aanmelden met <displayName>"'),
    usernameClaim: claimPath
      .default('preferred_username')
      .describe('The claim that names the user in beheer and the audit log (falls back to sub)'),
    userinfo: z
      .boolean()
      .default(false)
      .describe('Also read the userinfo endpoint and map its claims (when the ID token does not carry them)'),
    ca: z
      .array(z.string().min(1))
      .default([])
      .describe('Extra CA certificates (PEM files) trusted for the provider, relative to the configuration file'),
    timeoutMs: z.number().int().positive().default(10_000).describe('Timeout of one request to the provider'),
    discoveryRetrySeconds: z
      .number()
      .min(0)
      .default(10)
      .describe('After a failed discovery, the next login tries again after this many seconds'),
    grants: z.array(claimGrant).default([]).describe('Claim values that grant a role on gemeenten and flows'),
    gemeentenClaims: z
      .array(gemeentenClaim)
      .default([])
      .describe('Claims that hold gemeentecodes directly, with the role and flows granted on them'),
  })
  .superRefine((o, ctx) => {
    if (o.clientSecret === undefined && o.stateSecret === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['stateSecret'],
        message: 'a public client (no clientSecret) needs a stateSecret to seal the login state',
      });
    if (o.grants.length === 0 && o.gemeentenClaims.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['grants'],
        message: 'map at least one claim to a grant (grants or gemeentenClaims), or nobody can log in',
      });
  });

export type OidcConfig = z.output<typeof oidcConfig>;
