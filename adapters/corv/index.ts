import { parseToTree, XmlInputError } from '../../src/xml/parse.ts';
import { textAt } from '../../src/xml/tree.ts';
import { corvOperation } from '../digikoppeling/actions.ts';
import { outcomeOfAnswer, readStufAnswer, type FoutPolicy } from '../digikoppeling/answer.ts';
import { channelFor } from '../digikoppeling/channel.ts';
import { buildSoapEnvelope } from '../digikoppeling/soap.ts';
import type { Adapter, DeliveryOutcome, OutgoingMessage } from '../types.ts';

/**
 * CORV's StUF codes beyond the plek: StUF016 (zender and referentienummer not unique) means the first copy
 * arrived, so the message counts as delivered and is not sent again. Other client-side Fo03 codes refuse it.
 */
export const CORV_FOUT_POLICY: FoutPolicy = {
  duplicateCodes: new Set(['StUF016']),
  retryCodes: new Set(),
};

const CORV_STANDARDS = new Set(['stuf-jz', 'stuf']);

/**
 * Delivers StUF-Jeugdzorg berichten (vtoDi01, zorgmeldingDi01, …) and StUF service messages (Bv01, Fo01) to
 * CORV/JUBES: the stored StUF message as it is, in the Body of a SOAP 1.1 request, over HTTPS with the
 * destination's certificate profile (mutual TLS), directly or through the college's ebMS2 adapter. The
 * message's own referentienummer is stable across retries. Bv03 → delivered; Fo03 StUF016 → delivered as a
 * duplicate; other Fo03 → failed with code and omschrijving (plek "server": retried); network errors,
 * timeouts, 408/429/5xx and server-side SOAP faults → retried; 400 and other 4xx → failed.
 */
export function corvAdapter(): Adapter {
  return {
    name: 'corv',
    async deliver(message, destination, signal, tls): Promise<DeliveryOutcome> {
      if (destination.adapter !== 'corv') {
        return { kind: 'failed', reason: `corv adapter cannot serve a "${destination.adapter}" destination` };
      }
      if (!CORV_STANDARDS.has(message.standard)) {
        return { kind: 'failed', reason: `CORV carries StUF-Jeugdzorg and StUF service messages; ${message.messageName} is not one` };
      }
      const referentienummer = message.referentienummer ?? referentienummerOf(message);
      if (!referentienummer) return { kind: 'failed', reason: `the stored ${message.messageName} has no stuurgegevens/referentienummer` };
      let envelope: Buffer;
      try {
        envelope = buildSoapEnvelope(message.body);
      } catch (e) {
        return { kind: 'failed', reason: `the stored ${message.messageName} cannot be put in a SOAP Body: ${(e as Error).message}` };
      }
      const channel = channelFor(destination, 'CORV', destination.oin);
      const operation = corvOperation(message.messageName, destination.soapActions);
      const result = await channel.send(
        { url: destination.url, envelope, soapVersion: '1.1', operation, referentienummer, timeoutMs: destination.timeoutMs },
        signal,
        tls,
      );
      return outcomeOfAnswer(readStufAnswer(result), {
        policy: CORV_FOUT_POLICY,
        referentienummer,
        channelTakesOver: channel.takesOver,
        channelName: channel.name,
      });
    },
  };
}

function referentienummerOf(message: OutgoingMessage): string | undefined {
  try {
    return textAt(parseToTree(message.body), 'stuurgegevens/referentienummer') || undefined;
  } catch (e) {
    if (e instanceof XmlInputError) return undefined;
    throw e;
  }
}
