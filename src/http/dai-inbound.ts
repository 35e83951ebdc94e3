import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { InboundConfig } from '../config/schema.ts';
import type { Permissions } from '../pipeline/accept.ts';
import { redactBsn } from '../security/redact.ts';
import { type Addressing, stufAddress, stufMessageId, stufRelatesTo } from '../stuf/dai-addressing.ts';
import { AddressingError, type DaiRequest, readDaiRequest } from '../stuf/dai-envelope.ts';
import { type AnsweredMessage, answeredFrom, buildFo03, type Fout } from '../stuf/replies.ts';
import { SoapRequestError } from '../stuf/soap-request.ts';
import { textAt } from '../xml/tree.ts';
import { sendError } from './errors.ts';
import { answerStufRequest, type SoapInboundDeps, type SoapUnwrap, sendFault } from './soap-inbound.ts';

/**
 * `POST /dai/{party}`: the endpoint the gemeente's Digikoppeling adapter delivers to over Digikoppeling Adapter
 * Intern 1.0 (standards.md §7, DAI §3.2.2): a SOAP 1.1 request with WS-Addressing headers and the bericht (a GGK
 * ggk_Di01/ggk_Du01, a StUF-JZ message, a Bv01/Fo01) inside `dai:bericht`.
 *
 * A thin layer around the SOAP inbound handling of `/inbound/{party}` (answerStufRequest): authentication is the
 * same (the adapter's client certificate OIN in `inbound[].oins`, or an API key), and so are the pipeline and the
 * answers (Bv03 when the gateway takes responsibility, a fault with Fo03 when it does not). Before that, the
 * headers are checked:
 *
 * | problem | answer |
 * |---|---|
 * | not SOAP, no single `dai:bericht` with one element | fault (Client) without Fo03 |
 * | a header missing, doubled or foreign (DAI allows WS-Addressing only) | fault + Fo03 `WSA001` |
 * | wsa:From not one of `inbound[].dai.from` | fault + Fo03 `IB002` (not authorised) |
 * | wsa:From, wsa:To, wsa:MessageID or wsa:RelatesTo disagrees with the stuurgegevens (Appendix B) | fault + Fo03 `WSA002` |
 *
 * A party without a `dai` section has no DAI endpoint (404).
 */
export function daiInbound(
  deps: SoapInboundDeps,
  permissionsOf: (party: InboundConfig) => Permissions,
): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const party = res.locals.party as InboundConfig;
    if (!party.dai) {
      return sendError(
        res,
        404,
        'DAI_NOT_CONFIGURED',
        `party "${party.party}" has no DAI endpoint (configure inbound[].dai)`,
      );
    }
    let request: DaiRequest;
    try {
      request = readDaiRequest(req.body as Buffer, { maxBytes: deps.config().server.bodyLimitBytes });
    } catch (e) {
      if (e instanceof SoapRequestError) return sendFault(res, e.version, e.fault);
      if (e instanceof AddressingError) return refuse(res, e.bericht, { code: 'WSA001', text: e.message });
      return next(e);
    }
    const problem = addressingProblem(request, party);
    if (problem) {
      (res.locals.log as Logger | undefined)?.warn({ code: problem.code, party: party.party }, 'DAI request refused');
      return refuse(res, request, problem);
    }
    (res.locals.log as Logger | undefined)?.debug(
      { messageId: request.addressing.messageId, action: request.addressing.action },
      'DAI request',
    );
    return answerStufRequest(
      deps,
      { version: request.version, message: request.message, root: request.root },
      res,
      permissionsOf,
    );
  };
}

/** `POST /dai/{party}`: the bericht in dai:bericht, also when the headers cannot be read (to refuse it with a Fo03). */
export const unwrapDai: SoapUnwrap = (body, limits) => {
  try {
    return readDaiRequest(body, limits);
  } catch (e) {
    if (e instanceof AddressingError) return e.bericht ?? { version: '1.1' };
    throw e;
  }
};

interface Problem {
  code: string;
  text: string;
}

/** Whether the headers may come from this party and agree with the bericht's stuurgegevens (Appendix B). */
export function addressingProblem(
  request: Pick<DaiRequest, 'addressing' | 'root'>,
  party: Pick<InboundConfig, 'dai'>,
): Problem | undefined {
  const a: Addressing = request.addressing;
  const allowed = party.dai?.from;
  if (allowed && !allowed.some((f) => (f.endsWith('*') ? a.from.startsWith(f.slice(0, -1)) : a.from === f))) {
    return { code: 'IB002', text: `wsa:From ${a.from} is not an address this party's adapter delivers from` };
  }
  const s = stuurgegevens(request.root);
  if (!s)
    return {
      code: 'WSA002',
      text: `the {${request.root.ns}}${request.root.name} in dai:bericht has no StUF stuurgegevens to check the WS-Addressing headers against`,
    };
  const expected: [string, string | undefined, string | undefined][] = [
    ['wsa:From', a.from, stufAddress(s.zender)],
    ['wsa:To', a.to, stufAddress(s.ontvanger)],
    ['wsa:MessageID', a.messageId, stufMessageId(s.referentienummer, s.zender)],
    ['wsa:RelatesTo', a.relatesTo, s.crossRefnummer ? stufRelatesTo(s.crossRefnummer, s.ontvanger) : undefined],
  ];
  const wrong = expected.filter(([, got, want]) => got !== want);
  if (wrong.length === 0) return undefined;
  return {
    code: 'WSA002',
    text: `the WS-Addressing headers disagree with the stuurgegevens (DAI Appendix B): ${wrong.map(([name, got, want]) => `${name} is ${got ?? '(absent)'}, expected ${want ?? '(absent)'}`).join('; ')}`,
  };
}

function stuurgegevens(root: DaiRequest['root']): (AnsweredMessage & { crossRefnummer?: string }) | undefined {
  const answered = answeredFrom(root);
  if (!answered.referentienummer || !answered.zender.applicatie || !answered.ontvanger.applicatie) return undefined;
  const crossRefnummer = textAt(root, 'stuurgegevens/crossRefnummer');
  return { ...answered, ...(crossRefnummer ? { crossRefnummer } : {}) };
}

/** A fault with a Fo03 answering the bericht, or without one when its stuurgegevens cannot be answered. */
function refuse(res: Response, request: Pick<DaiRequest, 'root' | 'version'> | undefined, problem: Problem): void {
  const text = redactBsn(problem.text);
  const fout: Fout = {
    code: problem.code,
    plek: 'client',
    omschrijving: text.length <= 200 ? text : `${text.slice(0, 199)}…`,
    ...(text.length > 200 ? { details: text.slice(0, 1000) } : {}),
  };
  let fo03: string | undefined;
  try {
    if (request) fo03 = buildFo03(answeredFrom(request.root), fout);
  } catch {
    // The stuurgegevens cannot be answered in StUF: a plain fault.
  }
  sendFault(res, request?.version ?? '1.1', {
    side: 'client',
    text: `${problem.code}: ${text}`,
    ...(fo03 ? { detail: fo03 } : {}),
  });
}
