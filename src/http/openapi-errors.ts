import { XML_INPUT_STATUS } from '../xml/parse.ts';

/**
 * Every `error.code` an answer of the gateway can carry, for the OpenAPI document's enum. A test reads the
 * codes the source passes to sendError/refuse and the pipeline's outcome codes, and fails when one is missing.
 */
export const ERROR_CODES: Readonly<Record<string, string>> = {
  // Authentication and authorisation
  UNAUTHENTICATED: 'No or an invalid API key, or no beheer session',
  CLIENT_CERTIFICATE_UNTRUSTED: 'A client certificate the gateway does not trust',
  OIN_MISSING: 'A trusted client certificate that carries no OIN',
  OIN_UNKNOWN: 'A trusted client certificate whose OIN no caller or party has',
  AFZENDER_NOT_ALLOWED: 'This caller or party may not send as this Afzender',
  MESSAGE_NOT_ALLOWED: 'This caller or party may not send this message type',
  ROLE_FORBIDDEN: 'The beheer role may not do this',
  CSRF_TOKEN: 'A beheer change without the session CSRF token',
  RATE_LIMITED: 'Over the rate limit, or too many failed authentications from this address',
  // Single sign-on (src/beheer/oidc/)
  OIDC_NOT_CONFIGURED: 'Single sign-on is not configured (beheer.oidc)',
  OIDC_UNAVAILABLE: 'The identity provider cannot be reached (discovery or token request failed); try again later',
  OIDC_STATE_MISSING: 'A single sign-on callback without the login state cookie (no login under way in this browser)',
  OIDC_STATE_EXPIRED: 'A single sign-on callback more than 10 minutes after the login began',
  OIDC_STATE_INVALID: 'A login state cookie that was altered or sealed by another key',
  OIDC_STATE_MISMATCH: 'A single sign-on callback whose state is not that of the login this browser began',
  OIDC_PROVIDER_ERROR: 'The identity provider answered the login with an error (e.g. access_denied)',
  OIDC_CODE_REFUSED: 'The identity provider refused the authorization code (replayed, expired, or PKCE mismatch)',
  OIDC_ID_TOKEN_INVALID: 'The ID token did not validate (nonce, signature, issuer, audience or time)',
  OIDC_NO_GRANT: "None of the user's claims maps to a beheer grant (beheer.oidc.grants, gemeentenClaims)",
  // The request itself
  BAD_REQUEST: 'The request could not be read',
  REQUEST_ABORTED: 'The request was aborted',
  REQUEST_TIMEOUT: 'The body did not arrive within server.requestTimeoutMs',
  HEADERS_TOO_LARGE: 'The request headers are too large',
  BODY_TOO_LARGE: 'The body is over the size limit (counted after decompression)',
  BODY_UNREADABLE: 'A corrupt compressed body, or one that does not match its Content-Length',
  UNSUPPORTED_MEDIA_TYPE: 'Not an XML content type, or an unsupported charset',
  UNSUPPORTED_CONTENT_ENCODING: 'A Content-Encoding other than gzip, deflate, br',
  NOT_XML: 'The body is not XML',
  INVALID_JSON: 'The body is not valid JSON',
  INVALID_REQUEST: 'A beheer request with invalid parameters',
  BSN_NOT_IN_URL: 'A BSN in a URL (search with POST /api/beheer/berichten/zoeken)',
  // XML input (src/xml/parse.ts)
  ...Object.fromEntries(
    Object.keys(XML_INPUT_STATUS).map((code) => [
      code,
      `The XML cannot be read (${code.toLowerCase().replace(/_/g, ' ')})`,
    ]),
  ),
  // Recognition and validation
  UNKNOWN_NAMESPACE: 'Not recognised: the root element has no namespace of a known standard',
  UNKNOWN_ROOT: 'Not recognised: an unknown root element',
  UNSUPPORTED_RELEASE: 'Not recognised: a release of the standard this gateway has no schemas for',
  BERICHTCODE_MISMATCH: 'The BerichtCode does not match the message',
  STUF_BERICHTCODE_MISMATCH: 'The StUF berichtcode does not match the message',
  FUNCTIE_MISMATCH: 'The StUF functie does not match the message',
  XSD_INVALID: 'Not valid against the message XSD (findings with line and column)',
  RULES_FAILED: 'The technical rules failed (findings, and the retourbericht the standard prescribes)',
  INVALID: 'Invalid (findings)',
  NO_ROUTE: 'No route for this bericht',
  TR056: 'Same BerichtIdentificatie with other content (retourcode 9056)',
  StUF016: 'Same StUF referentienummer with other content',
  XSD_LIMIT: 'The schema engine gave up on this document (a resource limit); the bericht is refused, not judged',
  // Conversations (src/pipeline/answerer.ts)
  NOT_THE_ADDRESSEE: 'A retour or StUF answer to a heenbericht that was not addressed to this caller or party',
  ANSWER_PARTIES_MISMATCH:
    "A retour whose header does not carry the heen's Afzender and Ontvanger (StUF: zender is not the heen's ontvanger)",
  RETOUR_ALREADY_RECEIVED: 'A second retour to a heenbericht that has one (IV028)',
  // DAI (src/http/dai-inbound.ts; as Fo03 codes in a SOAP fault)
  DAI_NOT_CONFIGURED: 'The party has no DAI endpoint',
  IB002: 'Not authorised (wsa:From not allowed for this party)',
  WSA001: 'WS-Addressing headers missing, doubled or foreign',
  WSA002: 'WS-Addressing headers disagree with the stuurgegevens',
  // Lookups and beheer
  NOT_FOUND: 'No such endpoint or object (for this caller)',
  BODY_PURGED: 'The stored body was purged (retention)',
  BODY_KEY_MISSING: 'The stored body is encrypted under a body key this gateway is not configured with',
  BODY_TAMPERED: 'The stored body does not decrypt (altered, or moved to another row)',
  TOO_MANY_MESSAGES: 'A bulk action over beheer.jobMaxMessages',
  // The gateway
  SERVER_BUSY: 'Too many large bodies being received at once (Retry-After)',
  NOT_READY: 'The gateway is starting or stopping',
  STORE_UNAVAILABLE: 'The message store does not answer',
  INTERNAL: 'The gateway could not handle this request; nothing was stored',
};

/** The ErrorCode schema: the enum with each code's meaning in the description. */
export function errorCodeSchema(): Record<string, unknown> {
  return {
    type: 'string',
    enum: Object.keys(ERROR_CODES),
    description: Object.entries(ERROR_CODES)
      .map(([code, meaning]) => `- \`${code}\`: ${meaning}`)
      .join('\n'),
  };
}
