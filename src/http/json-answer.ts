import type { Response } from 'express';

/** The Content-Type express gives a JSON answer (res.json, res.type('application/json').send). */
const JSON_TYPE = 'application/json; charset=utf-8';

/** A Location path that needs no percent-encoding (what express's res.location would leave as it is). */
const PLAIN_PATH = /^[\w/.-]*$/;

/**
 * Sends `text` (JSON) with `status`, exactly as `res.status(status).type('application/json').send(text)` would:
 * the same headers (Location first when given, Content-Type, Content-Length) and body, without express's
 * per-call header parsing. Where express would do more — an ETag (enabled on this app), freshness (a 2xx to GET
 * or HEAD), a Location to encode, an answer without a body — express answers.
 */
export function sendJsonText(res: Response, status: number, text: string, location?: string): void {
  const method = res.req.method;
  if (
    typeof res.app.get('etag fn') === 'function' ||
    ((method === 'GET' || method === 'HEAD') && ((status >= 200 && status < 300) || status === 304)) ||
    status === 204 ||
    status === 304 ||
    (location !== undefined && !PLAIN_PATH.test(location))
  ) {
    res.status(status);
    if (location !== undefined) res.location(location);
    res.type('application/json').send(text);
    return;
  }
  res.status(status);
  if (location !== undefined) res.setHeader('Location', location);
  res.setHeader('Content-Type', JSON_TYPE);
  if (!res.hasHeader('Transfer-Encoding')) res.setHeader('Content-Length', String(Buffer.byteLength(text, 'utf8')));
  if (method === 'HEAD') res.end();
  else res.end(text, 'utf8');
}
