import type { CatalogueEntry, Direction, Role, Standard } from '../types.ts';

/** One iStandaarden message: name, title, sender → receiver, heen/retour, its partner, and its BerichtCode if fixed. */
type Row = readonly [
  name: string,
  title: string,
  from: Role,
  to: Role,
  direction: Direction,
  partner: string,
  code?: string,
];

/** Every iStandaard message has root `Bericht` and its own namespace `…/<standard>/<x_y>/<name>/schema`. */
function entry(standard: Standard, release: string, status: CatalogueEntry['status'], row: Row): CatalogueEntry {
  const [name, title, from, to, direction, partner, code] = row;
  return {
    name,
    standard,
    release,
    title,
    sender: [from],
    receiver: [to],
    ...(code ? { berichtCode: code } : {}),
    namespace: `http://www.istandaarden.nl/${standard}/${release.replace('.', '_')}/${name.toLowerCase()}/schema`,
    rootElement: 'Bericht',
    direction,
    answeredBy: direction === 'heen' ? [partner] : [],
    ...(direction === 'retour' ? { answers: partner } : {}),
    schema: { pack: `${standard}-${release}`, message: name },
    status,
  };
}

/**
 * iWmo 3.2 and iJw 3.2 (standards.md §2.1, status C): 14 messages each, BerichtCode pinned by the XSD.
 * Columns: number, title, sender, receiver, heen/retour, partner number, WMO code, JW code.
 */
const WMO_JW: readonly (readonly [string, string, Role, Role, Direction, string, string, string])[] = [
  ['301', 'Toewijzing', 'gemeente', 'aanbieder', 'heen', '302', '414', '436'],
  ['302', 'Retour toewijzing', 'aanbieder', 'gemeente', 'retour', '301', '415', '437'],
  ['305', 'Start levering', 'aanbieder', 'gemeente', 'heen', '306', '418', '438'],
  ['306', 'Retour start levering', 'gemeente', 'aanbieder', 'retour', '305', '419', '439'],
  ['307', 'Stop levering', 'aanbieder', 'gemeente', 'heen', '308', '420', '440'],
  ['308', 'Retour stop levering', 'gemeente', 'aanbieder', 'retour', '307', '421', '441'],
  ['315', 'Verzoek om toewijzing', 'aanbieder', 'gemeente', 'heen', '316', '444', '446'],
  ['316', 'Retour verzoek om toewijzing', 'gemeente', 'aanbieder', 'retour', '315', '445', '447'],
  ['317', 'Verzoek om wijziging', 'aanbieder', 'gemeente', 'heen', '318', '480', '486'],
  ['318', 'Retour verzoek om wijziging', 'gemeente', 'aanbieder', 'retour', '317', '481', '487'],
  ['319', 'Antwoordbericht', 'gemeente', 'aanbieder', 'heen', '320', '482', '488'],
  ['320', 'Retour antwoordbericht', 'aanbieder', 'gemeente', 'retour', '319', '483', '489'],
  ['323', 'Declaratie', 'aanbieder', 'gemeente', 'heen', '325', '484', '490'],
  ['325', 'Declaratie-antwoord', 'gemeente', 'aanbieder', 'retour', '323', '485', '491'],
];

const IWMO = WMO_JW.map(([nr, title, from, to, dir, partner, wmo]) =>
  entry('iwmo', '3.2', 'C', [`WMO${nr}`, title, from, to, dir, `WMO${partner}`, wmo]),
);
const IJW = WMO_JW.map(([nr, title, from, to, dir, partner, , jw]) =>
  entry('ijw', '3.2', 'C', [`JW${nr}`, title, from, to, dir, `JW${partner}`, jw]),
);

/** iEb 4.0 (§2.2, status M): BerichtCodes are not established, so none is pinned; recognised by namespace and root. */
const IEB = (
  [
    ['WMO405', 'Start en stop eigen bijdrage', 'gemeente', 'cak', 'heen', 'WMO406'],
    ['WMO406', 'Retour start en stop eigen bijdrage', 'cak', 'gemeente', 'retour', 'WMO405'],
    ['WMO407', 'Start en stop beschermd wonen', 'gemeente', 'cak', 'heen', 'WMO408'],
    ['WMO408', 'Retour start en stop beschermd wonen', 'cak', 'gemeente', 'retour', 'WMO407'],
  ] as const satisfies readonly Row[]
).map((row) => entry('ieb', '4.0', 'M', row));

/** iPgb 2.1 model (§2.3, status M): codes from the 2021 model; the namespace's version segment is unconfirmed. */
const IPGB = (
  [
    ['WMO501', 'Toekenning pgb (TKB)', 'gemeente', 'svb', 'heen', 'WMO502', '458'],
    ['WMO502', 'Retour toekenning pgb', 'svb', 'gemeente', 'retour', 'WMO501', '459'],
    ['JW501', 'Toekenning pgb (TKB)', 'gemeente', 'svb', 'heen', 'JW502', '460'],
    ['JW502', 'Retour toekenning pgb', 'svb', 'gemeente', 'retour', 'JW501', '461'],
    ['WMO507', 'Budgetafsluiting (BAB)', 'svb', 'gemeente', 'heen', 'WMO508', '464'],
    ['WMO508', 'Retour budgetafsluiting', 'gemeente', 'svb', 'retour', 'WMO507', '465'],
    ['JW507', 'Budgetafsluiting (BAB)', 'svb', 'gemeente', 'heen', 'JW508', '466'],
    ['JW508', 'Retour budgetafsluiting', 'gemeente', 'svb', 'retour', 'JW507', '467'],
  ] as const satisfies readonly Row[]
).map((row) => entry('ipgb', '2.1', 'M', row));

export const ISTANDAARDEN: CatalogueEntry[] = [...IWMO, ...IJW, ...IEB, ...IPGB];
