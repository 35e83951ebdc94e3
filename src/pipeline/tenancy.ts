/**
 * Which gemeente a bericht belongs to and which flow (purpose) it is processed for, as every stored bericht
 * carries them (issue #15). The gemeente is the party identified by a CBS gemeentecode (standards.md §1:
 * `LDT_Gemeente` = four digits): the Afzender of a heenbericht from a gemeente, the Ontvanger of one from an
 * aanbieder; a retour copies the heen's header and so names the same gemeente; iEb/iPgb berichten go between a
 * gemeente and CAK/SVB; a StUF-JZ party is a gemeente when its `organisatie` is a gemeentecode.
 */
import type { Standard } from '../catalogue/types.ts';
import { standardFlow } from '../store/rules.ts';
import type { Flow } from '../store/types.ts';

const GEMEENTECODE = /^[0-9]{4}$/;

/** The gemeentecode among the two parties (Afzender first), or null when neither is one. */
export function gemeenteOf(afzender: string | null | undefined, ontvanger: string | null | undefined): string | null {
  if (afzender && GEMEENTECODE.test(afzender)) return afzender;
  if (ontvanger && GEMEENTECODE.test(ontvanger)) return ontvanger;
  return null;
}

/**
 * The flow of a bericht. A StUF answer (Bv/Fo) or a GGK envelope has no flow of its own: it is iEb when CAK is
 * a party, iPgb when SVB is, and jeugdbescherming (CORV) otherwise.
 */
export function flowOf(
  standard: Standard,
  afzender: string | null | undefined,
  ontvanger: string | null | undefined,
): Flow {
  const own = standardFlow(standard);
  if (own) return own;
  if (afzender === 'CAK' || ontvanger === 'CAK') return 'eigen-bijdrage';
  if (afzender === 'SVB' || ontvanger === 'SVB') return 'pgb';
  return 'jeugdbescherming';
}

/**
 * The facts of an answer with the gemeente and flow of the message it answers where its own header names no
 * gemeente (a StUF Bv/Fo) or its standard has no flow of its own.
 */
export function answeringTenancy<T extends { standard: Standard; gemeente: string | null; flow: Flow }>(
  facts: T,
  answered: { gemeente: string | null; flow: Flow | null } | null,
): T {
  if (!answered) return facts;
  return {
    ...facts,
    gemeente: facts.gemeente ?? answered.gemeente,
    flow: standardFlow(facts.standard) ?? answered.flow ?? facts.flow,
  };
}
