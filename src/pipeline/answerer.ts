import { catalogue } from '../catalogue/catalogue.ts';
import type { HeaderFacts } from '../catalogue/header.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import type { MessageStore, StoredMessage } from '../store/types.ts';
import { dedupKey, headerParties, partiesOf } from './identity.ts';

/**
 * Who may answer a heenbericht (standards.md §5, "Who may answer"): only its addressee. A retour copies the
 * heen's header, so its Afzender and Ontvanger must be the heen's; a 325 goes from the 323's Ontvanger to its
 * Afzender; a StUF answer's zender must be the answered message's ontvanger. The party that hands it in must
 * own the heen's Ontvanger code (its AGB, gemeentecode, CAK/SVB). And exactly one retour per heenbericht
 * (IV028): a second one is refused, the first one stays.
 */

/** The codes an answer is refused with: machine-readable, the same over HTTP and (as Fo03 details) SOAP. */
export type AnswerRefusalCode = 'NOT_THE_ADDRESSEE' | 'ANSWER_PARTIES_MISMATCH' | 'RETOUR_ALREADY_RECEIVED';

export interface AnswerRefusal {
  code: AnswerRefusalCode;
  text: string;
}

/** The HTTP status and StUF Fo03 code of each refusal. */
export const ANSWER_REFUSAL_ANSWERS: Readonly<Record<AnswerRefusalCode, { status: number; stufCode: string }>> = {
  NOT_THE_ADDRESSEE: { status: 403, stufCode: 'IB002' },
  ANSWER_PARTIES_MISMATCH: { status: 403, stufCode: 'IB002' },
  // VECOZO names a second declaratie-antwoord CC11; the same holds for every second retour (IV028).
  RETOUR_ALREADY_RECEIVED: { status: 409, stufCode: 'CC11' },
};

export interface AnswerContext {
  /** The answer as recognised: its catalogue entry and header. */
  entry: CatalogueEntry;
  header: HeaderFacts;
  /** The heenbericht the correlation key found. */
  heen: StoredMessage;
  /** The codes the caller or party may send as ('*': a hub that relays for anyone). */
  senderCodes: readonly string[];
  /**
   * `key`: found through the standard's correlation key; `message-id`: a StUF answer from the GGK whose
   * crossRefnummer leads back to our own message id (the GGK speaks for itself, so only the party is checked).
   */
  foundBy: 'key' | 'message-id';
}

/** Why this answer may not answer that heenbericht, or null when it may. */
export async function answerRefusal(
  store: Pick<MessageStore, 'getMessage'>,
  a: AnswerContext,
): Promise<AnswerRefusal | null> {
  const heen = storedParties(a.heen);
  if (!owns(a.senderCodes, heen.to)) {
    return {
      code: 'NOT_THE_ADDRESSEE',
      text: `the ${a.heen.messageName} this ${a.entry.name} answers was addressed to another party; only its addressee may answer it`,
    };
  }
  if (a.foundBy === 'key') {
    const answer = partiesOf(a.entry, a.header);
    if (answer.from !== heen.to || answer.to !== heen.from) {
      return {
        code: 'ANSWER_PARTIES_MISMATCH',
        text:
          a.entry.standard === 'stuf'
            ? `the ${a.entry.name}'s zender is not the ontvanger of the message it answers`
            : `the ${a.entry.name} does not come from the addressee of the ${a.heen.messageName} it answers: its header must carry the heenbericht's Afzender and Ontvanger unchanged`,
      };
    }
  }
  if (a.heen.answeredBy && isIstandaard(a.entry) && !(await sameRetour(store, a.heen.answeredBy, a.entry, a.header))) {
    return {
      code: 'RETOUR_ALREADY_RECEIVED',
      text: `the ${a.heen.messageName} has its retour already (exactly one retour per heenbericht, IV028); this ${a.entry.name} is refused and the first one stays`,
    };
  }
  return null;
}

/** The stored heenbericht's sender and addressee, with the chain party of an older iEb/iPgb row filled in. */
function storedParties(m: StoredMessage): { from?: string; to?: string } {
  const entry = catalogue.byName(m.messageName);
  const h: HeaderFacts = {
    ...(m.afzender ? { afzender: m.afzender } : {}),
    ...(m.ontvanger ? { ontvanger: m.ontvanger } : {}),
  };
  const p = entry ? headerParties(entry, h) : h;
  return { ...(p.afzender ? { from: p.afzender } : {}), ...(p.ontvanger ? { to: p.ontvanger } : {}) };
}

function owns(codes: readonly string[], code: string | undefined): boolean {
  return codes.includes('*') || (code !== undefined && codes.includes(code));
}

function isIstandaard(entry: CatalogueEntry): boolean {
  return entry.standard === 'iwmo' || entry.standard === 'ijw' || entry.standard === 'ieb' || entry.standard === 'ipgb';
}

/** Whether the heen's first answer has this answer's identity (a resend: the store answers it as a repeat or TR056). */
async function sameRetour(
  store: Pick<MessageStore, 'getMessage'>,
  firstId: string,
  entry: CatalogueEntry,
  h: HeaderFacts,
): Promise<boolean> {
  const first = await store.getMessage(firstId);
  const key = dedupKey(entry, h);
  const was = first?.dedup;
  if (!was || !key || was.scope !== 'istd' || key.scope !== 'istd') return false;
  return was.sender === key.sender && was.identificatie === key.identificatie;
}
