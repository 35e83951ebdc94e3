import { EnvelopeError, EnvelopeTooLargeError, GGK_MAX_ENVELOPE_BYTES, wrap } from '../../src/stuf/ggk-envelope.ts';
import { prepareEnvelope } from '../../src/stuf/ggk-envelope-options.ts';
import { ggkReferentienummer } from '../../src/stuf/ggk-referentienummer.ts';
import type { Adapter, DeliveryOutcome, OutgoingMessage } from '../../src/transport/adapter.ts';
import { ggkOperation, type SoapOperation } from '../digikoppeling/actions.ts';
import { type FoutPolicy, outcomeOfAnswer, readStufAnswer } from '../digikoppeling/answer.ts';
import { type ChannelRequest, channelFor, stufFacts } from '../digikoppeling/channel.ts';
import type { HeenReferentienummer } from './heen.ts';

/**
 * The GGK's StUF codes beyond the plek (standards.md §6.5): StUF016 and IB216 (referentienummer not unique) on a
 * resend mean the first copy arrived; IB103 (berichttype temporarily blocked) asks for a resend later.
 */
export const GGK_FOUT_POLICY: FoutPolicy = {
  duplicateCodes: new Set(['StUF016', 'IB216']),
  retryCodes: new Set(['IB103']),
};

export interface GgkAdapterOptions {
  /** Finds the GGK referentienummer a heenbericht arrived under, for the crossRefnummer of the Du01 answering it. */
  heenReferentienummer?: HeenReferentienummer;
}

/**
 * Delivers iWmo, iJw, iEb and iPgb berichten to the GGK: the bericht in a StUF-GGK envelope (Di01 for a
 * heenbericht, Du01 for a retour), through the gemeente's Digikoppeling adapter over DAI (or, for a test
 * endpoint, in plain SOAP 1.1 to an OntvangAsynchroon endpoint). The envelope's referentienummer is derived from the message id, so every retry and resend
 * reuses it. Envelopes over 25 MB are not sent (IB007). The answer decides (see outcomeOfAnswer): Bv04/Bv03 delivered;
 * StUF016/IB216 delivered as a duplicate; IB103 and server-side faults retried; other Fo03 codes failed.
 */
export function ggkAdapter(options: GgkAdapterOptions = {}): Adapter {
  return {
    name: 'ggk',
    async deliver(message, destination, signal, tls): Promise<DeliveryOutcome> {
      if (destination.adapter !== 'ggk') {
        return { kind: 'failed', reason: `ggk adapter cannot serve a "${destination.adapter}" destination` };
      }
      const built = await buildEnvelope(message, destination, options);
      if (built.kind === 'failed') return built;

      let facts: Pick<ChannelRequest, 'routing' | 'element'>;
      try {
        facts = stufFacts(built.xml);
      } catch (e) {
        return { kind: 'failed', reason: `the GGK envelope cannot be addressed: ${(e as Error).message}` };
      }
      const channel = channelFor(destination, 'the GGK');
      const result = await channel.send(
        {
          url: destination.url,
          bericht: built.xml,
          operation: built.operation,
          ...facts,
          flow: { messageName: message.messageName, standard: message.standard },
          timeoutMs: destination.timeoutMs,
        },
        signal,
        tls,
      );
      return outcomeOfAnswer(readStufAnswer(result), {
        policy: GGK_FOUT_POLICY,
        referentienummer: built.referentienummer,
      });
    },
  };
}

type GgkDestination = Extract<Parameters<Adapter['deliver']>[1], { adapter: 'ggk' }>;

type Built =
  | { kind: 'built'; xml: string | Buffer; operation: SoapOperation; referentienummer: string }
  | Extract<DeliveryOutcome, { kind: 'failed' }>;

async function buildEnvelope(
  message: OutgoingMessage,
  destination: GgkDestination,
  options: GgkAdapterOptions,
): Promise<Built> {
  const crossRefnummer =
    message.correlatedTo && options.heenReferentienummer
      ? await options.heenReferentienummer(message.correlatedTo)
      : undefined;
  const prepared = prepareEnvelope(message, {
    applicatie: destination.applicatie,
    administratie: destination.administratie,
    ontvangerApplicatie: destination.ontvangerApplicatie,
    applicatieVersie: destination.applicatieVersie ?? '0001',
    applicatieSubversie: destination.applicatieSubversie ?? '0000',
    crossRefnummer: crossRefnummer ?? message.crossRef ?? undefined,
  });
  if (prepared.kind === 'refused') return { kind: 'failed', reason: prepared.reason };
  if (prepared.kind === 'envelope') {
    if (message.body.length > GGK_MAX_ENVELOPE_BYTES) return tooLarge(message.body.length);
    return {
      kind: 'built',
      xml: message.body,
      operation: ggkOperation(prepared.operation),
      referentienummer: prepared.referentienummer,
    };
  }
  const referentienummer = ggkReferentienummer(message.id);
  try {
    const xml = wrap(message.body, { ...prepared.options, referentienummer });
    return { kind: 'built', xml, operation: ggkOperation(prepared.du01 ? 'ggk_Du01' : 'ggk_Di01'), referentienummer };
  } catch (e) {
    if (e instanceof EnvelopeTooLargeError) return tooLarge(e.size);
    if (e instanceof EnvelopeError) return { kind: 'failed', reason: e.message };
    throw e;
  }
}

function tooLarge(size: number): Extract<DeliveryOutcome, { kind: 'failed' }> {
  return {
    kind: 'failed',
    reason: `IB007: the GGK message would be ${size} bytes; the GGK takes at most ${GGK_MAX_ENVELOPE_BYTES} (25 MB, base64 included): not sent`,
  };
}
