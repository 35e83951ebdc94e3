import { STUF0301_NS } from '../../src/catalogue/data/stuf.ts';
import { redactBsn } from '../../src/security/redact.ts';
import { readSoap, readSoapFault, type SoapFault } from '../../src/stuf/soap.ts';
import type { DeliveryOutcome } from '../../src/transport/adapter.ts';
import { parseToTree, XmlInputError } from '../../src/xml/parse.ts';
import { child, textAt, type XNode } from '../../src/xml/tree.ts';
import type { PostResult } from '../http/post.ts';
import { parseRetryAfter } from '../webhook/index.ts';

/**
 * What the other side answered to a StUF message sent in SOAP (standards.md §4.6, §6.5): a Bv03 (the WSDL's
 * output), a Fo03 in a SOAP fault (the WSDL's fault; a Fo01/Fo02 there is read the same way), another SOAP
 * fault, something that is no SOAP at all, or nothing (unreachable).
 */
export type StufAnswer =
  | { kind: 'bevestiging'; berichtcode: string; referentienummer?: string; crossRefnummer?: string; http: HttpFacts }
  | { kind: 'foutbericht'; berichtcode: string; fout: StufFout; crossRefnummer?: string; http: HttpFacts }
  | { kind: 'soap-fault'; fault: SoapFault; http: HttpFacts }
  | { kind: 'other-soap'; element: string; http: HttpFacts }
  | { kind: 'not-soap'; why: string; excerpt: string; http: HttpFacts }
  | { kind: 'unreachable'; reason: string; tlsRefused: boolean };

export interface HttpFacts {
  status: number;
  statusText: string;
  /** The OIN in the receiver's TLS certificate, on an https connection. */
  peerOin?: string;
  /** Retry-After of the answer, in milliseconds from now. */
  retryAfterMs?: number;
}

/** The body of a Fo01/Fo02/Fo03: code (≤7), plek (client|server), omschrijving (≤200), details. */
export interface StufFout {
  code: string;
  plek: string;
  omschrijving: string;
  details?: string;
}

/** Most bytes of an answer read; a Fo03 with detailsXML fits many times over. */
export const ANSWER_BYTES = 256 * 1024;

/** Reads the answer of one exchange. Never throws: an answer that is not SOAP is `not-soap`. */
export function readStufAnswer(result: PostResult): StufAnswer {
  if (result.kind === 'unreachable')
    return { kind: 'unreachable', reason: result.reason, tlsRefused: result.tlsRefused };
  const retryAfter = result.headers['retry-after'];
  const retryAfterMs = parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : null);
  const http: HttpFacts = {
    status: result.status,
    statusText: result.statusText,
    ...(result.peerOin !== undefined ? { peerOin: result.peerOin } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
  const excerpt = () => redactBsn(result.answer.subarray(0, 500).toString('utf8').trim());
  if (result.answer.length === 0) return { kind: 'not-soap', why: 'the answer is empty', excerpt: '', http };

  let root: XNode;
  try {
    root = parseToTree(result.answer, { maxBytes: ANSWER_BYTES });
  } catch (e) {
    if (!(e instanceof XmlInputError)) throw e;
    return { kind: 'not-soap', why: `the answer is not XML (${e.message})`, excerpt: excerpt(), http };
  }
  const soap = readSoap(root);
  if (!soap)
    return {
      kind: 'not-soap',
      why: `the answer is a {${root.ns}}${root.name}, not a SOAP Envelope`,
      excerpt: excerpt(),
      http,
    };
  const message = soap.body?.[0];
  if (!message) return { kind: 'other-soap', element: '(an empty Body)', http };

  const fault = readSoapFault(message, soap.version);
  if (fault) {
    const fo = fault.detail.find(isFoutbericht);
    return fo ? foutbericht(fo, http) : { kind: 'soap-fault', fault, http };
  }
  if (isFoutbericht(message)) return foutbericht(message, http);
  if (message.ns === STUF0301_NS && /^Bv0[1-4]Bericht$/.test(message.name)) {
    const s = child(message, 'stuurgegevens');
    return {
      kind: 'bevestiging',
      berichtcode: textAt(s, 'berichtcode') ?? message.name.slice(0, 4),
      ...optional('referentienummer', textAt(s, 'referentienummer')),
      ...optional('crossRefnummer', textAt(s, 'crossRefnummer')),
      http,
    };
  }
  return { kind: 'other-soap', element: `{${message.ns}}${message.name}`, http };
}

function isFoutbericht(node: XNode): boolean {
  return node.ns === STUF0301_NS && /^Fo0[1-3]Bericht$/.test(node.name);
}

function foutbericht(node: XNode, http: HttpFacts): StufAnswer {
  const s = child(node, 'stuurgegevens');
  const body = child(node, 'body');
  return {
    kind: 'foutbericht',
    berichtcode: textAt(s, 'berichtcode') ?? node.name.slice(0, 4),
    fout: {
      code: textAt(body, 'code') ?? '',
      plek: textAt(body, 'plek') ?? '',
      omschrijving: textAt(body, 'omschrijving') ?? '',
      ...optional('details', textAt(body, 'details')),
    },
    ...optional('crossRefnummer', textAt(s, 'crossRefnummer')),
    http,
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined || value === '' ? {} : ({ [key]: value } as Record<K, string>);
}

/** How a receiver's StUF codes are to be taken, beyond the plek (client: refused; server: try again). */
export interface FoutPolicy {
  /** Codes that say the referentienummer was received before: the first copy arrived (StUF016, IB216). */
  duplicateCodes: ReadonlySet<string>;
  /** Client-side codes that are temporary (IB103: berichttype temporarily blocked). */
  retryCodes: ReadonlySet<string>;
}

export interface OutcomeContext {
  policy: FoutPolicy;
  /** The referentienummer sent, named in the answers kept for beheer. */
  referentienummer: string;
}

/**
 * The delivery outcome of an answer:
 * - Bv0x → delivered (the answer keeps its referentienummer and crossRefnummer);
 * - Fo0x with a duplicate code → delivered, saying the first copy arrived; with a retry code or plek "server"
 *   → retry; else failed with its code and omschrijving;
 * - another SOAP fault: Server/Receiver → retry, Client/Sender (and the SOAP codes) → failed;
 * - no StUF answer: 408, 429, 5xx → retry; 2xx → retry (the outcome is unclear; the resend reuses the
 *   referentienummer, so a StUF016 on it says the first copy arrived); 3xx and other 4xx → failed.
 */
export function outcomeOfAnswer(answer: StufAnswer, ctx: OutcomeContext): DeliveryOutcome {
  switch (answer.kind) {
    case 'unreachable':
      return { kind: 'retry', reason: answer.reason, ...(answer.tlsRefused ? { tlsRefused: true } : {}) };
    case 'bevestiging': {
      const text = `${answer.berichtcode} referentienummer=${answer.referentienummer ?? '(none)'} crossRefnummer=${answer.crossRefnummer ?? '(none)'}`;
      return delivered(answer.http, text);
    }
    case 'foutbericht':
      return outcomeOfFout(answer, ctx);
    case 'soap-fault': {
      const { fault, http } = answer;
      const text = redactBsn(`SOAP fault ${fault.code || '(no code)'}: ${fault.text || '(no text)'}`);
      return fault.side === 'server'
        ? retry(text, http, text)
        : { kind: 'failed', reason: text, status: http.status, answer: text };
    }
    case 'other-soap': {
      const text = `the SOAP answer carries ${answer.element}, not a Bv03/Bv04 or Fo03`;
      return outcomeOfStatus(answer.http, text, '', ctx);
    }
    case 'not-soap':
      return outcomeOfStatus(answer.http, answer.why, answer.excerpt, ctx);
  }
}

function outcomeOfFout(answer: Extract<StufAnswer, { kind: 'foutbericht' }>, ctx: OutcomeContext): DeliveryOutcome {
  const { fout, http } = answer;
  const summary = redactBsn(
    `${answer.berichtcode} ${fout.code || '(no code)'} (${fout.plek || 'plek unknown'}): ${fout.omschrijving || '(no omschrijving)'}`,
  );
  const excerpt = fout.details ? `${summary}; details: ${redactBsn(fout.details)}` : summary;
  if (ctx.policy.duplicateCodes.has(fout.code)) {
    return delivered(
      http,
      `${summary} — referentienummer ${ctx.referentienummer} was received before: the first copy arrived (delivered as a duplicate)`,
    );
  }
  if (ctx.policy.retryCodes.has(fout.code) || fout.plek === 'server') return retry(summary, http, excerpt);
  return { kind: 'failed', reason: summary, status: http.status, answer: excerpt };
}

function outcomeOfStatus(http: HttpFacts, why: string, excerpt: string, ctx: OutcomeContext): DeliveryOutcome {
  const status = `HTTP ${http.status}${http.statusText ? ` ${http.statusText}` : ''}`;
  if (http.status >= 200 && http.status < 300) {
    return retry(
      `${status} without a Bv03/Bv04 or Fo03 (${why}): the outcome is unclear; the resend reuses referentienummer ${ctx.referentienummer}`,
      http,
      excerpt,
    );
  }
  if (http.status === 408 || http.status === 429 || http.status >= 500)
    return retry(`${status}: ${why}`, http, excerpt);
  if (http.status >= 300 && http.status < 400) {
    return {
      kind: 'failed',
      reason: `${status}: redirects are not followed; configure the final URL`,
      status: http.status,
      answer: excerpt,
    };
  }
  return { kind: 'failed', reason: `${status}: ${why}`, status: http.status, answer: excerpt };
}

function delivered(http: HttpFacts, answer: string): DeliveryOutcome {
  return {
    kind: 'delivered',
    status: http.status,
    answer,
    ...(http.peerOin !== undefined ? { peerOin: http.peerOin } : {}),
  };
}

function retry(reason: string, http: HttpFacts, answer: string): DeliveryOutcome {
  return {
    kind: 'retry',
    reason,
    status: http.status,
    ...(answer ? { answer } : {}),
    ...(http.retryAfterMs !== undefined ? { retryAfterMs: http.retryAfterMs } : {}),
  };
}
