import { at, type XNode } from '../../xml/tree.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { label, messageNumber, select } from './messages.ts';

/** A berichtklasse and the elements that form its logical key (paths relative to the class). */
interface KeyedClass {
  name: string;
  key: string[];
}

/**
 * TR101 "Binnen een bericht zijn dubbele regels niet toegestaan": for every berichtklasse the logical key, with
 * the keys of the classes above it, is unique. The classes and keys are those of the Zorginstituut XSLT for
 * iWmo 3.2 (same names in iJw). Classes are compared with their siblings, so the parent's key is implied; an
 * absent key element equals another absent one, as in the XSLT. 319 is left out: it has one Antwoord.
 */
export const TR101_KEYS: Record<string, KeyedClass[]> = {
  '301': [
    { name: 'Client', key: ['Bsn'] },
    { name: 'Relatie', key: ['Nummer'] },
    { name: 'Contact', key: ['Soort'] },
    { name: 'ToegewezenProduct', key: ['ToewijzingNummer'] },
  ],
  '305': [
    { name: 'Client', key: ['Bsn'] },
    { name: 'StartProduct', key: ['Begindatum', 'Product/Categorie', 'Product/Code', 'ToewijzingNummer'] },
  ],
  '307': [
    { name: 'Client', key: ['Bsn'] },
    {
      name: 'StopProduct',
      key: ['Begindatum', 'Einddatum', 'Product/Categorie', 'Product/Code', 'RedenBeeindiging', 'ToewijzingNummer'],
    },
  ],
  '315': [
    { name: 'Client', key: ['Bsn'] },
    { name: 'AangevraagdProduct', key: ['ReferentieAanbieder'] },
  ],
  '317': [
    { name: 'Client', key: ['Bsn'] },
    { name: 'Verzoek', key: ['ReferentieAanbieder'] },
    { name: 'OngewijzigdProduct', key: ['ToewijzingNummer'] },
    { name: 'TeWijzigenProduct', key: ['ToewijzingNummer'] },
    { name: 'NieuwProduct', key: ['GewensteIngangsdatum', 'Product/Categorie', 'Product/Code'] },
  ],
  '323': [
    { name: 'Declaratie', key: ['DeclaratieNummer'] },
    { name: 'Client', key: ['Bsn'] },
    { name: 'Prestatie', key: ['ProductReferentie/ReferentieNummer', 'ProductReferentie/VorigReferentieNummer'] },
  ],
  '325': [
    { name: 'DeclaratieAntwoord', key: ['DeclaratieNummer'] },
    { name: 'Client', key: ['Bsn'] },
    { name: 'Prestatie', key: ['ProductReferentie/ReferentieNummer', 'ProductReferentie/VorigReferentieNummer'] },
  ],
};

/**
 * The logical key of a class as one string: the values joined by U+0000, an absent element as U+0001. Neither
 * character can occur in XML text, so two keys are equal exactly when every value is.
 */
function keyOf(node: XNode, key: string[]): string {
  let k = '';
  for (let i = 0; i < key.length; i++) {
    if (i > 0) k += '\u0000';
    k += at(node, key[i]!)?.text ?? '\u0001';
  }
  return k;
}

export const TR101: Rule = {
  code: 'TR101',
  retourcode: '0001',
  level: 2,
  title: 'Geen dubbele regels (logische sleutels) binnen een bericht',
  appliesTo: (entry) => TR101_KEYS[messageNumber(entry) ?? ''] !== undefined,
  check({ entry, root }) {
    const classes = TR101_KEYS[messageNumber(entry) ?? ''] ?? [];
    const out: RuleViolation[] = [];
    for (const cls of classes) {
      const byParent = new Map<XNode | null, XNode[]>();
      for (const node of select(root, cls.name)) {
        const siblings = byParent.get(node.parent);
        if (siblings) siblings.push(node);
        else byParent.set(node.parent, [node]);
      }
      for (const siblings of byParent.values()) {
        const first = new Map<string, XNode>();
        for (const node of siblings) {
          const k = keyOf(node, cls.key);
          const earlier = first.get(k);
          // Key values are not quoted: a Client's key is its Bsn.
          if (earlier)
            out.push({
              node,
              text: `${label(node)} repeats the logical key (${cls.key.join(', ')}) of ${label(earlier)}`,
            });
          else first.set(k, node);
        }
      }
    }
    return out;
  },
};
