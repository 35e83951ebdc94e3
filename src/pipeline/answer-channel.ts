import type { Config, DestinationConfig } from '../config/schema.ts';

/**
 * Answers per channel (standards.md §5, "Answers per channel"; §6.1, §6.5): what the gateway answers a bericht
 * with, by the channel it came on and what became of it. The transport answer says whether the gateway takes
 * responsibility for the message; the business answer (a retourbericht, a Fo01) travels afterwards as a message
 * of its own. One table, read by the pipeline (what to build and where it goes) and by the HTTP/SOAP endpoints
 * (what to answer at once), so that every endpoint (POST /berichten, /inbound SOAP, a DAI endpoint) answers alike.
 */

/**
 * - `internal`: an internal system on POST /berichten;
 * - `party`: an external party posting a bare bericht on /inbound/{party} (no StUF stuurgegevens to answer);
 * - `ggk`: a GGK envelope (ggk_Di01/ggk_Du01) or StUF service message in SOAP, directly or through an adapter;
 * - `corv`: a StUF-Jeugdzorg message from CORV in SOAP.
 */
export type Channel = 'internal' | 'party' | 'ggk' | 'corv';

/**
 * - `cannot-take`: unreadable envelope, unknown or unauthorised party or message, no route, store down;
 * - `level-1`: the bericht fails its XSD (or is not recognised inside a readable envelope);
 * - `level-2-4`: the bericht fails a technical rule (TR056 included);
 * - `repeat`: the same (zender, referentienummer) or the same bericht again.
 */
export type Situation = 'cannot-take' | 'level-1' | 'level-2-4' | 'repeat' | 'accepted';

/** The answer given at once, on the request itself. */
export type ImmediateAnswer =
  /** HTTP 2xx (202, or 200 for a repeat) with a receipt. */
  | 'receipt'
  /** HTTP 4xx/503 with a machine-readable code and the findings. */
  | 'error'
  /** SOAP 200 with a StUF Bv03: the gateway takes responsibility. */
  | 'bv03'
  /** SOAP fault with a StUF Fo03: it does not. */
  | 'fo03';

/** What the gateway sends afterwards, as a stored message of its own. */
export type FollowUp =
  | 'none'
  /** An asynchronous Fo01 StUF055 (level 1), to the channel's reply destination. */
  | 'fo01'
  /** The retourbericht the standard prescribes, to the channel's reply destination (GGK: in a ggk_Du01). */
  | 'retour-reply'
  /** The retourbericht, routed by the route table back to the heen's Afzender. */
  | 'retour-routed';

export interface ChannelAnswer {
  immediate: ImmediateAnswer;
  followUp: FollowUp;
  /** The prescribed retour is also put in the immediate answer (an internal system sends it on itself). */
  retourInAnswer?: boolean;
}

/** The table of standards.md §5, one row per channel. */
export const ANSWERS_PER_CHANNEL: Readonly<Record<Channel, Readonly<Record<Situation, ChannelAnswer>>>> = {
  internal: {
    'cannot-take': { immediate: 'error', followUp: 'none' },
    'level-1': { immediate: 'error', followUp: 'none' },
    'level-2-4': { immediate: 'error', followUp: 'none', retourInAnswer: true },
    repeat: { immediate: 'receipt', followUp: 'none' },
    accepted: { immediate: 'receipt', followUp: 'none' },
  },
  party: {
    'cannot-take': { immediate: 'error', followUp: 'none' },
    'level-1': { immediate: 'error', followUp: 'none' },
    'level-2-4': { immediate: 'error', followUp: 'retour-routed', retourInAnswer: true },
    repeat: { immediate: 'receipt', followUp: 'none' },
    accepted: { immediate: 'receipt', followUp: 'none' },
  },
  ggk: {
    'cannot-take': { immediate: 'fo03', followUp: 'none' },
    'level-1': { immediate: 'bv03', followUp: 'fo01' },
    'level-2-4': { immediate: 'bv03', followUp: 'retour-reply' },
    repeat: { immediate: 'fo03', followUp: 'none' },
    accepted: { immediate: 'bv03', followUp: 'none' },
  },
  corv: {
    'cannot-take': { immediate: 'fo03', followUp: 'none' },
    'level-1': { immediate: 'bv03', followUp: 'fo01' },
    // StUF-JZ has no retourberichten: a rule failure is told with a Fo01 carrying the rule's code.
    'level-2-4': { immediate: 'bv03', followUp: 'fo01' },
    repeat: { immediate: 'fo03', followUp: 'none' },
    accepted: { immediate: 'bv03', followUp: 'none' },
  },
};

export function answerFor(channel: Channel, situation: Situation): ChannelAnswer {
  return ANSWERS_PER_CHANNEL[channel][situation];
}

/** The channel a bericht came on, and where the gateway's own answers on that channel go. */
export interface ChannelContext {
  channel: Channel;
  /** The destination of the gateway's own answers (Fo01, a retour in a Du01); null when none is configured. */
  replyTo: string | null;
}

const REPLY_ADAPTER: Partial<Record<Channel, DestinationConfig['adapter']>> = { ggk: 'ggk', corv: 'corv' };

/**
 * The channel of a SOAP request from an inbound party: CORV for a party of kind `corv`, else the GGK (a GGK
 * envelope or StUF service message); its answers go to the first destination served by that channel's adapter.
 */
export function soapChannel(config: Config, partyId: string): ChannelContext {
  const kind = config.parties.external.find((p) => p.id === partyId)?.kind;
  const channel: Channel = kind === 'corv' ? 'corv' : 'ggk';
  return { channel, replyTo: replyDestination(config, channel) };
}

/** The destination the gateway's own answers on `channel` go to, or null. */
export function replyDestination(config: Config, channel: Channel): string | null {
  const adapter = REPLY_ADAPTER[channel];
  return adapter ? (config.destinations.find((d) => d.adapter === adapter)?.id ?? null) : null;
}
