/**
 * Builders for schema-valid iWmo 3.2 and iJw 3.2 heenberichten (301, 305, 307, 315, 317, 319, 323) against the
 * project's packs (schemas/iwmo/3.2, schemas/ijw/3.2), written from the structure in standards.md §4.1 and the
 * packs' XSDs. All data is fictitious: a BSN from the 99999xxxx test range, names "Proef…", postcode 9999ZZ.
 *
 * Dates are chosen around the Dagtekening so that the technical rules hold: what has happened (a birth, a
 * Toewijzingsdatum, a started or stopped delivery, a declared period) lies on or before it, planned dates after.
 * The retours (302 … 325) are made from a heen by the gateway's own retour builder (src/retour/istandaarden.ts).
 */
import { addMonths, addYears } from '../rules/istandaarden/dates.ts';
import { b, bt, type El, m, mt, serialiseBericht } from './tree.ts';

export type IstandaardStandard = 'iwmo' | 'ijw';
export type HeenNumber = '301' | '305' | '307' | '315' | '317' | '319' | '323';
export const HEEN_NUMBERS: readonly HeenNumber[] = ['301', '305', '307', '315', '317', '319', '323'];

/** BerichtCode per message number: [WMO, JW] (standards.md §2.1). */
const CODES: Record<HeenNumber, [string, string]> = {
  '301': ['414', '436'],
  '305': ['418', '438'],
  '307': ['420', '440'],
  '315': ['444', '446'],
  '317': ['480', '486'],
  '319': ['482', '488'],
  '323': ['484', '490'],
};

/** Messages the gemeente sends (Afzender LDT_Gemeente); the others come from the aanbieder (LDT_AgbCode). */
const FROM_GEMEENTE: ReadonlySet<HeenNumber> = new Set(['301', '319']);

export interface IstandaardOptions {
  /** The gemeentecode (4 digits). */
  gemeente: string;
  /** The aanbieder's AGB code (8 digits). */
  aanbieder: string;
  /** Header/BerichtIdentificatie/Identificatie (1–12 characters). */
  identificatie: string;
  /** Header/BerichtIdentificatie/Dagtekening, yyyy-mm-dd. */
  dagtekening: string;
  /** The client's BSN (a test BSN that passes the elfproef). */
  bsn: string;
}

/** The message name of a number in a standard: ('iwmo', '301') → WMO301. */
export function istandaardName(standard: IstandaardStandard, nr: string): string {
  return `${standard === 'iwmo' ? 'WMO' : 'JW'}${nr}`;
}

/** ('WMO301') → ['iwmo', '301']; undefined for a name that is not an iWmo/iJw heenbericht. */
export function parseIstandaardHeen(name: string): [IstandaardStandard, HeenNumber] | undefined {
  const match = /^(WMO|JW)(\d{3})$/.exec(name);
  if (!match || !(HEEN_NUMBERS as readonly string[]).includes(match[2]!)) return undefined;
  return [match[1] === 'WMO' ? 'iwmo' : 'ijw', match[2] as HeenNumber];
}

// ---------------------------------------------------------------------------------------------------------
// Shared classes.

const day = (d: string, days: number): string => {
  const t = new Date(`${d}T12:00:00Z`);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
};

const firstOfMonth = (d: string): string => `${d.slice(0, 8)}01`;

/** Product category and code: Wmo 02 (begeleiding), Jw 45 (jeugdhulp ambulant). */
function product(standard: IstandaardStandard): El {
  return standard === 'iwmo'
    ? m('Product', bt('Categorie', '02'), bt('Code', '02A01'))
    : m('Product', bt('Categorie', '45'), bt('Code', '45A01'));
}

function geboortedatum(): El {
  return m('Geboortedatum', bt('Datum', '1980-05-01'), bt('DatumGebruik', '1'));
}

function verkorteNaam(): El {
  return m('Naam', b('Geslachtsnaam', bt('Achternaam', 'Proefclient')), bt('Voorletters', 'A'));
}

function omvang(): El {
  return m('Omvang', bt('Volume', '4'), bt('Eenheid', '04'), bt('Frequentie', '2'));
}

const TOEWIJZING_NUMMER = '700001';
const REFERENTIE_AANBIEDER = 'AANVRAAG-0001';

// ---------------------------------------------------------------------------------------------------------
// Bodies per message.

function body(standard: IstandaardStandard, nr: HeenNumber, o: IstandaardOptions): El {
  const d = o.dagtekening;
  switch (nr) {
    case '301':
      return m(
        'Client',
        mt('Bsn', o.bsn),
        geboortedatum(),
        mt('Geslacht', '2'),
        m('Naam', b('Geslachtsnaam', bt('Achternaam', 'Proefclient')), bt('Voorletters', 'A'), bt('NaamGebruik', '1')),
        m(
          'Contactgegevens',
          m(
            'Contact',
            mt('Soort', '01'),
            m(
              'Adres',
              b('Huis', bt('Huisnummer', '1')),
              bt('Postcode', '9999ZZ'),
              bt('Straatnaam', 'Proefstraat'),
              bt('Plaatsnaam', 'Proefdorp'),
            ),
          ),
        ),
        m(
          'ToegewezenProducten',
          m(
            'ToegewezenProduct',
            mt('ToewijzingNummer', TOEWIJZING_NUMMER),
            mt('ReferentieAanbieder', REFERENTIE_AANBIEDER),
            product(standard),
            mt('Toewijzingsdatum', d),
            mt('Toewijzingstijd', '09:30:00'),
            mt('Ingangsdatum', firstOfMonth(addMonths(d, 1))),
            mt('Einddatum', day(addYears(firstOfMonth(addMonths(d, 1)), 1), -1)),
            mt('RedenWijziging', '01'),
            omvang(),
          ),
        ),
      );
    case '305':
      return m(
        'Client',
        mt('Bsn', o.bsn),
        geboortedatum(),
        mt('Geslacht', '2'),
        verkorteNaam(),
        m(
          'StartProducten',
          m(
            'StartProduct',
            mt('ToewijzingNummer', TOEWIJZING_NUMMER),
            product(standard),
            mt('ToewijzingIngangsdatum', day(d, -14)),
            mt('Begindatum', d),
            mt('StatusAanlevering', '1'),
          ),
        ),
      );
    case '307':
      return m(
        'Client',
        mt('Bsn', o.bsn),
        geboortedatum(),
        mt('Geslacht', '2'),
        verkorteNaam(),
        m(
          'StopProducten',
          m(
            'StopProduct',
            mt('ToewijzingNummer', TOEWIJZING_NUMMER),
            product(standard),
            mt('ToewijzingIngangsdatum', day(d, -60)),
            mt('Begindatum', day(d, -60)),
            mt('RedenBeeindiging', '02'),
            mt('Einddatum', d),
            mt('StatusAanlevering', '1'),
          ),
        ),
      );
    case '315':
      return m(
        'Client',
        mt('Bsn', o.bsn),
        geboortedatum(),
        mt('Geslacht', '2'),
        verkorteNaam(),
        m(
          'AangevraagdeProducten',
          m(
            'AangevraagdProduct',
            mt('ReferentieAanbieder', REFERENTIE_AANBIEDER),
            product(standard),
            mt('ToewijzingIngangsdatum', day(d, 14)),
            mt('ToewijzingEinddatum', day(addYears(day(d, 14), 1), -1)),
            omvang(),
            m('Verwijzer', bt('Type', '01'), bt('Naam', 'Gemeentelijk wijkteam')),
          ),
        ),
      );
    case '317':
      return m(
        'Client',
        mt('Bsn', o.bsn),
        m(
          'Verzoek',
          mt('ReferentieAanbieder', REFERENTIE_AANBIEDER),
          mt('RedenVerzoek', '1'),
          m(
            'TeWijzigenProducten',
            m(
              'TeWijzigenProduct',
              mt('ToewijzingNummer', TOEWIJZING_NUMMER),
              mt('GewensteIngangsdatum', day(d, 14)),
              mt('Einddatum', day(addYears(d, 1), 14)),
              omvang(),
            ),
          ),
        ),
      );
    case '319':
      return m('Antwoord', mt('ReferentieAanbieder', REFERENTIE_AANBIEDER), mt('VerzoekAntwoord', '1'));
    case '323': {
      // The previous calendar month, declared in full: 8 hours at €65.00 (amounts in cents).
      const begin = firstOfMonth(addMonths(d, -1));
      const end = day(firstOfMonth(d), -1);
      return m(
        'Declaratie',
        mt('DeclaratieNummer', `DECL${begin.slice(0, 4)}${begin.slice(5, 7)}01`),
        m('DeclaratiePeriode', bt('Begindatum', begin), bt('Einddatum', end)),
        mt('DeclaratieDagtekening', d),
        m('TotaalIngediendBedrag', bt('TotaalBedrag', '52000'), bt('DebetCredit', 'D')),
        m(
          'Clienten',
          m(
            'Client',
            mt('Bsn', o.bsn),
            m(
              'Prestaties',
              m(
                'Prestatie',
                m('ProductReferentie', bt('ReferentieNummer', 'PREST-0001')),
                mt('ToewijzingNummer', TOEWIJZING_NUMMER),
                mt('ProductCategorie', standard === 'iwmo' ? '02' : '45'),
                mt('ProductCode', standard === 'iwmo' ? '02A01' : '45A01'),
                m('ProductPeriode', bt('Begindatum', begin), bt('Einddatum', end)),
                mt('GeleverdVolume', '8'),
                mt('Eenheid', '04'),
                mt('ProductTarief', '6500'),
                m('IngediendBedrag', bt('Bedrag', '52000'), bt('DebetCredit', 'D')),
              ),
            ),
          ),
        ),
      );
    }
  }
}

/** A complete, schema-valid iWmo/iJw 3.2 heenbericht with the given header facts. */
export function buildIstandaard(standard: IstandaardStandard, nr: HeenNumber, o: IstandaardOptions): string {
  const name = istandaardName(standard, nr);
  const mp = name.toLowerCase();
  const [afzender, ontvanger] = FROM_GEMEENTE.has(nr) ? [o.gemeente, o.aanbieder] : [o.aanbieder, o.gemeente];
  const header = m(
    'Header',
    mt('BerichtCode', CODES[nr][standard === 'iwmo' ? 0 : 1]),
    mt('BerichtVersie', '3'),
    mt('BerichtSubversie', '2'),
    mt('Afzender', afzender),
    mt('Ontvanger', ontvanger),
    m('BerichtIdentificatie', bt('Identificatie', o.identificatie), bt('Dagtekening', o.dagtekening)),
    m('XsdVersie', bt('BasisschemaXsdVersie', '1.0.0'), bt('BerichtXsdVersie', '1.0.0')),
  );
  return serialiseBericht(m('Bericht', header, body(standard, nr, o)), {
    messagePrefix: mp,
    message: `http://www.istandaarden.nl/${standard}/3_2/${mp}/schema`,
    basisPrefix: standard,
    basis: `http://www.istandaarden.nl/${standard}/3_2/basisschema/schema`,
  });
}
