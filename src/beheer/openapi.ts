/** The beheer API and /metrics in the gateway's OpenAPI description (merged in src/http/openapi.ts). */
import { DIRECTIONS, STANDARDS } from '../config/schema.ts';
import { FLOWS, MESSAGE_STATUSES } from '../store/types.ts';
import { JOB_ACTIONS } from './jobs.ts';

type Errors = (codes: Record<string, string>) => Record<string, unknown>;

const str = { type: 'string' };
const FILTER_PROPERTIES: Record<string, unknown> = {
  id: { ...str, description: 'Exact message id' },
  berichtIdentificatie: str,
  message: { ...str, description: 'Message name (WMO301 …)' },
  standard: { enum: [...STANDARDS] },
  direction: { enum: [...DIRECTIONS] },
  afzender: str,
  ontvanger: str,
  destination: str,
  status: {
    description: 'One status, a list, or (query) comma-separated',
    oneOf: [{ enum: [...MESSAGE_STATUSES] }, { type: 'array', items: { enum: [...MESSAGE_STATUSES] } }],
  },
  from: { ...str, format: 'date', description: 'Received on or after this local day' },
  to: { ...str, format: 'date', description: 'Received on or before this local day' },
  correlatedTo: { ...str, description: 'Retours that answer this message id' },
  referentienummer: str,
  gemeente: { ...str, pattern: '^[0-9]{4}$', description: 'CBS gemeentecode (within your grants)' },
  flow: { enum: [...FLOWS], description: 'The flow (purpose), within your grants' },
};

export function beheerOpenApi(errors: Errors) {
  const session = [{ beheerSession: [] }];
  const csrf = {
    name: 'X-CSRF-Token',
    in: 'header',
    required: true,
    schema: str,
    description: "The session's token from GET /api/beheer/session",
  };
  const id = { name: 'id', in: 'path', required: true, schema: str };
  const common = errors({ '401': 'No beheer session (UNAUTHENTICATED)' });
  const page = { limit: { type: 'integer', default: 50 }, offset: { type: 'integer', default: 0 } };
  const list = {
    '200': { description: 'Matching messages, newest first: metadata only ({items, total, limit, offset})' },
  };
  return {
    securitySchemes: {
      beheerSession: {
        type: 'apiKey',
        in: 'cookie',
        name: 'schakel_beheer',
        description: 'Session from the login form at /beheer/login',
      },
      metricsToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'Scrape token (config metrics.bearerToken holds its sha256 hash)',
      },
    },
    schemas: {
      BeheerFilter: { type: 'object', additionalProperties: false, properties: FILTER_PROPERTIES },
    },
    paths: {
      '/beheer/oidc/login': {
        get: {
          summary:
            'Single sign-on: redirects to the identity provider (authorization code with PKCE S256, state and nonce) and sets the sealed login state cookie schakel_oidc (HttpOnly, SameSite=Lax, 10 minutes)',
          security: [],
          responses: {
            '303': {
              description: "To the provider's authorization endpoint",
              headers: { Location: { $ref: '#/components/headers/Location' } },
            },
            default: {
              description:
                'A browser (Accept: text/html) gets the login page, with the reason when single sign-on cannot start now',
              content: { 'text/html': { schema: str } },
            },
            ...errors({
              '404': 'OIDC_NOT_CONFIGURED',
              '503': 'OIDC_UNAVAILABLE: the provider cannot be reached (a browser gets the login page with the reason)',
            }),
          },
        },
      },
      '/beheer/oidc/callback': {
        get: {
          summary:
            "Single sign-on: the provider's answer. Checks state, exchanges the code (PKCE), validates the ID token (nonce), maps the claims to grants, starts a beheer session; every login and refusal is audited. A browser gets an HTML page; a client that accepts only JSON gets the error body",
          security: [],
          parameters: ['code', 'state', 'error'].map((name) => ({ name, in: 'query', schema: str })),
          responses: {
            '200': {
              description: 'Logged in: the session cookie is set and the page moves on to /beheer',
              content: { 'text/html': { schema: str } },
            },
            ...errors({
              '400': 'OIDC_STATE_MISSING, OIDC_STATE_EXPIRED, OIDC_STATE_INVALID, OIDC_STATE_MISMATCH',
              '401': 'OIDC_PROVIDER_ERROR, OIDC_CODE_REFUSED, OIDC_ID_TOKEN_INVALID',
              '403': 'OIDC_NO_GRANT: no claim maps to a grant',
              '404': 'OIDC_NOT_CONFIGURED',
              '503': 'OIDC_UNAVAILABLE',
            }),
          },
        },
      },
      '/api/beheer/session': {
        get: {
          summary:
            'Who is logged in (user, role, method local or oidc, grants: role on gemeenten and flows), the CSRF token and when the session ends',
          security: session,
          responses: { '200': { description: 'The session' }, ...common },
        },
      },
      '/api/beheer/overzicht': {
        get: {
          summary:
            'Queues per destination and per standard (queued, in delivery, delivered today, failed, dead, on hold, oldest waiting), messages per gemeente and flow, and alerts; all limited to your grants',
          security: session,
          responses: { '200': { description: 'The overview' }, ...common },
        },
      },
      '/api/beheer/meldingen': {
        get: {
          summary: 'Active alerts',
          security: session,
          responses: { '200': { description: '{alerts}' }, ...common },
        },
      },
      '/api/beheer/budgetwachtrij': {
        get: {
          summary:
            'TR507: TKBs held back per budget (Afzender, BudgetIdentificatie, client as a hash prefix) and the TKB each waits for',
          security: session,
          responses: { '200': { description: '{queues}' }, ...common },
        },
      },
      '/api/beheer/wacht-op-antwoord': {
        get: {
          summary:
            'Wacht op antwoord: heenberichten whose answer is overdue (working days), per party and per gemeente; metadata only',
          security: session,
          responses: { '200': { description: '{now, total, perParty, perGemeente, perStandard, items}' }, ...common },
        },
      },
      '/api/beheer/berichten': {
        get: {
          summary: 'Search on metadata (a bsn parameter is refused: BSN_NOT_IN_URL)',
          security: session,
          parameters: Object.entries({ ...FILTER_PROPERTIES, ...page }).map(([name, schema]) => ({
            name,
            in: 'query',
            schema,
          })),
          responses: { ...list, ...errors({ '400': 'INVALID_REQUEST, BSN_NOT_IN_URL' }), ...common },
        },
      },
      '/api/beheer/berichten/zoeken': {
        post: {
          summary:
            'Search with the filters in the body; `bsn` (beheerder only, audited without the BSN) finds messages whose stored body contains exactly that BSN',
          security: session,
          parameters: [csrf],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  allOf: [
                    { $ref: '#/components/schemas/BeheerFilter' },
                    { type: 'object', properties: { bsn: { ...str, pattern: '^[0-9]{9}$' }, ...page } },
                  ],
                },
              },
            },
          },
          responses: {
            '200': { description: 'As GET, plus scanned and complete for a BSN search' },
            ...errors({ '400': 'INVALID_REQUEST', '403': 'CSRF_TOKEN, ROLE_FORBIDDEN' }),
            ...common,
          },
        },
      },
      '/api/beheer/berichten/{id}': {
        get: {
          summary:
            "Detail: metadata, findings, status history, every delivery attempt with the answer received, correlated retours; for a beheerder also allowed actions and the message's audit entries",
          security: session,
          parameters: [id],
          responses: {
            '200': { description: 'The message (never its body)' },
            ...errors({ '404': 'NOT_FOUND (also outside your grants; audited as beheer.access-denied)' }),
            ...common,
          },
        },
      },
      '/api/beheer/berichten/{id}/body': {
        get: {
          summary:
            'The stored body (a beheerder grant covering its gemeente and flow; audited as beheer.body-view, a refusal as beheer.access-denied)',
          security: session,
          parameters: [id],
          responses: {
            '200': { description: 'The body as text/plain', content: { 'text/plain': { schema: str } } },
            ...errors({
              '403': 'ROLE_FORBIDDEN',
              '404': 'NOT_FOUND',
              '409': 'BODY_KEY_MISSING, BODY_TAMPERED',
              '410': 'BODY_PURGED',
            }),
            ...common,
          },
        },
      },
      '/api/beheer/jobs': {
        get: {
          summary: 'Recent jobs of this gateway (in memory)',
          security: session,
          responses: { '200': { description: '{jobs}' }, ...common },
        },
        post: {
          summary:
            'Resend, hold, release or cancel messages (by ids, or all matching a filter) in the background (beheerder only)',
          security: session,
          parameters: [csrf],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['action'],
                  properties: {
                    action: { enum: [...JOB_ACTIONS] },
                    ids: { type: 'array', items: str },
                    filter: { $ref: '#/components/schemas/BeheerFilter' },
                    reason: str,
                  },
                  description: 'Exactly one of ids and filter',
                },
              },
            },
          },
          responses: {
            '202': {
              description:
                'Started: {jobId, total, statusUrl, refused?}; Location: the status URL. Only berichten within your beheerder grants are touched; other ids are listed in refused (audited)',
            },
            ...errors({
              '400': 'INVALID_REQUEST',
              '403': 'CSRF_TOKEN, ROLE_FORBIDDEN',
              '422': 'TOO_MANY_MESSAGES (beheer.jobMaxMessages)',
            }),
            ...common,
          },
        },
      },
      '/api/beheer/jobs/{id}': {
        get: {
          summary:
            'Progress {total, done, ok, failed, state: running | done | interrupted} and per-message results {id, ok, status, reason}; kept in the store, so any instance answers',
          security: session,
          parameters: [
            id,
            { name: 'results', in: 'query', schema: { enum: ['all', 'failed', 'none'], default: 'all' } },
          ],
          responses: { '200': { description: 'The job' }, ...errors({ '404': 'NOT_FOUND' }), ...common },
        },
      },
      '/api/beheer/test-bericht': {
        post: {
          summary:
            'Test a bericht (beheerder only): validation and routing as POST /berichten, without storing or sending; audited as beheer.test-bericht without the body',
          security: session,
          parameters: [csrf],
          requestBody: { required: true, content: { 'application/xml': { schema: str } } },
          responses: {
            '200': {
              description:
                '{stored: false, sent: false, verdict {message, valid, xsdValid, findings[{code, retourcode, line, column, path, text}], payload}, route {kind: route|no-route|refused, destination, adapter}, retour}',
            },
            ...errors({
              '400': 'XML_EMPTY',
              '403': 'CSRF_TOKEN, ROLE_FORBIDDEN',
              '413': 'BODY_TOO_LARGE',
              '415': 'UNSUPPORTED_MEDIA_TYPE',
            }),
            ...common,
          },
        },
      },
      '/api/beheer/audit': {
        get: {
          summary: 'The audit log, newest first (a beheerder of every gemeente and flow only)',
          security: session,
          parameters: ['actor', 'action', 'targetId', 'from', 'limit', 'offset'].map((name) => ({
            name,
            in: 'query',
            schema: str,
          })),
          responses: { '200': { description: '{entries}' }, ...errors({ '403': 'ROLE_FORBIDDEN' }), ...common },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          security: [{ metricsToken: [] }, { beheerSession: [] }],
          responses: {
            '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: str } } },
            ...errors({ '401': 'UNAUTHENTICATED' }),
          },
        },
      },
    },
  };
}
