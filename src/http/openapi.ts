import { beheerOpenApi } from '../beheer/openapi.ts';
import { schakelVersion } from '../cli/version.ts';
import { errorCodeSchema } from './openapi-errors.ts';
import { statusSchemas } from './openapi-status.ts';

/** operationId of every operation (method and path), so generated clients get stable names. */
const OPERATION_IDS: Readonly<Record<string, string>> = {
  'post /berichten': 'submitBericht',
  'get /berichten/{id}': 'getBericht',
  'post /inbound/{party}': 'submitInboundBericht',
  'post /dai/{party}': 'submitDaiBericht',
  'get /healthz': 'getHealth',
  'get /readyz': 'getReadiness',
  'get /openapi.json': 'getOpenApiDocument',
  'get /beheer/oidc/login': 'beheerOidcLogin',
  'get /beheer/oidc/callback': 'beheerOidcCallback',
  'get /api/beheer/session': 'beheerGetSession',
  'get /api/beheer/overzicht': 'beheerGetOverview',
  'get /api/beheer/meldingen': 'beheerListAlerts',
  'get /api/beheer/berichten': 'beheerSearchMessages',
  'post /api/beheer/berichten/zoeken': 'beheerSearchMessagesByBody',
  'get /api/beheer/berichten/{id}': 'beheerGetMessage',
  'get /api/beheer/berichten/{id}/body': 'beheerGetMessageBody',
  'get /api/beheer/jobs': 'beheerListJobs',
  'post /api/beheer/jobs': 'beheerStartJob',
  'get /api/beheer/jobs/{id}': 'beheerGetJob',
  'get /api/beheer/audit': 'beheerListAudit',
  'post /api/beheer/test-bericht': 'beheerTestBericht',
  'get /api/beheer/budgetwachtrij': 'beheerListBudgetQueue',
  'get /api/beheer/wacht-op-antwoord': 'beheerListAwaitingAnswers',
  'get /metrics': 'getMetrics',
};

const HEADERS = {
  'X-Request-Id': { $ref: '#/components/headers/XRequestId' },
  'Retry-After': { $ref: '#/components/headers/RetryAfter' },
  Location: { $ref: '#/components/headers/Location' },
  'WWW-Authenticate': { $ref: '#/components/headers/WWWAuthenticate' },
} as const;

/**
 * The headers every answer carries (X-Request-Id), and those of particular answers: Retry-After on 429 and
 * 503, WWW-Authenticate on 401 of API-key endpoints, Location on a receipt (200/202 of a submit). Also gives
 * every operation its operationId (an operation missing from OPERATION_IDS is a programming error).
 */
function completeOperations(paths: Record<string, Record<string, Record<string, unknown>>>): void {
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const operationId = OPERATION_IDS[`${method} ${path}`];
      if (!operationId) throw new Error(`openapi: no operationId for ${method.toUpperCase()} ${path}`);
      const responses = op.responses as Record<string, Record<string, unknown>>;
      const submit = method === 'post' && (path === '/berichten' || path === '/inbound/{party}');
      for (const [status, response] of Object.entries(responses)) {
        const headers: Record<string, unknown> = { 'X-Request-Id': HEADERS['X-Request-Id'] };
        if (status === '429' || status === '503') headers['Retry-After'] = HEADERS['Retry-After'];
        if (status === '401' && !path.startsWith('/api/beheer') && path !== '/metrics')
          headers['WWW-Authenticate'] = HEADERS['WWW-Authenticate'];
        if (submit && (status === '200' || status === '202')) headers.Location = HEADERS.Location;
        response.headers = { ...headers, ...(response.headers as object | undefined) };
      }
      item[method] = { operationId, ...op };
    }
  }
}

/** The OpenAPI description of the gateway's HTTP API, served at /openapi.json. */
export function openApiDocument(): Record<string, unknown> {
  const error = { $ref: '#/components/schemas/Error' };
  const xmlBody = {
    required: true,
    content: {
      'application/xml': {
        schema: { type: 'string', description: 'An iWmo/iJw/iEb/iPgb bericht, a StUF-JZ message or a GGK envelope' },
      },
      'text/xml': {
        schema: {
          type: 'string',
          description:
            'The same, or (inbound) a SOAP 1.1 envelope whose Body carries it: answered in SOAP with Bv03, or a fault with Fo03',
        },
      },
      'application/soap+xml': {
        schema: { type: 'string', description: 'Inbound: a SOAP 1.2 envelope whose Body carries the message' },
      },
    },
  };
  const errors = (codes: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(codes).map(([s, d]) => [
        s,
        { description: d, content: { 'application/json': { schema: error } } },
      ]),
    );
  const submit = (summary: string) => ({
    summary,
    requestBody: xmlBody,
    responses: {
      '202': {
        description: 'Stored durably and queued for delivery',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Receipt' } } },
      },
      '200': {
        description: 'Exact repeat of an accepted bericht: the original receipt',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Receipt' } } },
      },
      ...errors({
        '400':
          'Not XML the gateway will read, with line/column (XML_NOT_WELL_FORMED, XML_EMPTY, XML_DTD_FORBIDDEN, XML_TOO_DEEP, XML_ENCODING_INVALID), or a corrupt compressed body (BODY_UNREADABLE)',
        '401':
          'No or an invalid API key (UNAUTHENTICATED), or a client certificate the gateway does not trust (CLIENT_CERTIFICATE_UNTRUSTED)',
        '403':
          "Afzender or message type not allowed for this caller (AFZENDER_NOT_ALLOWED, MESSAGE_NOT_ALLOWED), or a trusted client certificate whose OIN no caller or party has (OIN_UNKNOWN) or that carries none (OIN_MISSING); a retour or StUF answer to a heenbericht that was not addressed to this caller or party (NOT_THE_ADDRESSEE), or whose header does not carry the heen's Afzender and Ontvanger (ANSWER_PARTIES_MISMATCH): stored as rejected, never linked",
        '409':
          'Same BerichtIdentificatie with other content (TR056, with the retourbericht carrying RetourCode 9056) or same StUF referentienummer (StUF016); a second retour to a heenbericht that has one (RETOUR_ALREADY_RECEIVED, IV028)',
        '408': 'The body did not arrive within server.requestTimeoutMs (REQUEST_TIMEOUT)',
        '413': 'Body over the size limit, counted after decompression (BODY_TOO_LARGE)',
        '415':
          'Not XML or not UTF-8 without BOM (UNSUPPORTED_MEDIA_TYPE, NOT_XML, XML_ENCODING_UNSUPPORTED, XML_BOM_FORBIDDEN), or a Content-Encoding other than gzip, deflate, br (UNSUPPORTED_CONTENT_ENCODING)',
        '422':
          'Not recognised, XSD invalid or technical rules failed (findings, and the retourbericht where the standard prescribes one); NO_ROUTE',
        '429':
          'Over the rate limit of this caller, or too many failed authentications from this address (RATE_LIMITED; Retry-After)',
        '431': 'Request headers too large (HEADERS_TOO_LARGE)',
        '500': 'The gateway could not handle the request; nothing was stored (INTERNAL)',
        '503':
          'Too many large bodies being received at once: server.bodiesInFlightBytes stayed taken for server.admissionWaitMs (SERVER_BUSY), or the message store cannot be used (STORE_UNAVAILABLE); nothing was taken, try again after Retry-After',
      }),
    },
  });
  // The inbound endpoint also speaks SOAP (src/http/soap-inbound.ts): a SOAP request is answered in SOAP.
  const soap = (description: string) => ({
    'text/xml': { schema: { type: 'string', description: `SOAP 1.1: ${description}` } },
    'application/soap+xml': { schema: { type: 'string', description: `SOAP 1.2: ${description}` } },
  });
  const base = submit('Hand in a bericht from an external party (heenbericht, retour, StUF answer), plain or in SOAP');
  const baseResponse = (status: string) =>
    (base.responses as Record<string, { description: string; content: object }>)[status]!;
  const base400 = baseResponse('400');
  const inbound = {
    ...base,
    responses: {
      ...base.responses,
      '200': {
        description:
          'Plain: exact repeat (the original receipt). SOAP: taken, answered with a Bv03 (crossRefnummer = the received referentienummer): accepted, or kept as rejected and answered afterwards with a Fo01 StUF055 (XSD) or the retourbericht in a ggk_Du01 (technical rules; docs/conversations.md)',
        content: { ...base.responses['200'].content, ...soap('Bv03') },
      },
      '400': {
        description: `${base400.description}; SOAP 1.2: a client-side fault (with Fo03 where the message could be answered)`,
        content: { ...base400.content, ...soap('Fault') },
      },
      '401': {
        description: `${baseResponse('401').description}; SOAP (text/xml or application/soap+xml with an Envelope): a fault with Fo03 IB002, the same for every party`,
        content: { ...baseResponse('401').content, ...soap('Fault with Fo03 IB002') },
      },
      '403': {
        description: `${baseResponse('403').description}; SOAP: a fault with Fo03 (IB002 for a certificate OIN that is not this party's)`,
        content: { ...baseResponse('403').content, ...soap('Fault with Fo03') },
      },
      '500': {
        description:
          'Plain: the gateway could not handle the request (INTERNAL). SOAP 1.1: every fault (with Fo03 StUF016 for a repeat, the finding code for an unreadable envelope, IB002/IB102, StUF058 plek server when the gateway cannot take it); SOAP 1.2: a server-side fault',
        content: { ...(base.responses as Record<string, { content: object }>)['500']!.content, ...soap('Fault') },
      },
    },
  };
  const beheer = beheerOpenApi(errors);
  const probe = (summary: string, ok: string, more: Record<string, unknown> = {}) => ({
    summary,
    security: [],
    responses: {
      '200': {
        description: ok,
        content: {
          'application/json': {
            schema: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] },
          },
        },
      },
      ...more,
      ...errors({ '431': 'Request headers too large (HEADERS_TOO_LARGE)' }),
    },
  });
  const doc = {
    openapi: '3.1.0',
    info: {
      title: 'Schakel gateway',
      version: schakelVersion(),
      description: 'Validates, stores, routes and delivers berichten of the Dutch sociaal domein.',
      license: { name: 'EUPL-1.2', identifier: 'EUPL-1.2' },
    },
    servers: [{ url: '/', description: 'This gateway (http, or https with server.tls)' }],
    components: {
      securitySchemes: {
        bearerApiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'API key of an internal system (callers[]) or external party (inbound[]): Authorization: Bearer <key>',
        },
        apiKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description: 'The same API key in the X-API-Key header',
        },
        clientCertificate: {
          type: 'mutualTLS',
          description:
            'A client certificate (PKIoverheid) whose OIN is in callers[].oins or inbound[].oins; with server.tls',
        },
        ...beheer.securitySchemes,
      },
      headers: {
        XRequestId: {
          description:
            'The request id (from the X-Request-Id the client sent when it is a safe token, else a new UUID); in the log line of the request',
          schema: { type: 'string' },
        },
        RetryAfter: { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } },
        Location: { description: 'The status URL of the bericht (/berichten/{id})', schema: { type: 'string' } },
        WWWAuthenticate: { description: 'Bearer (no key) or Bearer error="invalid_token"', schema: { type: 'string' } },
      },
      schemas: {
        ErrorCode: errorCodeSchema(),
        ...beheer.schemas,
        ...statusSchemas(),
        Receipt: {
          type: 'object',
          required: ['id', 'message', 'status', 'statusUrl'],
          properties: {
            id: { type: 'string' },
            message: { type: 'string', examples: ['WMO301'] },
            standard: { type: 'string' },
            release: { type: 'string' },
            status: { type: 'string' },
            receivedAt: { type: 'string', format: 'date-time' },
            statusUrl: { type: 'string' },
            repeat: { type: 'boolean' },
          },
        },
        Finding: {
          type: 'object',
          properties: {
            level: { enum: ['xsd', 'rule'] },
            code: { type: 'string' },
            retourcode: { type: ['string', 'null'] },
            line: { type: ['integer', 'null'] },
            column: { type: ['integer', 'null'] },
            path: { type: ['string', 'null'] },
            text: { type: 'string' },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'requestId'],
              properties: {
                code: { $ref: '#/components/schemas/ErrorCode' },
                message: { type: 'string' },
                requestId: { type: 'string' },
                retourcode: { type: 'string' },
                line: { type: ['integer', 'null'] },
                column: { type: ['integer', 'null'] },
              },
            },
            findings: { type: 'array', items: { $ref: '#/components/schemas/Finding' } },
            retour: { type: 'string', description: 'The retourbericht the standard prescribes' },
            rejected: {
              type: 'string',
              description: 'Where the refused or rejected bericht is kept (/berichten/{id})',
            },
            answerSent: {
              type: 'object',
              description: 'The answer the gateway sent for it (a retourbericht routed back, a Fo01)',
              properties: {
                id: { type: 'string' },
                message: { type: 'string' },
                destination: { type: ['string', 'null'] },
              },
            },
          },
        },
      },
    },
    security: [{ bearerApiKey: [] }, { apiKeyHeader: [] }, { clientCertificate: [] }],
    paths: {
      '/berichten': { post: submit('Hand in a bericht from an internal system') },
      '/berichten/{id}': {
        get: {
          summary:
            'Status, findings, delivery attempts and the conversation of a bericht (its retours; a VTO with its Bv03, Bv01/Fo01 and notificaties)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description: 'The bericht',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Bericht' } } },
            },
            ...errors({
              '401': 'UNAUTHENTICATED, CLIENT_CERTIFICATE_UNTRUSTED',
              '403': 'OIN_MISSING, OIN_UNKNOWN',
              '404': 'NOT_FOUND',
              '429': 'RATE_LIMITED (Retry-After)',
            }),
          },
        },
      },
      '/inbound/{party}': {
        post: {
          ...inbound,
          parameters: [{ name: 'party', in: 'path', required: true, schema: { type: 'string' } }],
        },
      },
      '/dai/{party}': {
        post: {
          summary:
            "Digikoppeling Adapter Intern 1.0: the gemeente's Digikoppeling adapter delivers a bericht received over ebMS2 (docs/digikoppeling.md)",
          parameters: [{ name: 'party', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: {
              'text/xml': {
                schema: {
                  type: 'string',
                  description: 'SOAP 1.1 with only WS-Addressing headers; the bericht inside dai:bericht',
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'Taken: Bv03 (crossRefnummer = the received referentienummer)',
              content: { 'text/xml': { schema: { type: 'string' } } },
            },
            '500': {
              description:
                "A fault with Fo03: WSA001 (headers missing, doubled or foreign), IB002 (wsa:From not allowed), WSA002 (headers disagree with the stuurgegevens), or the pipeline's codes (StUF016, IB002, IB102, finding codes)",
              content: { 'text/xml': { schema: { type: 'string' } } },
            },
            '401': {
              description: 'No or an invalid API key, or an untrusted client certificate: a fault with Fo03 IB002',
              content: { 'text/xml': { schema: { type: 'string' } } },
            },
            '403': {
              description:
                "A client certificate whose OIN is not this party's: a fault with Fo03 IB002 (details OIN_UNKNOWN)",
              content: { 'text/xml': { schema: { type: 'string' } } },
            },
            ...errors({
              '404': 'The party has no DAI endpoint (DAI_NOT_CONFIGURED)',
            }),
          },
        },
      },
      '/healthz': { get: probe('Liveness; with TLS profiles or unhealthy destinations also their state', 'up') },
      '/readyz': {
        get: probe(
          'Readiness: the store answers and the transport runs',
          'ready',
          errors({ '503': 'NOT_READY, STORE_UNAVAILABLE' }),
        ),
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          responses: {
            '200': {
              description: 'The OpenAPI document',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...errors({ '401': 'UNAUTHENTICATED', '429': 'RATE_LIMITED (Retry-After)' }),
          },
        },
      },
      ...beheer.paths,
    },
  };
  completeOperations(doc.paths as unknown as Record<string, Record<string, Record<string, unknown>>>);
  return doc;
}
