import type { Adapter, DeliveryOutcome } from '../../src/transport/adapter.ts';
import { documentElement } from '../../src/xml/document-element.ts';
import { corvOperation } from '../digikoppeling/actions.ts';
import { type FoutPolicy, outcomeOfAnswer, readStufAnswer } from '../digikoppeling/answer.ts';
import { type ChannelRequest, channelFor, stufFacts } from '../digikoppeling/channel.ts';

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
 * CORV/JUBES: the stored StUF message as it is, inside dai:bericht to the college's Digikoppeling adapter (or, for
 * a test endpoint, in the Body of a plain SOAP 1.1 request), with the destination's certificate profile when the
 * leg uses TLS. The message's own referentienummer (and so the DAI wsa:MessageID) is stable across retries.
 * Bv04/Bv03 → delivered; Fo03 StUF016 → delivered as a duplicate; other Fo03 → failed with code and omschrijving
 * (plek "server": retried); network errors, timeouts, 408/429/5xx and server-side SOAP faults → retried; 400 and
 * other 4xx → failed.
 */
export function corvAdapter(): Adapter {
  return {
    name: 'corv',
    async deliver(message, destination, signal, tls): Promise<DeliveryOutcome> {
      if (destination.adapter !== 'corv') {
        return { kind: 'failed', reason: `corv adapter cannot serve a "${destination.adapter}" destination` };
      }
      if (!CORV_STANDARDS.has(message.standard)) {
        return {
          kind: 'failed',
          reason: `CORV carries StUF-Jeugdzorg and StUF service messages; ${message.messageName} is not one`,
        };
      }
      let facts: Pick<ChannelRequest, 'routing' | 'element'>;
      try {
        documentElement(message.body);
        facts = stufFacts(message.body);
      } catch (e) {
        return { kind: 'failed', reason: `the stored ${message.messageName} cannot be sent: ${(e as Error).message}` };
      }
      const referentienummer = facts.routing.referentienummer;
      const channel = channelFor(destination, 'CORV');
      const result = await channel.send(
        {
          url: destination.url,
          bericht: message.body,
          operation: corvOperation(message.messageName, destination.soapActions),
          ...facts,
          flow: { messageName: message.messageName, standard: message.standard },
          timeoutMs: destination.timeoutMs,
        },
        signal,
        tls,
      );
      return outcomeOfAnswer(readStufAnswer(result), { policy: CORV_FOUT_POLICY, referentienummer });
    },
  };
}
