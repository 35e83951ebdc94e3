import express, { type NextFunction, type Request, type Response } from 'express';
import { sendError } from './errors.ts';

const XML_TYPES = /^(application|text)\/([\w.+-]+\+)?xml$/i;

/** 415 unless the request says it carries XML (application/xml, text/xml, application/soap+xml …). */
export function requireXmlContentType(req: Request, res: Response, next: NextFunction): void {
  const type = (req.get('content-type') ?? '').split(';')[0]!.trim();
  if (!XML_TYPES.test(type)) {
    return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `send the bericht as application/xml; got "${type || 'no content type'}"`);
  }
  next();
}

/** Reads the raw body up to the limit; 413 beyond it, 415 when the bytes are not XML at all. */
export function rawXmlBody(limitBytes: number) {
  const raw = express.raw({ type: () => true, limit: limitBytes });
  return (req: Request, res: Response, next: NextFunction): void => {
    raw(req, res, (err?: unknown) => {
      if (err) {
        const e = err as { type?: string; status?: number; limit?: number; length?: number };
        if (e.type === 'entity.too.large') {
          return sendError(res, 413, 'BODY_TOO_LARGE', `the body is larger than the limit of ${limitBytes} bytes`);
        }
        if (e.type === 'request.aborted') return sendError(res, 400, 'REQUEST_ABORTED', 'the request was aborted');
        return sendError(res, e.status ?? 400, 'BODY_UNREADABLE', 'the body could not be read');
      }
      const body = req.body as unknown;
      if (!Buffer.isBuffer(body) || body.length === 0) return sendError(res, 400, 'XML_EMPTY', 'the body is empty');
      if (!looksLikeXml(body)) return sendError(res, 415, 'NOT_XML', 'the body is not XML: it does not start with "<"');
      next();
    });
  };
}

function looksLikeXml(b: Buffer): boolean {
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  return b[i] === 0x3c;
}
