import type { Response } from 'express';
import type { AcceptOutcome, Rejected } from '../pipeline/accept.ts';
import { ANSWER_REFUSAL_ANSWERS } from '../pipeline/answerer.ts';
import type { MessageSource } from '../store/types.ts';
import type { Verdict } from '../validation/verdict.ts';
import { XML_INPUT_STATUS } from '../xml/parse.ts';
import { sendError } from './errors.ts';
import { sendJsonText } from './json-answer.ts';
import { receipt } from './receipt.ts';

const INPUT_STATUS: Readonly<Record<string, number>> = XML_INPUT_STATUS;

/**
 * Turns the pipeline's outcome into the HTTP answer: 202, 200 (exact repeat), 4xx with a specific code.
 * `asker` is who sent this bericht, `earlier` who sent the one it duplicates (for a conflict): a message's id,
 * status, time and URL are shown to its own source only. Another source that sends the same identification
 * gets a neutral 409 with the standard's code, and learns nothing about the earlier message.
 */
export function answer(
  res: Response,
  outcome: AcceptOutcome,
  asker: MessageSource,
  earlier: MessageSource | null = null,
): void {
  switch (outcome.kind) {
    case 'accepted':
      sendJsonText(res, 202, JSON.stringify(receipt(outcome.message)), `/berichten/${outcome.message.id}`);
      return;
    case 'repeat':
      if (!sameSource(outcome.message.source, asker)) {
        const stuf = outcome.message.standard === 'stuf-jz' || outcome.message.standard === 'stuf';
        return notUnique(res, stuf ? 'StUF016' : 'TR056', stuf ? 'StUF016' : '9056', outcome.message.messageName);
      }
      sendJsonText(
        res,
        200,
        JSON.stringify({ ...receipt(outcome.message), repeat: true }),
        `/berichten/${outcome.message.id}`,
      );
      return;
    case 'invalid':
      return invalid(res, outcome.verdict, kept(outcome));
    case 'forbidden':
      return sendError(res, 403, outcome.code, outcome.text, { message: outcome.verdict.message, ...kept(outcome) });
    case 'no-route':
      return sendError(res, 422, 'NO_ROUTE', outcome.text, { message: outcome.verdict.message, ...kept(outcome) });
    case 'refused-answer':
      return sendError(res, ANSWER_REFUSAL_ANSWERS[outcome.code].status, outcome.code, outcome.text, {
        message: outcome.verdict.message,
        refused: `/berichten/${outcome.refusedId}`,
      });
    case 'conflict':
      if (!earlier || !sameSource(earlier, asker))
        return notUnique(res, outcome.code, outcome.retourcode, outcome.verdict.message);
      return sendError(res, 409, outcome.code, outcome.text, {
        retourcode: outcome.retourcode,
        message: (outcome.verdict.payload ?? outcome.verdict).message,
        existing: `/berichten/${outcome.existingId}`,
        ...kept(outcome),
        // TR056 is a level-3 rejection: the retour the standard prescribes (RetourCode 9056), like other rules.
        ...(outcome.retour ? { retour: outcome.retour } : {}),
      });
  }
}

/** Where the refused bericht is kept, and the answer the gateway sent for it (ids and message names only). */
function kept(outcome: Partial<Rejected>): Record<string, unknown> {
  return {
    ...(outcome.rejectedId ? { rejected: `/berichten/${outcome.rejectedId}` } : {}),
    ...(outcome.answer
      ? {
          answerSent: {
            id: outcome.answer.id,
            message: outcome.answer.message,
            destination: outcome.answer.destination,
          },
        }
      : {}),
  };
}

/** The answer to another source's duplicate: the rule that refuses it, nothing about the message it repeats. */
function notUnique(res: Response, code: string, retourcode: string, message: string | null): void {
  sendError(res, 409, code, 'this identification was received before from another sender; it must be unique', {
    retourcode,
    message,
  });
}

function sameSource(a: MessageSource, b: MessageSource): boolean {
  return a.kind === b.kind && a.id === b.id;
}

function invalid(res: Response, v: Verdict, extra: Record<string, unknown>): void {
  const inner = v.payload && !v.payload.valid ? v.payload : v;
  const first = inner.findings[0];
  const code = first?.code ?? 'INVALID';
  const status = INPUT_STATUS[code] ?? 422;
  const summary = !inner.message
    ? `the bericht is not recognised: ${first?.text ?? 'unknown message'}`
    : !inner.xsdValid
      ? `${inner.message} is not valid against its schema (${inner.findings.length} finding(s)); first: ${first?.text ?? ''}`
      : `${inner.message} fails ${inner.findings.length} technical rule check(s); first: ${first?.code} ${first?.text ?? ''}`;
  sendError(
    res,
    status,
    inner.message && !inner.xsdValid ? 'XSD_INVALID' : inner.message ? 'RULES_FAILED' : code,
    summary,
    {
      line: first?.line ?? null,
      column: first?.column ?? null,
      message: inner.message,
      standard: inner.standard,
      findings: inner.findings,
      ...(v.payload ? { envelope: { message: v.message, valid: v.xsdValid, findings: v.findings } } : {}),
      ...(inner.retour ? { retour: inner.retour } : {}),
      ...extra,
    },
  );
}
