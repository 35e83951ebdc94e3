import { createHash } from 'node:crypto';
import { isUuidV4 } from '../../src/stuf/stuurgegevens.ts';

/**
 * The referentienummer of the GGK envelope a message travels in: a UUID v4 (§4.6; GGK IB009) that is the same
 * for every attempt and every resend of that message, so that a resend after an unclear outcome reuses it and a
 * StUF016/IB216 on the resend can be read as "the first copy arrived" (§6.5). It is the message's own id (a UUID
 * v4), so the GGK's reference finds the bericht in beheer directly; an id of another form is turned into a UUID v4
 * by hashing it.
 */
export function ggkReferentienummer(messageId: string): string {
  if (isUuidV4(messageId)) return messageId;
  const h = createHash('sha256').update(`schakel/ggk/referentienummer/${messageId}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
