import type { CatalogueEntry, Role } from '../types.ts';

/**
 * iWmo 3.2 and iJw 3.2 (standards.md §2.1, status C): 14 messages each, root `Bericht`, one namespace per
 * message, BerichtCode pinned by the XSD. Rows: number, title, sender, receiver, WMO code, JW code, partner.
 */
type Row = [nr: string, title: string, from: Role, to: Role, wmo: string, jw: string, partner: string, direction: 'heen' | 'retour'];

const ROWS: Row[] = [
  ['301', 'Toewijzing', 'gemeente', 'aanbieder', '414', '436', '302', 'heen'],
  ['302', 'Retour toewijzing', 'aanbieder', 'gemeente', '415', '437', '301', 'retour'],
  ['305', 'Start levering', 'aanbieder', 'gemeente', '418', '438', '306', 'heen'],
  ['306', 'Retour start levering', 'gemeente', 'aanbieder', '419', '439', '305', 'retour'],
  ['307', 'Stop levering', 'aanbieder', 'gemeente', '420', '440', '308', 'heen'],
  ['308', 'Retour stop levering', 'gemeente', 'aanbieder', '421', '441', '307', 'retour'],
  ['315', 'Verzoek om toewijzing', 'aanbieder', 'gemeente', '444', '446', '316', 'heen'],
  ['316', 'Retour verzoek om toewijzing', 'gemeente', 'aanbieder', '445', '447', '315', 'retour'],
  ['317', 'Verzoek om wijziging', 'aanbieder', 'gemeente', '480', '486', '318', 'heen'],
  ['318', 'Retour verzoek om wijziging', 'gemeente', 'aanbieder', '481', '487', '317', 'retour'],
  ['319', 'Antwoordbericht', 'gemeente', 'aanbieder', '482', '488', '320', 'heen'],
  ['320', 'Retour antwoordbericht', 'aanbieder', 'gemeente', '483', '489', '319', 'retour'],
  ['323', 'Declaratie', 'aanbieder', 'gemeente', '484', '490', '325', 'heen'],
  ['325', 'Declaratie-antwoord', 'gemeente', 'aanbieder', '485', '491', '323', 'retour'],
];

function entries(standard: 'iwmo' | 'ijw'): CatalogueEntry[] {
  const prefix = standard === 'iwmo' ? 'WMO' : 'JW';
  return ROWS.map(([nr, title, from, to, wmo, jw, partner, direction]) => {
    const name = `${prefix}${nr}`;
    const partnerName = `${prefix}${partner}`;
    return {
      name,
      standard,
      release: '3.2',
      title,
      sender: [from],
      receiver: [to],
      berichtCode: standard === 'iwmo' ? wmo : jw,
      namespace: `http://www.istandaarden.nl/${standard}/3_2/${name.toLowerCase()}/schema`,
      rootElement: 'Bericht',
      direction,
      answeredBy: direction === 'heen' ? [partnerName] : [],
      ...(direction === 'retour' ? { answers: partnerName } : {}),
      schema: { pack: `${standard}-3.2`, message: name },
      status: 'C',
    } satisfies CatalogueEntry;
  });
}

/** iEb 4.0 (§2.2, status M): BerichtCodes are not established, so none is pinned; recognised by namespace and root. */
const IEB: CatalogueEntry[] = (
  [
    ['WMO405', 'Start en stop eigen bijdrage', 'gemeente', 'cak', 'heen', 'WMO406'],
    ['WMO406', 'Retour start en stop eigen bijdrage', 'cak', 'gemeente', 'retour', 'WMO405'],
    ['WMO407', 'Start en stop beschermd wonen', 'gemeente', 'cak', 'heen', 'WMO408'],
    ['WMO408', 'Retour start en stop beschermd wonen', 'cak', 'gemeente', 'retour', 'WMO407'],
  ] as const
).map(([name, title, from, to, direction, partner]) => ({
  name,
  standard: 'ieb',
  release: '4.0',
  title,
  sender: [from],
  receiver: [to],
  namespace: `http://www.istandaarden.nl/ieb/4_0/${name.toLowerCase()}/schema`,
  rootElement: 'Bericht',
  direction,
  answeredBy: direction === 'heen' ? [partner] : [],
  ...(direction === 'retour' ? { answers: partner } : {}),
  schema: { pack: 'ieb-4.0', message: name },
  status: 'M',
}));

/** iPgb 2.1 model (§2.3, status M): codes from the 2021 model; the namespace's version segment is unconfirmed. */
const IPGB: CatalogueEntry[] = (
  [
    ['WMO501', 'Toekenning pgb (TKB)', 'gemeente', 'svb', '458', 'heen', 'WMO502'],
    ['WMO502', 'Retour toekenning pgb', 'svb', 'gemeente', '459', 'retour', 'WMO501'],
    ['JW501', 'Toekenning pgb (TKB)', 'gemeente', 'svb', '460', 'heen', 'JW502'],
    ['JW502', 'Retour toekenning pgb', 'svb', 'gemeente', '461', 'retour', 'JW501'],
    ['WMO507', 'Budgetafsluiting (BAB)', 'svb', 'gemeente', '464', 'heen', 'WMO508'],
    ['WMO508', 'Retour budgetafsluiting', 'gemeente', 'svb', '465', 'retour', 'WMO507'],
    ['JW507', 'Budgetafsluiting (BAB)', 'svb', 'gemeente', '466', 'heen', 'JW508'],
    ['JW508', 'Retour budgetafsluiting', 'gemeente', 'svb', '467', 'retour', 'JW507'],
  ] as const
).map(([name, title, from, to, code, direction, partner]) => ({
  name,
  standard: 'ipgb',
  release: '2.1',
  title,
  sender: [from],
  receiver: [to],
  berichtCode: code,
  namespace: `http://www.istandaarden.nl/ipgb/2_1/${name.toLowerCase()}/schema`,
  rootElement: 'Bericht',
  direction,
  answeredBy: direction === 'heen' ? [partner] : [],
  ...(direction === 'retour' ? { answers: partner } : {}),
  schema: { pack: 'ipgb-2.1', message: name },
  status: 'M',
}));

export const ISTANDAARDEN: CatalogueEntry[] = [...entries('iwmo'), ...entries('ijw'), ...IEB, ...IPGB];
