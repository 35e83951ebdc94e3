import type { DestinationConfig } from '../../src/config/schema.ts';
import { post, type PostResult } from '../http/post.ts';
import type { ClientTls } from '../types.ts';
import type { SoapOperation } from './actions.ts';
import { ANSWER_BYTES } from './answer.ts';
import { soapRequestHeaders, type SoapVersion } from './soap.ts';

/**
 * How a SOAP message reaches a Digikoppeling party. Two channels exist:
 *
 * - `direct`: SOAP over HTTPS (mutual TLS) to the party's endpoint, which answers Bv03 or a Fo03 fault itself.
 * - `ebms2-adapter`: the same SOAP message posted to the party's own Digikoppeling ebMS2 adapter (an MSH run
 *   next to the gateway), with HTTP headers that give the adapter what it needs to build the ebMS envelope
 *   (see {@link EBMS_HEADERS}). The adapter does the reliable messaging (osb-rm); a 2xx from it means it took
 *   the message over, and a Bv03 or Fo03 it passes back is read as from the party.
 *
 * A native ebMS2 channel (the gateway as MSH) would be a third implementation of {@link DigikoppelingChannel}.
 */
export interface DigikoppelingChannel {
  readonly kind: 'direct' | 'ebms2-adapter';
  /** For texts: "the GGK", "the ebMS2 adapter". */
  readonly name: string;
  /** A 2xx answer without a StUF answer means the channel took the message over (see OutcomeContext). */
  readonly takesOver: boolean;
  send(request: ChannelRequest, signal: AbortSignal, tls?: ClientTls): Promise<PostResult>;
}

export interface ChannelRequest {
  url: string;
  /** The SOAP envelope. */
  envelope: Buffer;
  soapVersion: SoapVersion;
  operation: SoapOperation;
  /**
   * The StUF referentienummer of the message: the ebMS ConversationId, and the base of the ebMS MessageId. It is
   * stable across retries, so an MSH's duplicate elimination recognises a resend.
   */
  referentienummer: string;
  timeoutMs: number;
}

/** The settings of an ebMS2 adapter endpoint (config: `endpoint: { kind: ebms2-adapter, … }`). */
export interface Ebms2AdapterSettings {
  cpaId: string;
  /** Our OIN. */
  fromPartyId: string;
  /** The other side's OIN. */
  toPartyId: string;
  service: string;
  fromRole?: string | undefined;
  toRole?: string | undefined;
}

/** The PartyId type of a Digikoppeling party: its OIN (standards.md §7). */
export const OIN_PARTY_TYPE = 'urn:osb:oin';

/**
 * The HTTP headers the ebMS2 adapter channel adds to the SOAP request. The names are this gateway's choice
 * (Digikoppeling does not standardise the application-to-adapter interface); configure the adapter to map them
 * onto the ebMS MessageHeader.
 */
export const EBMS_HEADERS = {
  cpaId: 'x-ebms-cpaid',
  fromPartyId: 'x-ebms-from-partyid',
  fromPartyIdType: 'x-ebms-from-partyid-type',
  fromRole: 'x-ebms-from-role',
  toPartyId: 'x-ebms-to-partyid',
  toPartyIdType: 'x-ebms-to-partyid-type',
  toRole: 'x-ebms-to-role',
  service: 'x-ebms-service',
  action: 'x-ebms-action',
  conversationId: 'x-ebms-conversationid',
  messageId: 'x-ebms-messageid',
} as const;

export function directChannel(name: string): DigikoppelingChannel {
  return {
    kind: 'direct',
    name,
    takesOver: false,
    send: (request, signal, tls) => post(postRequest(request, {}, signal, tls)),
  };
}

export function ebms2AdapterChannel(settings: Ebms2AdapterSettings): DigikoppelingChannel {
  return {
    kind: 'ebms2-adapter',
    name: 'the ebMS2 adapter',
    takesOver: true,
    send: (request, signal, tls) => post(postRequest(request, ebmsHeaders(settings, request), signal, tls)),
  };
}

/** The ebMS facts of one message, as HTTP headers for the adapter. */
export function ebmsHeaders(settings: Ebms2AdapterSettings, request: Pick<ChannelRequest, 'operation' | 'referentienummer'>): Record<string, string> {
  const h = EBMS_HEADERS;
  return {
    [h.cpaId]: settings.cpaId,
    [h.fromPartyId]: settings.fromPartyId,
    [h.fromPartyIdType]: OIN_PARTY_TYPE,
    ...(settings.fromRole ? { [h.fromRole]: settings.fromRole } : {}),
    [h.toPartyId]: settings.toPartyId,
    [h.toPartyIdType]: OIN_PARTY_TYPE,
    ...(settings.toRole ? { [h.toRole]: settings.toRole } : {}),
    [h.service]: settings.service,
    [h.action]: request.operation.operation,
    [h.conversationId]: request.referentienummer,
    [h.messageId]: `${request.referentienummer}@schakel`,
  };
}

function postRequest(request: ChannelRequest, extra: Record<string, string>, signal: AbortSignal, tls: ClientTls | undefined) {
  return {
    url: request.url,
    body: request.envelope,
    headers: { ...extra, ...soapRequestHeaders(request.soapVersion, request.operation.soapAction) },
    timeoutMs: request.timeoutMs,
    signal,
    tls,
    answerBytes: ANSWER_BYTES,
  };
}

type DigikoppelingDestination = Extract<DestinationConfig, { adapter: 'ggk' | 'corv' }>;

/**
 * The channel a GGK or CORV destination is configured with. `ownOin` fills the ebMS From PartyId when the
 * endpoint leaves it out (a CORV destination's own `oin`).
 */
export function channelFor(destination: DigikoppelingDestination, partyName: string, ownOin?: string): DigikoppelingChannel {
  const endpoint = destination.endpoint ?? { kind: 'direct' };
  if (endpoint.kind === 'direct') return directChannel(partyName);
  const fromPartyId = endpoint.fromPartyId ?? ownOin;
  if (!fromPartyId) throw new Error(`destination "${destination.id}": the ebms2-adapter endpoint needs fromPartyId (our OIN)`);
  return ebms2AdapterChannel({ ...endpoint, fromPartyId });
}
