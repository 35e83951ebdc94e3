import type { CatalogueEntry, Role } from '../../catalogue/types.ts';
import { at, child } from '../../xml/tree.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { TR135 } from './dagtekening.ts';
import { isoDay } from './dates.ts';
import { type HeaderShape, headerParties, headerShape, isIstandaard, PARTY_KIND, PARTY_PATTERN } from './messages.ts';

/** Header elements after 1–7 that a shape requires or allows (standards.md §4.1–4.3). */
const REQUIRED: Record<HeaderShape, string[]> = {
  heen: [],
  retour: ['IdentificatieRetour', 'DagtekeningRetour', 'XsdVersieRetour'],
  antwoord: ['DeclaratieIdentificatie', 'XsdVersieDeclaratie', 'RetourCodes'],
};
const OPTIONAL: Record<HeaderShape, string[]> = {
  heen: [],
  retour: ['XsltVersie', 'RetourCodes'],
  antwoord: ['XsltVersie'],
};
const SHAPE_ONLY = [...new Set([...Object.values(REQUIRED), ...Object.values(OPTIONAL)].flat())];

/** What HDR001 expects of a message's header, worked out once per catalogue entry. */
interface Expectations {
  /** Header elements with the value the message requires (BerichtCode, BerichtVersie, BerichtSubversie). */
  values: [name: string, wanted: string][];
  /** Afzender / Ontvanger with the kind of code the direction needs. */
  parties: [name: 'Afzender' | 'Ontvanger', role: Role, pattern: RegExp][];
  shape: HeaderShape;
  /** The shape-specific elements this shape has no place for. */
  foreign: string[];
}

const EXPECTATIONS = new WeakMap<CatalogueEntry, Expectations>();

function expectationsOf(entry: CatalogueEntry): Expectations {
  let e = EXPECTATIONS.get(entry);
  if (!e) {
    const [versie, subversie] = entry.release.split('.');
    const values: Expectations['values'] = [];
    for (const [name, wanted] of [
      ['BerichtCode', entry.berichtCode],
      ['BerichtVersie', versie],
      ['BerichtSubversie', subversie],
    ] as const)
      if (wanted !== undefined) values.push([name, wanted]);
    const parties = headerParties(entry);
    const withPattern: Expectations['parties'] = [];
    for (const [name, role] of [
      ['Afzender', parties.afzender],
      ['Ontvanger', parties.ontvanger],
    ] as const) {
      const pattern = role ? PARTY_PATTERN[role] : undefined;
      if (role && pattern) withPattern.push([name, role, pattern]);
    }
    const shape = headerShape(entry);
    const foreign = SHAPE_ONLY.filter((n) => !REQUIRED[shape].includes(n) && !OPTIONAL[shape].includes(n));
    e = { values, parties: withPattern, shape, foreign };
    EXPECTATIONS.set(entry, e);
  }
  return e;
}

/**
 * HDR001 (the gateway's own code): the header is consistent with the message the namespace says it is. The XSD
 * pins most of this already; the rule stays so that a header read from a differently built schema, or a
 * catalogue that drifts from the schemas, is still caught. Checked:
 * - BerichtCode is the catalogue's code; BerichtVersie and BerichtSubversie give the catalogue's release;
 * - Afzender and Ontvanger are of the kind (gemeentecode or AGB code) the direction needs, where a retour
 *   keeps the heen's parties;
 * - a heen carries no retour elements; a retour carries IdentificatieRetour, DagtekeningRetour and
 *   XsdVersieRetour, and is not dated before the heen it copies; a 325 carries DeclaratieIdentificatie,
 *   XsdVersieDeclaratie and RetourCodes, and is not dated before the 323 it answers.
 * The order of the dates is not checked when the header carries TR135's code (8848): that answer rejects a heen
 * dated in the future, and its own date is still the sender's system date (DagtekeningRetour, or the 325's
 * Dagtekening), so before the heen's. The gateway builds exactly that retour for a TR135 failure.
 */
export const HDR001: Rule = {
  code: 'HDR001',
  retourcode: '0001',
  level: 2,
  title: 'Header past bij het bericht (code, versie, partijen, heen/retour)',
  appliesTo: isIstandaard,
  check({ entry, root }) {
    const header = child(root, 'Header');
    if (!header) return [{ node: root, text: `${entry.name} has no Header` }];
    const out: RuleViolation[] = [];
    const expected = expectationsOf(entry);
    for (const [name, wanted] of expected.values) {
      const node = child(header, name);
      if (node && node.text !== wanted)
        out.push({ node, text: `${name} is ${node.text}; ${entry.name} requires ${wanted}` });
    }
    for (const [name, role, pattern] of expected.parties) {
      const node = child(header, name);
      if (node && !pattern.test(node.text)) {
        out.push({ node, text: `${name} of ${entry.name} must be ${PARTY_KIND[role]}` });
      }
    }

    const shape = expected.shape;
    for (const name of REQUIRED[shape]) {
      if (!child(header, name)) out.push({ node: header, text: `the header of ${entry.name} lacks ${name}` });
    }
    for (const name of expected.foreign) {
      const node = child(header, name);
      if (node) out.push({ node, text: `${name} does not belong in the header of ${entry.name}` });
    }

    const dagtekening = isoDay(at(header, 'BerichtIdentificatie/Dagtekening')?.text);
    const answersFutureHeen = child(header, 'RetourCodes')?.children.some((c) => c.text === TR135.retourcode) ?? false;
    if (answersFutureHeen) return out;
    if (shape === 'retour') {
      const node = child(header, 'DagtekeningRetour');
      const day = isoDay(node?.text);
      if (node && day && dagtekening && day < dagtekening) {
        out.push({
          node,
          text: `DagtekeningRetour ${day} is before the Dagtekening ${dagtekening} of the heenbericht it answers`,
        });
      }
    }
    if (shape === 'antwoord') {
      const node = at(header, 'DeclaratieIdentificatie/Dagtekening');
      const day = isoDay(node?.text);
      if (node && day && dagtekening && dagtekening < day) {
        out.push({
          node,
          text: `the answered declaratie is dated ${day}, after this 325's Dagtekening ${dagtekening}`,
        });
      }
    }
    return out;
  },
};
