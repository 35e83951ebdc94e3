import type { CatalogueEntry, Role } from '../types.ts';

export const JZ0100_NS = 'http://www.stufstandaarden.nl/koppelvlak/jz0100';
export const STUF0301_NS = 'http://www.egem.nl/StUF/StUF0301';
export const GGK_NS = 'http://www.stufstandaarden.nl/sectormodel/ggk/0210';

/**
 * `answers`: only for a message whose stuurgegevens carry a crossRefnummer to the one it answers (ucob/uci). A
 * terugkoppeling or uitkomst is a Di01 of its own without crossRefnummer: it travels as a heenbericht in its own
 * direction (gemeente/VT → melder) and relates to its melding through case data (pipeline/case-reference.ts).
 */
type JzRow = [
  root: string,
  group: 'jz' | 'vt' | 'vv' | 'gm',
  title: string,
  from: Role[],
  to: Role[],
  answeredBy: string[],
  answers?: string,
];

/** StUF-Jeugdzorg 1.0.9 roots (§2.4): berichtcode Di01, functie = the root name. Directions are S or M. */
const JZ_ROWS: JzRow[] = [
  [
    'vtoDi01',
    'jz',
    'Verzoek tot onderzoek',
    ['gemeente', 'gecertificeerde-instelling', 'veilig-thuis'],
    ['rvdk'],
    ['Bv01', 'Fo01'],
  ],
  ['notificatieDi01', 'jz', 'Notificatie', ['rvdk'], ['gemeente'], []],
  ['notificatiejrDi01', 'jz', 'Notificatie jeugdreclassering', ['rvdk', 'cjib'], ['gemeente'], []],
  [
    'zorgmeldingDi01',
    'jz',
    'Zorgmelding politie',
    ['politie'],
    ['gemeente', 'veilig-thuis'],
    ['zorgmeldingTerugkoppelingDi01'],
  ],
  ['zorgmeldingTerugkoppelingDi01', 'jz', 'Terugkoppeling zorgmelding', ['gemeente', 'veilig-thuis'], ['politie'], []],
  ['vtMeldingDi01', 'vt', 'VT-melding', ['politie', 'halt'], ['veilig-thuis'], ['vtTerugkoppelingDi01']],
  ['vtTerugkoppelingDi01', 'vt', 'Terugkoppeling VT-melding', ['veilig-thuis'], ['politie', 'halt'], []],
  ['vcobDi01', 'vv', 'Verrijkingsverzoek (cob)', ['verzoeker'], ['gegevenshouder'], ['ucobDi01']],
  ['ucobDi01', 'vv', 'Antwoord verrijkingsverzoek (cob)', ['gegevenshouder'], ['verzoeker'], [], 'vcobDi01'],
  ['vciDi01', 'vv', 'Verrijkingsverzoek (ci)', ['verzoeker'], ['gegevenshouder'], ['uciDi01']],
  ['uciDi01', 'vv', 'Antwoord verrijkingsverzoek (ci)', ['gegevenshouder'], ['verzoeker'], [], 'vciDi01'],
  [
    'meldingGeneriekDi01',
    'gm',
    'Generieke melding',
    ['melder'],
    ['veilig-thuis', 'gemeente', 'ontvanger'],
    ['uitkomstMeldingGeneriekDi01'],
  ],
  [
    'uitkomstMeldingGeneriekDi01',
    'gm',
    'Uitkomst generieke melding',
    ['veilig-thuis', 'gemeente', 'ontvanger'],
    ['melder'],
    [],
  ],
];

const STUF_JZ: CatalogueEntry[] = JZ_ROWS.map(([root, group, title, from, to, answeredBy, answers]) => ({
  name: root,
  standard: 'stuf-jz',
  release: '1.0.9',
  title,
  sender: from,
  receiver: to,
  stufBerichtcode: 'Di01',
  functie: root,
  namespace: JZ0100_NS,
  rootElement: root,
  direction: answers ? 'retour' : 'heen',
  answeredBy,
  ...(answers ? { answers } : {}),
  schema: { pack: `stuf-jz-1.0.9-${group}`, message: root },
  status: 'C',
}));

/** StUF service messages (§2.4): validated with the StUF-JZ jz pack's StUF0301 (patch 28). */
const SERVICE: CatalogueEntry[] = (
  [
    ['Bv01', 'Asynchrone bevestiging'],
    ['Bv03', 'Synchrone bevestiging'],
    ['Fo01', 'Asynchrone foutmelding'],
    ['Fo03', 'Synchrone foutmelding'],
  ] as const
).map(([code, title]) => ({
  name: code,
  standard: 'stuf',
  release: '0301',
  title,
  sender: ['any'],
  receiver: ['any'],
  stufBerichtcode: code,
  namespace: STUF0301_NS,
  rootElement: `${code}Bericht`,
  direction: 'retour',
  answeredBy: [],
  schema: { pack: 'stuf-jz-1.0.9-jz', message: `${code}Bericht` },
  status: 'C',
}));

/** The StUF-GGK envelope (§2.4, §4.6): Di01 wraps any heenbericht, Du01 any retour. */
const GGK: CatalogueEntry[] = [
  {
    name: 'ggk_Di01',
    standard: 'ggk',
    release: '0310',
    title: 'Envelop heenbericht',
    sender: ['gemeente', 'aanbieder', 'cak', 'svb'],
    receiver: ['ggk'],
    stufBerichtcode: 'Di01',
    namespace: GGK_NS,
    rootElement: 'envelopHeenbericht-ggk_Di01',
    direction: 'heen',
    answeredBy: ['ggk_Du01', 'Bv03', 'Fo01', 'Fo03'],
    schema: { pack: 'ggk-0310', message: 'envelopHeenbericht-ggk_Di01' },
    status: 'C',
  },
  {
    name: 'ggk_Du01',
    standard: 'ggk',
    release: '0310',
    title: 'Envelop retourbericht',
    sender: ['gemeente', 'aanbieder', 'cak', 'svb'],
    receiver: ['ggk'],
    stufBerichtcode: 'Du01',
    namespace: GGK_NS,
    rootElement: 'envelopRetourbericht-ggk_Du01',
    direction: 'retour',
    answeredBy: ['Bv03', 'Fo03'],
    answers: 'ggk_Di01',
    schema: { pack: 'ggk-0310', message: 'envelopRetourbericht-ggk_Du01' },
    status: 'C',
  },
];

export const STUF: CatalogueEntry[] = [...STUF_JZ, ...SERVICE, ...GGK];
