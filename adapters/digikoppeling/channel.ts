import type { DestinationConfig } from '../../src/config/schema.ts';
import {
  type Addressing,
  ebmsAction,
  type StufRouting,
  stufAddressing,
  stufEbmsAction,
} from '../../src/stuf/dai-addressing.ts';
import { buildDaiEnvelope, DAI_REQUEST_HEADERS } from '../../src/stuf/dai-envelope.ts';
import { buildSoapEnvelope, soapRequestHeaders } from '../../src/stuf/soap.ts';
import { readSysteem } from '../../src/stuf/stuurgegevens.ts';
import type { ClientTls } from '../../src/transport/adapter.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { child, textAt } from '../../src/xml/tree.ts';
import { type PostResult, post } from '../http/post.ts';
import type { SoapOperation } from './actions.ts';
import { ANSWER_BYTES } from './answer.ts';

/**
 * How a StUF message (a GGK envelope, a StUF-JZ message, a Bv/Fo) reaches the GGK or CORV. Two channels exist:
 *
 * - `dai`: the gemeente's Digikoppeling adapter, over Digikoppeling Adapter Intern 1.0 (standards.md §7): SOAP 1.1
 *   with `SOAPAction: ""`, the message inside `dai:bericht`, and the WS-Addressing headers that Appendix B builds
 *   from the message's stuurgegevens and the ebMS Service configured for its flow. The adapter does the ebMS2
 *   (CPA, reliable messaging, signing) and answers Bv04 when it takes the message over, Fo03 when it does not.
 * - `direct`: the message in the Body of a plain SOAP 1.1 request with the WSDL's SOAPAction, answered with
 *   Bv03 or a Fo03 fault by the endpoint itself. Neither the GGK nor CORV takes this in production (both are
 *   reached over Digikoppeling ebMS2); it serves a test endpoint that speaks the OntvangAsynchroon WSDL (the
 *   chain simulator of the tests, a supplier's GGK test stub).
 */
export interface DigikoppelingChannel {
  readonly kind: 'direct' | 'dai';
  /** For texts: "the GGK", "the Digikoppeling adapter". */
  readonly name: string;
  send(request: ChannelRequest, signal: AbortSignal, tls?: ClientTls): Promise<PostResult>;
}

/** One StUF message to send, with what both channels need to address it. */
export interface ChannelRequest {
  url: string;
  /** The message document (its XML declaration is dropped when it goes into the SOAP Body). */
  bericht: Uint8Array | string;
  /** The WSDL operation (direct: the SOAPAction). */
  operation: SoapOperation;
  /** The message's stuurgegevens (dai: To, From, MessageID, RelatesTo). Its referentienummer is stable across retries. */
  routing: StufRouting;
  /** The namespace and local name of the message's root element (dai: the ebMS Action). */
  element: { ns: string; name: string };
  /** The flow, to find its ebMS Service: the message name (WMO301, vtoDi01, Bv01) and its standard. */
  flow: { messageName: string; standard: string };
  timeoutMs: number;
}

/** The settings of a DAI endpoint (config: `endpoint: { kind: dai, … }`). */
export interface DaiSettings {
  /** The ebMS Service of every flow without one of its own. */
  service: string;
  /** The ebMS Service per message name (WMO301, vtoDi01 …) or per standard (iwmo, stuf-jz …); the name wins. */
  services?: Readonly<Record<string, string>> | undefined;
  /** The ebMS Action per message name, where the CPA does not follow the Appendix B convention (namespace/element). */
  actions?: Readonly<Record<string, string>> | undefined;
}

export function directChannel(name: string): DigikoppelingChannel {
  return {
    kind: 'direct',
    name,
    send: (request, signal, tls) =>
      post(
        postRequest(
          request.url,
          buildSoapEnvelope(request.bericht),
          soapRequestHeaders('1.1', request.operation.soapAction),
          request.timeoutMs,
          signal,
          tls,
        ),
      ),
  };
}

export function daiChannel(settings: DaiSettings): DigikoppelingChannel {
  return {
    kind: 'dai',
    name: 'the Digikoppeling adapter',
    send: (request, signal, tls) =>
      post(
        postRequest(
          request.url,
          buildDaiEnvelope(daiAddressing(settings, request), request.bericht),
          DAI_REQUEST_HEADERS,
          request.timeoutMs,
          signal,
          tls,
        ),
      ),
  };
}

/** The WS-Addressing headers of one message on a DAI endpoint (Appendix B). */
export function daiAddressing(
  settings: DaiSettings,
  request: Pick<ChannelRequest, 'routing' | 'element' | 'flow'>,
): Addressing {
  const { messageName, standard } = request.flow;
  const service = settings.services?.[messageName] ?? settings.services?.[standard] ?? settings.service;
  const action = settings.actions?.[messageName] ?? stufEbmsAction(request.element.ns, request.element.name);
  return stufAddressing(request.routing, { service, action });
}

/** Checks that an ebMS Service and Action give a wsa:Action that is a URN (no spaces, no characters to escape). */
export function daiActionProblem(service: string, action: string): string | undefined {
  const value = ebmsAction(service, action);
  return /^[A-Za-z0-9()+,\-.:=@;$_!*'/%]+$/.test(value)
    ? undefined
    : `wsa:Action "${value}" holds characters a URN does not allow`;
}

function postRequest(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
  tls: ClientTls | undefined,
) {
  return { url, body, headers, timeoutMs, signal, tls, answerBytes: ANSWER_BYTES };
}

type DigikoppelingDestination = Extract<DestinationConfig, { adapter: 'ggk' | 'corv' }>;

/** The channel a GGK or CORV destination is configured with (default `direct`). */
export function channelFor(destination: DigikoppelingDestination, partyName: string): DigikoppelingChannel {
  const endpoint = destination.endpoint ?? { kind: 'direct' };
  return endpoint.kind === 'direct' ? directChannel(partyName) : daiChannel(endpoint);
}

/**
 * The stuurgegevens and root element of a StUF message about to be sent, for {@link ChannelRequest}. Throws
 * when the document cannot be read or has no stuurgegevens/referentienummer (it cannot be addressed).
 */
export function stufFacts(bericht: Uint8Array | string): Pick<ChannelRequest, 'routing' | 'element'> {
  const root = parseToTree(bericht);
  const s = child(root, 'stuurgegevens');
  const referentienummer = textAt(s, 'referentienummer');
  if (!s || !referentienummer)
    throw new Error(`the {${root.ns}}${root.name} has no stuurgegevens/referentienummer to address it with`);
  const crossRefnummer = textAt(s, 'crossRefnummer');
  return {
    routing: {
      zender: readSysteem(child(s, 'zender')),
      ontvanger: readSysteem(child(s, 'ontvanger')),
      referentienummer,
      ...(crossRefnummer ? { crossRefnummer } : {}),
    },
    element: { ns: root.ns, name: root.name },
  };
}
