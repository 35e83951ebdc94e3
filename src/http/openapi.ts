import { beheerOpenApi } from '../beheer/openapi.ts';
import { statusSchemas } from './openapi-status.ts';

/** The OpenAPI description of the gateway's HTTP API, served at /openapi.json. */
export function openApiDocument(): Record<string, unknown> {
  const error = { $ref: '#/components/schemas/Error' };
  const xmlBody = {
    required: true,
    content: {
      'application/xml': { schema: { type: 'string', description: 'An iWmo/iJw/iEb/iPgb bericht, a StUF-JZ message or a GGK envelope' } },
      'text/xml': { schema: { type: 'string', description: 'The same, or (inbound) a SOAP 1.1 envelope whose Body carries it: answered in SOAP with Bv03, or a fault with Fo03' } },
      'application/soap+xml': { schema: { type: 'string', description: 'Inbound: a SOAP 1.2 envelope whose Body carries the message' } },
    },
  };
  const errors = (codes: Record<string, string>) =>
    Object.fromEntries(Object.entries(codes).map(([s, d]) => [s, { description: d, content: { 'application/json': { schema: error } } }]));
  const submit = (summary: string) => ({
    summary,
    requestBody: xmlBody,
    responses: {
      '202': { description: 'Stored durably and queued for delivery', content: { 'application/json': { schema: { $ref: '#/components/schemas/Receipt' } } } },
      '200': { description: 'Exact repeat of an accepted bericht: the original receipt', content: { 'application/json': { schema: { $ref: '#/components/schemas/Receipt' } } } },
      ...errors({
        '400': 'Not XML the gateway will read, with line/column (XML_NOT_WELL_FORMED, XML_EMPTY, XML_DTD_FORBIDDEN, XML_TOO_DEEP, XML_ENCODING_INVALID), or a corrupt compressed body (BODY_UNREADABLE)',
        '401': 'No or an invalid API key (UNAUTHENTICATED), or a client certificate the gateway does not trust (CLIENT_CERTIFICATE_UNTRUSTED)',
        '403': 'Afzender or message type not allowed for this caller (AFZENDER_NOT_ALLOWED, MESSAGE_NOT_ALLOWED), or a trusted client certificate whose OIN no caller or party has (OIN_UNKNOWN) or that carries none (OIN_MISSING); a retour or StUF answer to a heenbericht that was not addressed to this caller or party (NOT_THE_ADDRESSEE), or whose header does not carry the heen\'s Afzender and Ontvanger (ANSWER_PARTIES_MISMATCH): stored as rejected, never linked',
        '409': 'Same BerichtIdentificatie with other content (TR056, with the retourbericht carrying RetourCode 9056) or same StUF referentienummer (StUF016); a second retour to a heenbericht that has one (RETOUR_ALREADY_RECEIVED, IV028)',
        '408': 'The body did not arrive within server.requestTimeoutMs (REQUEST_TIMEOUT)',
        '413': 'Body over the size limit, counted after decompression (BODY_TOO_LARGE)',
        '415': 'Not XML or not UTF-8 without BOM (UNSUPPORTED_MEDIA_TYPE, NOT_XML, XML_ENCODING_UNSUPPORTED, XML_BOM_FORBIDDEN), or a Content-Encoding other than gzip, deflate, br (UNSUPPORTED_CONTENT_ENCODING)',
        '422': 'Not recognised, XSD invalid or technical rules failed (findings, and the retourbericht where the standard prescribes one); NO_ROUTE',
        '429': 'Over the rate limit of this caller, or too many failed authentications from this address (RATE_LIMITED; Retry-After)',
        '503': 'Too many large bodies being received at once: server.bodiesInFlightBytes stayed taken for server.admissionWaitMs (SERVER_BUSY; Retry-After)',
      }),
    },
  });
  // The inbound endpoint also speaks SOAP (src/http/soap-inbound.ts): a SOAP request is answered in SOAP.
  const soap = (description: string) => ({
    'text/xml': { schema: { type: 'string', description: `SOAP 1.1: ${description}` } },
    'application/soap+xml': { schema: { type: 'string', description: `SOAP 1.2: ${description}` } },
  });
  const base = submit('Hand in a bericht from an external party (heenbericht, retour, StUF answer), plain or in SOAP');
  const base400 = (base.responses as Record<string, { description: string; content: object }>)['400']!;
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
      '500': {
        description:
          'SOAP 1.1: every fault (with Fo03 StUF016 for a repeat, the finding code for an unreadable envelope, IB002/IB102, StUF058 plek server when the gateway cannot take it); SOAP 1.2: a server-side fault',
        content: soap('Fault'),
      },
    },
  };
  const beheer = beheerOpenApi(errors);
  return {
    openapi: '3.1.0',
    info: { title: 'Schakel gateway', version: '0.1.0', description: 'Validates, stores, routes and delivers berichten of the Dutch sociaal domein.' },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API key per internal system or external party' }, ...beheer.securitySchemes },
      schemas: {
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
                code: { type: 'string' },
                message: { type: 'string' },
                requestId: { type: 'string' },
                retourcode: { type: 'string' },
                line: { type: ['integer', 'null'] },
                column: { type: ['integer', 'null'] },
              },
            },
            findings: { type: 'array', items: { $ref: '#/components/schemas/Finding' } },
            retour: { type: 'string', description: 'The retourbericht the standard prescribes' },
            rejected: { type: 'string', description: 'Where the refused or rejected bericht is kept (/berichten/{id})' },
            answerSent: {
              type: 'object',
              description: 'The answer the gateway sent for it (a retourbericht routed back, a Fo01)',
              properties: { id: { type: 'string' }, message: { type: 'string' }, destination: { type: ['string', 'null'] } },
            },
          },
        },
      },
    },
    security: [{ apiKey: [] }],
    paths: {
      '/berichten': { post: submit('Hand in a bericht from an internal system') },
      '/berichten/{id}': {
        get: {
          summary: 'Status, findings, delivery attempts and the conversation of a bericht (its retours; a VTO with its Bv03, Bv01/Fo01 and notificaties)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'The bericht', content: { 'application/json': { schema: { $ref: '#/components/schemas/Bericht' } } } }, ...errors({ '401': 'UNAUTHENTICATED', '404': 'NOT_FOUND', '429': 'RATE_LIMITED (Retry-After)' }) },
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
          summary: 'Digikoppeling Adapter Intern 1.0: the gemeente\'s Digikoppeling adapter delivers a bericht received over ebMS2 (docs/digikoppeling.md)',
          parameters: [{ name: 'party', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: { 'text/xml': { schema: { type: 'string', description: 'SOAP 1.1 with only WS-Addressing headers; the bericht inside dai:bericht' } } },
          },
          responses: {
            '200': { description: 'Taken: Bv03 (crossRefnummer = the received referentienummer)', content: { 'text/xml': { schema: { type: 'string' } } } },
            '500': {
              description: 'A fault with Fo03: WSA001 (headers missing, doubled or foreign), IB002 (wsa:From not allowed), WSA002 (headers disagree with the stuurgegevens), or the pipeline\'s codes (StUF016, IB002, IB102, finding codes)',
              content: { 'text/xml': { schema: { type: 'string' } } },
            },
            ...errors({
              '401': 'No or an invalid API key, or an untrusted client certificate',
              '403': 'A client certificate whose OIN is not this party\'s (OIN_UNKNOWN)',
              '404': 'The party has no DAI endpoint (DAI_NOT_CONFIGURED)',
            }),
          },
        },
      },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'up' } } } },
      '/readyz': { get: { summary: 'Readiness (store answers)', security: [], responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } } },
      ...beheer.paths,
    },
  };
}
