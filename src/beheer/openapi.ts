/** The beheer API and /metrics in the gateway's OpenAPI description (merged in src/http/openapi.ts). */
import { DIRECTIONS, STANDARDS } from '../config/schema.ts';
import { MESSAGE_STATUSES } from '../store/types.ts';
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
      '/api/beheer/session': {
        get: {
          summary: 'Who is logged in, their role and the CSRF token',
          security: session,
          responses: { '200': { description: 'The session' }, ...common },
        },
      },
      '/api/beheer/overzicht': {
        get: {
          summary:
            'Queues per destination and per standard (queued, in delivery, delivered today, failed, dead, on hold, oldest waiting) and alerts',
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
            ...errors({ '404': 'NOT_FOUND' }),
            ...common,
          },
        },
      },
      '/api/beheer/berichten/{id}/body': {
        get: {
          summary: 'The stored body (beheerder only; audited as beheer.body-view)',
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
            '202': { description: 'Started: {jobId, total, statusUrl}; Location: the status URL' },
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
            'Progress {total, done, ok, failed, state} and per-message results {id, ok, status, reason}; lost on restart (the actions themselves are in the store and audit log)',
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
          summary: 'The audit log, newest first (beheerder only)',
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
