import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Config, InboundConfig } from '../config/schema.ts';
import { type AcceptOutcome, accept, type Permissions, type PipelineDeps } from '../pipeline/accept.ts';
import { answerFor, type Channel, soapChannel } from '../pipeline/answer-channel.ts';
import { ANSWER_REFUSAL_ANSWERS } from '../pipeline/answerer.ts';
import { redactBsn } from '../security/redact.ts';
import type { MessageStore } from '../store/types.ts';
import {
  type AnsweredMessage,
  answeredFrom,
  buildBv03,
  buildFo03,
  type Fout,
  findingDetails,
  fout,
  STUF016,
  STUF055,
} from '../stuf/replies.ts';
import { buildSoapEnvelope, buildSoapFault, type FaultSpec, type SoapVersion, soapContentType } from '../stuf/soap.ts';
import { readSoapRequest, rootLocalName, type SoapRequest, SoapRequestError } from '../stuf/soap-request.ts';
import type { Verdict } from '../validation/verdict.ts';
import { parseToTree, XmlInputError } from '../xml/parse.ts';
import type { XNode } from '../xml/tree.ts';
import type { AuthRefusal } from './auth.ts';
import { sendError } from './errors.ts';
import type { FailureCharge } from './rate-limit.ts';

/**
 * `POST /inbound/{party}` in SOAP: how the GGK delivers retourberichten (ggk_Du01, or a ggk_Di01) and CORV its
 * messages (notificatieDi01, Bv01, Fo01 …). A request is SOAP when its Content-Type is application/soap+xml or its
 * root element is a SOAP 1.1/1.2 Envelope; anything else goes on to the plain XML handler unchanged.
 *
 * The one message in the Body is taken out (as Canonical XML, so it carries the namespaces it had in scope) and
 * goes through the same pipeline as a plain post: the same authentication (done before this handler), validation
 * and store. The answer is SOAP in the request's version, as the table "Answers per channel" says
 * (src/pipeline/answer-channel.ts; CORV for a party of kind corv, else the GGK):
 *
 * | outcome | answer |
 * |---|---|
 * | accepted | 200, Bv03 (crossRefnummer = the received referentienummer) |
 * | bericht not valid against its schema (envelope readable) | 200, Bv03; then an asynchronous Fo01 `StUF055` |
 * | bericht fails a technical rule, TR056 included | 200, Bv03; then the retourbericht in a ggk_Du01 (CORV: Fo01) |
 * | exact repeat, or the same zender + referentienummer again | fault + Fo03 `StUF016`: the first copy arrived |
 * | other StUF content under a referentienummer already used | fault + Fo03 `StUF016` |
 * | envelope not valid, bericht not recognised | fault + Fo03 with the first finding's code (else `StUF055`) |
 * | not allowed for this party | fault + Fo03 `IB002` |
 * | not authenticated as this party (no or a wrong key or certificate, an unknown party) | 401/403, fault + Fo03 `IB002` (soapAuthRefusal) |
 * | no route | fault + Fo03 `IB102` |
 * | the store or the pipeline fails | fault (Server/Receiver) + Fo03 `StUF058`, plek server |
 * | a SOAP request that cannot be read | fault without Fo03 (Client/Sender) |
 *
 * A fault is HTTP 500 in SOAP 1.1; in SOAP 1.2 400 for a client-side and 500 for a server-side fault.
 */
export interface SoapInboundDeps extends PipelineDeps {
  config: () => Config;
}

export function soapInbound(
  deps: SoapInboundDeps,
  permissionsOf: (party: InboundConfig) => Permissions,
): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const body = req.body as Buffer;
    const soap12Type = mediaType(req) === 'application/soap+xml';
    if (!soap12Type && rootLocalName(body) !== 'Envelope') return next();

    let request: SoapRequest | undefined;
    try {
      request = readSoapRequest(body, { maxBytes: deps.config().server.bodyLimitBytes }, soap12Type ? '1.2' : '1.1');
    } catch (e) {
      if (e instanceof SoapRequestError) return sendFault(res, e.version, e.fault);
      return next(e);
    }
    if (!request) {
      if (soap12Type)
        return sendFault(res, '1.2', {
          side: 'client',
          text: 'application/soap+xml was sent, but the root element is no SOAP Envelope',
        });
      return next();
    }

    return answerStufRequest(deps, request, res, permissionsOf);
  };
}

/**
 * Runs the StUF message of a SOAP request through the pipeline and answers it (Bv03, or a fault with a Fo03).
 * Shared by `POST /inbound/{party}` and the DAI endpoint `POST /dai/{party}` (src/http/dai-inbound.ts), which
 * unwraps dai:bericht and hands the bericht in here.
 */
export async function answerStufRequest(
  deps: SoapInboundDeps,
  request: SoapRequest,
  res: Response,
  permissionsOf: (party: InboundConfig) => Permissions,
): Promise<void> {
  // Only a message whose StUF stuurgegevens can be answered with a Bv03 comes in over SOAP; decided before
  // anything is stored (a bare iStandaarden bericht is posted as application/xml).
  if (!answerable(request)) {
    return sendFault(res, request.version, {
      side: 'client',
      text: 'the SOAP Body carries no StUF message with stuurgegevens to answer (zender, referentienummer); post an iStandaarden bericht as application/xml, or wrap it in a GGK envelope',
    });
  }

  try {
    const party = res.locals.party as InboundConfig;
    const channel = soapChannel(deps.config(), party.party);
    const outcome = await accept(deps, {
      source: request.message,
      via: { kind: 'inbound', id: party.party },
      permissions: permissionsOf(party),
      channel,
    });
    const m = outcome.kind === 'accepted' || outcome.kind === 'repeat' ? outcome.message : undefined;
    (res.locals.log as Logger | undefined)?.info(
      {
        outcome: outcome.kind,
        soap: request.version,
        ...(m ? { id: m.id, message: m.messageName, destination: m.destination } : {}),
      },
      'bericht',
    );
    await answerSoap(res, request, outcome, channel.channel, deps.store);
  } catch (e) {
    (res.locals.log as Logger | undefined)?.error(
      { err: { name: (e as Error).name, message: (e as Error).message } },
      'SOAP request failed',
    );
    if (!res.headersSent) {
      const text = 'the gateway could not handle this request; it did not take the message';
      sendFault(res, request.version, {
        side: 'server',
        text,
        ...fo03Detail(answeredFrom(request.root), fout(STUF058, text, undefined, 'server')),
      });
    }
  }
}

/** Whether a Bv03 can be built for the received message (the answer to an accepted one). */
function answerable(request: SoapRequest): boolean {
  try {
    buildBv03(answeredFrom(request.root));
    return true;
  } catch {
    return false;
  }
}

function mediaType(req: Request): string {
  return (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

async function answerSoap(
  res: Response,
  request: SoapRequest,
  outcome: AcceptOutcome,
  channel: Channel,
  store: MessageStore,
): Promise<void> {
  const answered = answeredFrom(request.root);
  const taken = outcome.kind === 'accepted' ? outcome.message.id : takenRejection(outcome, channel);
  if (taken) {
    res.status(200).location(`/berichten/${taken}`).type(soapContentType(request.version));
    res.send(buildSoapEnvelope(buildBv03(answered), request.version));
    return;
  }
  const f = await foutOf(outcome as Exclude<AcceptOutcome, { kind: 'accepted' }>, answered, store);
  sendFault(res, request.version, { side: 'client', text: `${f.code}: ${f.omschrijving}`, ...fo03Detail(answered, f) });
}

/** The id of the rejected message when the table says the gateway takes it (Bv03) and answers afterwards. */
function takenRejection(outcome: AcceptOutcome, channel: Channel): string | undefined {
  if (outcome.kind === 'accepted' || outcome.kind === 'repeat' || outcome.kind === 'refused-answer') return undefined;
  if (!outcome.situation || !outcome.rejectedId) return undefined;
  return answerFor(channel, outcome.situation).immediate === 'bv03' ? outcome.rejectedId : undefined;
}

/** A Fo03 in the fault's detail, when the received stuurgegevens can be answered in StUF (present, not too long). */
function fo03Detail(answered: AnsweredMessage, f: Fout): { detail?: string } {
  try {
    return { detail: buildFo03(answered, f) };
  } catch {
    return {};
  }
}

async function foutOf(
  outcome: Exclude<AcceptOutcome, { kind: 'accepted' }>,
  answered: AnsweredMessage,
  store: MessageStore,
): Promise<Fout> {
  switch (outcome.kind) {
    case 'repeat':
      return { ...STUF016, details: 'this message was received and accepted before: the first copy arrived' };
    case 'conflict':
      if (outcome.code === 'StUF016' || (await sameZenderAndReferentienummer(store, outcome.existingId, answered))) {
        return { ...STUF016, details: 'a message with this zender and referentienummer was received before' };
      }
      return fout(outcome.code, outcome.text, `retourcode ${outcome.retourcode}`);
    case 'invalid':
      return foutOfVerdict(outcome.verdict);
    case 'forbidden':
      return fout('IB002', `not authorised: ${outcome.text}`, outcome.code);
    case 'no-route':
      return fout('IB102', `no routing: ${outcome.text}`);
    case 'refused-answer':
      return fout(ANSWER_REFUSAL_ANSWERS[outcome.code].stufCode, `${outcome.code}: ${outcome.text}`, outcome.code);
  }
}

/**
 * Whether the stored message has the same StUF zender organisatie and referentienummer as the one received: then
 * the sender resent the message it sent before (perhaps with another tijdstipBericht) and the first copy arrived.
 */
async function sameZenderAndReferentienummer(
  store: MessageStore,
  existingId: string,
  answered: AnsweredMessage,
): Promise<boolean> {
  const body = await store.getBody(existingId);
  if (!body || !answered.referentienummer) return false;
  try {
    const earlier = answeredFrom(parseToTree(body));
    return (
      earlier.referentienummer === answered.referentienummer &&
      earlier.zender.organisatie === answered.zender.organisatie
    );
  } catch (e) {
    if (e instanceof XmlInputError) return false;
    throw e;
  }
}

/** A Fo03 for a bericht the gateway could not take: the first finding's code when it is a rule or chain code, else StUF055. */
function foutOfVerdict(verdict: Verdict): Fout {
  const inner = verdict.payload && !verdict.payload.valid && verdict.xsdValid ? verdict.payload : verdict;
  const first = inner.findings[0];
  const code = first && /^[A-Za-z]{2,4}[0-9]{3}$/.test(first.code) ? first.code : STUF055;
  const what = !inner.message
    ? 'the bericht is not recognised'
    : !inner.xsdValid
      ? `${inner.message} is not valid against its schema`
      : `${inner.message} fails a technical rule`;
  return fout(code, `${what}: ${first?.text ?? 'no details'}`, findingDetails(inner.findings));
}

/** StUF058: the receiving process failed (plek server); the sender may try again. */
const STUF058 = 'StUF058';

/** A SOAP fault; its HTTP status is SOAP's (1.1: 500; 1.2: 400 client, 500 server) unless `status` is given. */
export function sendFault(
  res: Response,
  version: SoapVersion,
  fault: FaultSpec,
  status = version === '1.2' && fault.side === 'client' ? 400 : 500,
): void {
  res
    .status(status)
    .type(soapContentType(version))
    .send(buildSoapFault({ ...fault, text: redactBsn(fault.text) }, version));
}

/** The SOAP version of a request body and the StUF message it carries; undefined when the body is no SOAP request. */
export type SoapUnwrap = (
  body: Buffer,
  limits: { maxBytes: number },
  soap12Type: boolean,
) => { version: SoapVersion; root?: XNode } | undefined;

/** `POST /inbound/{party}`: the message in the SOAP Body. */
export const unwrapSoap: SoapUnwrap = (body, limits, soap12Type) =>
  readSoapRequest(body, limits, soap12Type ? '1.2' : '1.1');

const NOT_AUTHORISED = 'not authorised: the credentials of this request are not accepted on this endpoint';

/**
 * How the SOAP endpoints (`/inbound/{party}`, `/dai/{party}`) refuse a request that is not authenticated as the
 * path's party: the gateway cannot take responsibility, so a SOAP request gets a fault with a Fo03 `IB002` (the
 * table "Answers per channel"), with the status the authentication gave (401, 403). The text is the same for an
 * unknown party, a wrong key and another party's key, so it tells nothing about the configured parties; the
 * Fo03's details carry only the authentication's own code (UNAUTHENTICATED, OIN_UNKNOWN, …).
 *
 * Only requests sent as SOAP (Content-Type text/xml or application/soap+xml) have their body read for this, with
 * the same limits and admission as any body; a 401 counts against the client address's failure budget at once.
 * Anything else, or a text/xml body that is no SOAP Envelope, gets the JSON error.
 */
export function soapAuthRefusal(
  deps: { config: () => Config },
  readBody: RequestHandler,
  unwrap: SoapUnwrap,
): AuthRefusal {
  return (req, res, status, code, message) => {
    const type = mediaType(req);
    if (type !== 'text/xml' && type !== 'application/soap+xml') return sendError(res, status, code, message);
    if (status === 401) (res.locals.failureCharge as FailureCharge | undefined)?.fail();
    void readBody(req, res, (err?: unknown) => {
      const body = req.body as Buffer | undefined;
      const soap12Type = type === 'application/soap+xml';
      if (err || !Buffer.isBuffer(body) || (!soap12Type && rootLocalName(body) !== 'Envelope'))
        return sendError(res, status, code, message);
      let version: SoapVersion = soap12Type ? '1.2' : '1.1';
      let root: XNode | undefined;
      try {
        const request = unwrap(body, { maxBytes: deps.config().server.bodyLimitBytes }, soap12Type);
        version = request?.version ?? version;
        root = request?.root;
      } catch (e) {
        if (e instanceof SoapRequestError) version = e.version;
        else if (!(e instanceof XmlInputError))
          (res.locals.log as Logger | undefined)?.warn(
            { err: { name: (e as Error).name } },
            'refused SOAP request not read',
          );
      }
      res.locals.errorCode = code;
      (res.locals.log as Logger | undefined)?.info({ code, status }, 'SOAP request refused: not authorised');
      let detail: { detail?: string } = {};
      try {
        if (root) detail = fo03Detail(answeredFrom(root), fout('IB002', NOT_AUTHORISED, code));
      } catch {
        // Stuurgegevens that cannot be answered: a fault without Fo03.
      }
      sendFault(res, version, { side: 'client', text: `IB002: ${NOT_AUTHORISED}`, ...detail }, status);
    });
  };
}
