/**
 * Builders for schema-valid iEb 4.0 and iPgb 2.1 berichten against the project's MODELLED packs
 * (schemas/ieb/4.0, schemas/ipgb/2.1; tools/author-modelled-packs.ts). All data is fictitious: BSNs from the
 * 99999xxxx test range (both pass the elfproef), gemeente 0363.
 *
 * Namespaces follow elementFormDefault="qualified": elements declared in the message XSD (Header children, the
 * body classes and their fields) are in the message namespace, children of basisschema types (Identificatie,
 * Dagtekening, the XsdVersie parts, Geboortedatum/Datum, periods, names) in the basisschema namespace.
 *
 * A retour is built from the same data as its heen: the heen's header elements 1–7 unchanged, then
 * IdentificatieRetour … and RetourCodes, and every body class copied with RetourCodes (0200) appended.
 */
import { b, bt, type El, m, mt, retourCodes, serialiseBericht } from './tree.ts';

export type IebName = 'WMO405' | 'WMO406' | 'WMO407' | 'WMO408';
export type IpgbName = 'WMO501' | 'WMO502' | 'JW501' | 'JW502' | 'WMO507' | 'WMO508' | 'JW507' | 'JW508';
export type ModelledName = IebName | IpgbName;

export const MODELLED_MESSAGES: readonly ModelledName[] = [
  'WMO405',
  'WMO406',
  'WMO407',
  'WMO408',
  'WMO501',
  'WMO502',
  'WMO507',
  'WMO508',
  'JW501',
  'JW502',
  'JW507',
  'JW508',
];

export const TEST_BSN = '999990019';
export const OTHER_BSN = '999990020';
export const GEMEENTE = '0363';
/** Default Dagtekening; tests pin the system date at {@link TODAY}. */
export const DAGTEKENING = '2026-10-15';
export const TODAY = new Date('2026-11-01T10:00:00Z');

const CODES: Record<IpgbName, string> = {
  WMO501: '458',
  WMO502: '459',
  JW501: '460',
  JW502: '461',
  WMO507: '464',
  WMO508: '465',
  JW507: '466',
  JW508: '467',
};

export function isRetour(name: ModelledName): boolean {
  return /(406|408|502|508)$/.test(name);
}

export function standardOf(name: ModelledName): 'ieb' | 'ipgb' {
  return /40\d$/.test(name) ? 'ieb' : 'ipgb';
}

/** The heen a retour answers (WMO406 → WMO405), or the name itself. */
export function heenOf(name: ModelledName): ModelledName {
  if (!isRetour(name)) return name;
  return name.replace(/(\d{3})$/, (nr) => String(Number(nr) - 1)) as ModelledName;
}

// ---------------------------------------------------------------------------------------------------------
// Options.

export interface HeaderOptions {
  identificatie?: string;
  dagtekening?: string;
  /** Afzender (iEb, TKB) or Ontvanger (BAB). */
  gemeente?: string;
  /** Default: the catalogue code for iPgb, 999 for iEb (its codes are not established; any LDT_BerichtCode goes). */
  berichtCode?: string;
  versie?: string;
  subversie?: string;
}

export interface IebPeriod {
  nummer: string;
  start: string;
  stop?: string;
  kostprijs?: { bedrag: string; start: string };
  status: string;
}

export interface IebClient {
  bsn: string;
  periods: IebPeriod[];
}

export interface FunctieBudget {
  zorgfunctie: string;
  bedrag: string;
  ingang: string;
  eind?: string;
  verantwoordingsvrij?: string;
}

export interface TkbClient {
  bsn: string;
  budget: string;
  budgetOud?: string;
  functies: FunctieBudget[];
}

export interface Besteding {
  budget: string;
  zorgfunctie: string;
  begin: string;
  eind: string;
  besteed: string;
  ziekengeld?: string;
  reden: string;
}

export interface BabClient {
  bsn: string;
  bestedingen: Besteding[];
}

export interface BuildOptions extends HeaderOptions {
  /** iEb clients (WMO405–408). */
  ieb?: IebClient[];
  /** TKB clients (501/502). */
  tkb?: TkbClient[];
  /** BAB clients (507/508). */
  bab?: BabClient[];
  /** Retours: IdentificatieRetour (default R-0001) and the header RetourCodes (default none). */
  identificatieRetour?: string;
  /** Retours: DagtekeningRetour (default 2026-10-16). */
  dagtekeningRetour?: string;
  retourCodes?: string[];
}

export const DEFAULT_IEB_PERIOD: IebPeriod = {
  nummer: '1001',
  start: '2026-09-01',
  kostprijs: { bedrag: '2150', start: '2026-09-01' },
  status: '1',
};
export const DEFAULT_FUNCTIE: FunctieBudget = {
  zorgfunctie: '01',
  bedrag: '1250000',
  ingang: '2026-11-01',
  eind: '2027-10-31',
  verantwoordingsvrij: '25000',
};
export const DEFAULT_BESTEDING: Besteding = {
  budget: 'PGB-2025-0007',
  zorgfunctie: '01',
  begin: '2025-01-01',
  eind: '2025-12-31',
  besteed: '1100000',
  ziekengeld: '0',
  reden: '01',
};

/** Body classes: a retour appends RetourCodes to each (not to composite values such as EbKostprijs). */
export const BODY_CLASSES: ReadonlySet<string> = new Set([
  'Client',
  'PeriodeEigenBijdrageAbo',
  'PeriodeBeschermdWonen',
  'Budget',
  'FunctieBudget',
  'Relatie',
  'Contact',
  'FunctieBudgetBesteed',
]);

function withRetourCodes(el: El): El {
  if (typeof el.content === 'string') return el;
  const content = el.content.map(withRetourCodes);
  if (!el.basis && BODY_CLASSES.has(el.name)) content.push(retourCodes(['0200']));
  return { ...el, content };
}

// ---------------------------------------------------------------------------------------------------------
// Bodies.

function iebClients(name: ModelledName, clients: IebClient[]): El[] {
  const bw = /40[78]$/.test(name);
  const cls = bw ? 'PeriodeBeschermdWonen' : 'PeriodeEigenBijdrageAbo';
  const p = bw ? 'Bw' : 'Eb';
  return clients.map((c) =>
    m(
      'Client',
      mt('Bsn', c.bsn),
      ...c.periods.map((period) =>
        m(
          cls,
          mt(`${p}StartNummer`, period.nummer),
          mt(`${p}Startdatum`, period.start),
          period.stop === undefined ? undefined : mt(`${p}Stopdatum`, period.stop),
          period.kostprijs &&
            m(
              `${p}Kostprijs`,
              mt('KostprijsBedrag', period.kostprijs.bedrag),
              mt('KostprijsStartdatum', period.kostprijs.start),
            ),
          mt('StatusAanlevering', period.status),
        ),
      ),
    ),
  );
}

function naam(achternaam: string, voorletters: string): El {
  return b(
    'Naam',
    b('Geslachtsnaam', bt('Achternaam', achternaam)),
    bt('Voorletters', voorletters),
    bt('NaamGebruik', '1'),
  );
}

function tkbClients(clients: TkbClient[]): El[] {
  return clients.map((c) =>
    m(
      'Client',
      mt('Bsn', c.bsn),
      m('Geboortedatum', bt('Datum', '1980-05-01')),
      mt('Geslacht', '2'),
      { ...naam('Proefhouder', 'A'), basis: false },
      m(
        'Budget',
        mt('BudgetIdentificatie', c.budget),
        c.budgetOud === undefined ? undefined : mt('BudgetIdentificatieOud', c.budgetOud),
        mt('Afgiftedatum', '2026-10-01'),
        m('BudgetPeriode', bt('Ingangsdatum', '2026-11-01'), bt('Einddatum', '2027-10-31')),
        ...c.functies.map((f) =>
          m(
            'FunctieBudget',
            mt('Zorgfunctie', f.zorgfunctie),
            mt('FunctieBudgetBedrag', f.bedrag),
            m(
              'FunctieBudgetPeriode',
              bt('Ingangsdatum', f.ingang),
              f.eind === undefined ? undefined : bt('Einddatum', f.eind),
            ),
            f.verantwoordingsvrij === undefined ? undefined : mt('VerantwoordingsvrijBedrag', f.verantwoordingsvrij),
          ),
        ),
        m(
          'Relatie',
          mt('Nummer', 'REL-1'),
          mt('Soort', '02'),
          { ...naam('Proefvertegenwoordiger', 'B'), basis: false },
          mt('Ingangsdatum', '2026-11-01'),
        ),
        m('Contact', mt('Ingangsdatum', '2026-11-01'), mt('Emailadres', 'budgethouder@example.org')),
      ),
    ),
  );
}

function babClients(clients: BabClient[]): El[] {
  return clients.map((c) =>
    m(
      'Client',
      mt('Bsn', c.bsn),
      ...c.bestedingen.map((x) =>
        m(
          'FunctieBudgetBesteed',
          mt('BudgetIdentificatie', x.budget),
          mt('Zorgfunctie', x.zorgfunctie),
          m('BestedingsPeriode', bt('Begindatum', x.begin), bt('Einddatum', x.eind)),
          mt('FunctieBudgetBesteed', x.besteed),
          x.ziekengeld === undefined ? undefined : mt('ZiekengeldBesteed', x.ziekengeld),
          mt('RedenBudgetafsluiting', x.reden),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------
// The message.

/** A complete, schema-valid message of the modelled packs; options change its data (and break it, for tests). */
export function build(name: ModelledName, opts: BuildOptions = {}): string {
  const standard = standardOf(name);
  const release = standard === 'ieb' ? '4_0' : '2_1';
  const mp = name.toLowerCase();
  const nsMessage = `http://www.istandaarden.nl/${standard}/${release}/${mp}/schema`;
  const nsBasis = `http://www.istandaarden.nl/${standard}/${release}/basisschema/schema`;
  const bab = /50[78]$/.test(name);
  const retour = isRetour(name);

  const header = m(
    'Header',
    mt('BerichtCode', opts.berichtCode ?? (standard === 'ipgb' ? CODES[name as IpgbName] : '999')),
    mt('BerichtVersie', opts.versie ?? (standard === 'ipgb' ? '2' : '4')),
    mt('BerichtSubversie', opts.subversie ?? (standard === 'ipgb' ? '1' : '0')),
    mt(bab ? 'Ontvanger' : 'Afzender', opts.gemeente ?? GEMEENTE),
    m(
      'BerichtIdentificatie',
      bt('Identificatie', opts.identificatie ?? `${heenOf(name)}-0001`),
      bt('Dagtekening', opts.dagtekening ?? DAGTEKENING),
    ),
    m('XsdVersie', bt('BasisschemaXsdVersie', '1.0.0'), bt('BerichtXsdVersie', '1.0.0')),
    ...(retour
      ? [
          mt('IdentificatieRetour', opts.identificatieRetour ?? 'R-0001'),
          mt('DagtekeningRetour', opts.dagtekeningRetour ?? '2026-10-16'),
          m('XsdVersieRetour', bt('BasisschemaXsdVersie', '1.0.0'), bt('BerichtXsdVersie', '1.0.0')),
          opts.retourCodes?.length ? retourCodes(opts.retourCodes) : undefined,
        ]
      : []),
  );

  let body: El[];
  if (standard === 'ieb') body = iebClients(name, opts.ieb ?? [{ bsn: TEST_BSN, periods: [DEFAULT_IEB_PERIOD] }]);
  else if (bab) body = babClients(opts.bab ?? [{ bsn: TEST_BSN, bestedingen: [DEFAULT_BESTEDING] }]);
  else body = tkbClients(opts.tkb ?? [{ bsn: TEST_BSN, budget: 'PGB-2026-0001', functies: [DEFAULT_FUNCTIE] }]);
  if (retour) body = body.map(withRetourCodes);

  return serialiseBericht(m('Bericht', header, ...body), {
    messagePrefix: mp,
    message: nsMessage,
    basisPrefix: standard,
    basis: nsBasis,
  });
}

/** Replaces the first occurrence of each `from`; a replacement that finds nothing throws (a test that cannot fail is no test). */
export function mutate(xml: string, ...edits: [from: string | RegExp, to: string][]): string {
  let out = xml;
  for (const [from, to] of edits) {
    const found = typeof from === 'string' ? out.includes(from) : from.test(out);
    if (!found) throw new Error(`mutation source not found: ${String(from)}`);
    out = out.replace(from, to);
  }
  return out;
}
