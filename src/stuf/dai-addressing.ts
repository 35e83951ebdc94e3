import type { Systeem } from './stuurgegevens.ts';

/**
 * The WS-Addressing headers of Digikoppeling Adapter Intern (DAI) 1.0 (standards.md §7;
 * reference/digikoppeling-adapter-intern, §3.1 and Appendix B), for messages exchanged over ebMS:
 *
 * | header | §3.1 (ebMS) | Appendix B (a StUF bericht) |
 * |---|---|---|
 * | wsa:To / wsa:From | the receiving / sending application | `urn:dkintern:` + organisatie `:` applicatie `:` administratie of the ontvanger / zender |
 * | wsa:Action | `urn:dkintern:` + ebMS Service `:` ebMS Action | ebMS Action = namespace `/` element name of the bericht |
 * | wsa:MessageID | `urn:dkintern:` + ebMS MessageId | `urn:dkintern:` + referentienummer `@` domain of the zender |
 * | wsa:RelatesTo | `urn:dkintern:` + ebMS RefToMessageId | `urn:dkintern:` + crossRefnummer `@` domain of the ontvanger |
 * | wsa:RelatesTo ConversationId | `urn:dkintern:` + ebMS ConversationId | wsa:MessageID, or wsa:RelatesTo when there is a crossRefnummer |
 *
 * The domain of a zender/ontvanger is organisatie `.` (left out when empty) + applicatie `.` + administratie `.`
 * (just `.` when empty) + `dkintern.nl`. Values that are not URN characters are escaped as RFC 2141 says.
 */

export const WSA_NS = 'http://www.w3.org/2005/08/addressing';
export const DAI_NS = 'http://www.stufstandaarden.nl/koppelvlak/dai0100';
export const DKINTERN = 'urn:dkintern:';
/** The RelationshipType of the wsa:RelatesTo that carries the ebMS ConversationId. */
export const CONVERSATION_ID = 'urn:dkintern:ConversationId';

/** The WS-Addressing headers of one DAI message. */
export interface Addressing {
  to: string;
  from: string;
  action: string;
  messageId: string;
  /** The message this one answers (wsa:RelatesTo without RelationshipType). */
  relatesTo?: string;
  /** wsa:RelatesTo RelationshipType="urn:dkintern:ConversationId" (ebMS only). */
  conversationId?: string;
}

/** The ebMS facts the adapter reads from (or writes into) the DAI headers (§3.1.2–3.1.5). */
export interface EbmsFacts {
  service: string;
  action: string;
  messageId: string;
  refToMessageId?: string;
  conversationId?: string;
}

/**
 * RFC 2141 escaping: every character outside the URN `<trans>` set (letters, digits, `()+,-.:=@;$_!*'` and the
 * reserved `/`) becomes `%` + the hex of its UTF-8 bytes; `%`, `?` and `#` are escaped too (`%` is the escape
 * character, `?` and `#` are reserved for future use).
 */
export function escapeUrn(value: string): string {
  let out = '';
  for (const ch of value) {
    if (/^[A-Za-z0-9()+,\-.:=@;$_!*'/]$/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** wsa:Action of a message exchanged over ebMS (§3.1.2). */
export function ebmsAction(service: string, action: string): string {
  return `${DKINTERN}${service}:${action}`;
}

/** The ebMS Action of a StUF bericht by the Appendix B convention: its namespace + "/" + its element name. */
export function stufEbmsAction(namespace: string, elementName: string): string {
  return `${namespace}/${elementName}`;
}

/** wsa:To / wsa:From of a StUF zender or ontvanger (Appendix B). */
export function stufAddress(s: Pick<Systeem, 'organisatie' | 'applicatie' | 'administratie'>): string {
  return `${DKINTERN}${escapeUrn(`${s.organisatie ?? ''}:${s.applicatie}:${s.administratie ?? ''}`)}`;
}

/** The `domainZender` / `domainOntvanger` of Appendix B. */
export function stufDomain(s: Pick<Systeem, 'organisatie' | 'applicatie' | 'administratie'>): string {
  const organisatie = s.organisatie ? `${s.organisatie}.` : '';
  const administratie = s.administratie ? `${s.administratie}.` : '.';
  return `${organisatie}${s.applicatie}.${administratie}dkintern.nl`;
}

/** wsa:MessageID (ebMS) of a StUF bericht: its referentienummer at the zender's domain. */
export function stufMessageId(
  referentienummer: string,
  zender: Pick<Systeem, 'organisatie' | 'applicatie' | 'administratie'>,
): string {
  return `${DKINTERN}${escapeUrn(`${referentienummer}@${stufDomain(zender)}`)}`;
}

/** wsa:RelatesTo (ebMS) of a StUF bericht: its crossRefnummer at the ontvanger's domain. */
export function stufRelatesTo(
  crossRefnummer: string,
  ontvanger: Pick<Systeem, 'organisatie' | 'applicatie' | 'administratie'>,
): string {
  return stufMessageId(crossRefnummer, ontvanger);
}

/** The stuurgegevens facts Appendix B builds the headers from. */
export interface StufRouting {
  zender: Systeem;
  ontvanger: Systeem;
  referentienummer: string;
  crossRefnummer?: string | undefined;
}

/** All headers of a StUF bericht sent over ebMS through the adapter (Appendix B). */
export function stufAddressing(routing: StufRouting, ebms: { service: string; action: string }): Addressing {
  const messageId = stufMessageId(routing.referentienummer, routing.zender);
  const relatesTo = routing.crossRefnummer ? stufRelatesTo(routing.crossRefnummer, routing.ontvanger) : undefined;
  return {
    to: stufAddress(routing.ontvanger),
    from: stufAddress(routing.zender),
    action: ebmsAction(ebms.service, ebms.action),
    messageId,
    ...(relatesTo ? { relatesTo } : {}),
    conversationId: relatesTo ?? messageId,
  };
}

/**
 * What the adapter makes of the headers it is given (§3.1.2–3.1.5): the ebMS Service and Action (the Service
 * must be known, as the adapter knows it from its configuration), and the MessageId, RefToMessageId and
 * ConversationId without the `urn:dkintern:` prefix. Undefined when the Action is not of that Service.
 */
export function ebmsOf(addressing: Addressing, service: string): EbmsFacts | undefined {
  const prefix = `${DKINTERN}${service}:`;
  if (!addressing.action.startsWith(prefix)) return undefined;
  const strip = (v: string | undefined) =>
    v === undefined ? undefined : v.startsWith(DKINTERN) ? v.slice(DKINTERN.length) : v;
  const refToMessageId = strip(addressing.relatesTo);
  const conversationId = strip(addressing.conversationId);
  return {
    service,
    action: addressing.action.slice(prefix.length),
    messageId: strip(addressing.messageId)!,
    ...(refToMessageId !== undefined ? { refToMessageId } : {}),
    ...(conversationId !== undefined ? { conversationId } : {}),
  };
}

/** The headers an adapter gives a message it received over ebMS (§3.1.2–3.1.5), with wsa:To/From as it configured them. */
export function addressingOfEbms(ebms: EbmsFacts, ends: { to: string; from: string }): Addressing {
  return {
    to: ends.to,
    from: ends.from,
    action: ebmsAction(ebms.service, ebms.action),
    messageId: `${DKINTERN}${ebms.messageId}`,
    ...(ebms.refToMessageId !== undefined ? { relatesTo: `${DKINTERN}${ebms.refToMessageId}` } : {}),
    ...(ebms.conversationId !== undefined ? { conversationId: `${DKINTERN}${ebms.conversationId}` } : {}),
  };
}
