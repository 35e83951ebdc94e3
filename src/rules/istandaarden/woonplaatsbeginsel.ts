import type { CatalogueEntry } from '../../catalogue/types.ts';
import { child } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';
import { messageNumber, select } from './messages.ts';

/** LDT_RedenAfwijzingVerzoek 8: the verzoek is rejected because of the woonplaatsbeginsel. */
const WOONPLAATSBEGINSEL = '8';

const JW319 = (entry: CatalogueEntry): boolean => entry.standard === 'ijw' && messageNumber(entry) === '319';

/** TR377 (JW319): when RedenAfwijzingVerzoek is 8, the Antwoord names the Woonplaatsbeginsel gemeente. */
export const TR377: Rule = {
  code: 'TR377',
  retourcode: '0001',
  level: 2,
  title: 'Woonplaatsbeginsel gevuld als RedenAfwijzingVerzoek 8 is',
  appliesTo: JW319,
  check({ root }) {
    return select(root, 'Antwoord')
      .filter((a) => child(a, 'RedenAfwijzingVerzoek')?.text === WOONPLAATSBEGINSEL && !child(a, 'Woonplaatsbeginsel'))
      .map((a) => ({
        node: child(a, 'RedenAfwijzingVerzoek')!,
        text: 'RedenAfwijzingVerzoek is 8 (woonplaatsbeginsel), but the Antwoord has no Woonplaatsbeginsel',
      }));
  },
};

/** TR409 (JW319): a Woonplaatsbeginsel is only filled when RedenAfwijzingVerzoek is 8. */
export const TR409: Rule = {
  code: 'TR409',
  retourcode: '0001',
  level: 2,
  title: 'Woonplaatsbeginsel alleen gevuld als RedenAfwijzingVerzoek 8 is',
  appliesTo: JW319,
  check({ root }) {
    return select(root, 'Antwoord')
      .filter((a) => child(a, 'Woonplaatsbeginsel') && child(a, 'RedenAfwijzingVerzoek')?.text !== WOONPLAATSBEGINSEL)
      .map((a) => ({
        node: child(a, 'Woonplaatsbeginsel')!,
        text: 'the Antwoord has a Woonplaatsbeginsel, but RedenAfwijzingVerzoek is not 8',
      }));
  },
};
