import type { Response } from 'express';
import { redactBsn } from '../security/redact.ts';
import type { Finding } from '../validation/finding.ts';

/** Every error answer has one shape: a machine-readable code, a human text, and the request id. */
export interface ErrorBody {
  error: { code: string; message: string; requestId: string; retourcode?: string; line?: number | null; column?: number | null };
  findings?: Finding[];
  retour?: string;
  [extra: string]: unknown;
}

export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  extra: Omit<ErrorBody, 'error'> & { retourcode?: string; line?: number | null; column?: number | null } = {},
): void {
  const { retourcode, line, column, ...rest } = extra;
  const body: ErrorBody = {
    error: {
      code,
      message: redactBsn(message),
      requestId: String(res.locals.requestId ?? ''),
      ...(retourcode ? { retourcode } : {}),
      ...(line !== undefined ? { line } : {}),
      ...(column !== undefined ? { column } : {}),
    },
    ...rest,
  };
  res.status(status).type('application/json').send(JSON.stringify(body));
}
