/**
 * Retour contents per level (standards.md §6.1) for every iWmo/iJw heenbericht, valid against the official
 * retour XSDs: level 2 → Header 0001 only; a level-3/4 header error → Header only with the rule's code; a
 * level-3/4 client error → that client copied with every class coded 0200, 0233 or the rule's code; 325 lists
 * only rejected Prestaties, and "fully approved" is Header 0200 + DeclaratieAntwoord 8001.
 */
import fs from 'node:fs';
import path from 'node:path';
import { XmlDocument, XmlValidateError } from 'libxml2-wasm';
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../src/catalogue/catalogue.ts';
import { recognise } from '../../src/catalogue/recognise.ts';
import {
  buildAssessedRetour,
  nodeAtPath,
  RETOUR_CLASSES,
  type RetourIssue,
  type RetourOptions,
} from '../../src/retour/istandaarden.ts';
import { loadGemeenten } from '../../src/rules/gemeenten.ts';
import { checkRules } from '../../src/rules/registry.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { at, child, descendants, pathOf, type XNode } from '../../src/xml/tree.ts';
import { officialSchema } from '../helpers/official.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

if (!hasReference) console.warn(`SKIPPED unit/retour-levels (official schemas and examples): ${skipReason}`);
if (!hasReference && process.env.CI === 'true')
  throw new Error(`unit/retour-levels needs the official schemas in CI: ${skipReason}`);

const OPTS: RetourOptions = { identificatieRetour: 'SCH-0002', dagtekeningRetour: '2026-11-01', xsltVersie: '1.0.0' };
const HEEN = ['301', '305', '307', '315', '317', '319', '323'];

/** The JW315 example is not valid against its own XSD (standards.md §8: the date 2027-06-31); corrected here. */
const EXAMPLE_FIXES: Record<string, [string, string]> = { JW315: ['2027-06-31', '2027-06-30'] };

function heenOf(name: string): { entry: NonNullable<ReturnType<typeof catalogue.byName>>; root: XNode } {
  const dir = name.startsWith('WMO') ? 'wmo' : 'jw';
  let xml = fs.readFileSync(path.join(referenceDir, 'istandaarden-3.2', dir, `${name}.xml`), 'utf8');
  const fix = EXAMPLE_FIXES[name];
  if (fix) xml = xml.replaceAll(fix[0], fix[1]);
  const root = parseToTree(xml);
  return { entry: catalogue.byName(name)!, root };
}

function officialErrors(xsd: string, xml: string): string[] {
  const doc = XmlDocument.fromString(xml);
  try {
    officialSchema(xsd).validate(doc);
    return [];
  } catch (e) {
    if (e instanceof XmlValidateError) return e.details.map((d) => `${d.line}: ${d.message.trim()}`);
    throw e;
  } finally {
    doc.dispose();
  }
}

/** The gateway's own rules on a built retour (it must be recognised as the retour and pass them). */
function ownFindings(xml: string, retourName: string): string[] {
  const root = parseToTree(xml);
  const r = recognise(root);
  if (!r.ok) return [`not recognised: ${r.reason}`];
  expect(r.entry.name).toBe(retourName);
  return checkRules({ entry: r.entry, root, today: new Date('2026-11-01T12:00:00Z'), gemeenten: loadGemeenten() }).map(
    (f) => `${f.rule.code}: ${f.violation.text}`,
  );
}

const codesOf = (n: XNode | undefined): string[] => child(n, 'RetourCodes')?.children.map((c) => c.text) ?? [];
const bodyOf = (root: XNode): XNode[] => root.children.filter((c) => c.name !== 'Header');

/** A node deep inside the first client unit, on which a level-3/4 rule may fail. */
function clientTarget(nr: string, root: XNode): XNode {
  switch (nr) {
    case '319':
      return at(root, 'Antwoord/ReferentieAanbieder')!;
    case '323':
      return descendants(root, 'ProductCode')[0]!;
    default:
      return (
        descendants(root, 'Product')
          .map((p) => child(p, 'Code'))
          .find(Boolean) ?? at(root, 'Client/Bsn')!
      );
  }
}

describe.skipIf(!hasReference)('retour contents per level, for every heenbericht', () => {
  for (const prefix of ['WMO', 'JW']) {
    for (const nr of HEEN) {
      const heenName = `${prefix}${nr}`;
      const retourName = `${prefix}${nr === '323' ? '325' : String(Number(nr) + 1)}`;
      const xsd = `istandaarden-3.2/${prefix === 'WMO' ? 'wmo' : 'jw'}/${retourName}.xsd`;

      it(`${heenName} → ${retourName}: level 2 gives a Header with 0001 only, whatever else was found`, () => {
        const heen = heenOf(heenName);
        const xml = buildAssessedRetour(
          heen,
          [
            { retourcode: '0001', level: 2 },
            { retourcode: 'S329', level: 4, node: clientTarget(nr, heen.root) },
          ],
          OPTS,
        );
        expect(officialErrors(xsd, xml)).toEqual([]);
        const root = parseToTree(xml);
        expect(bodyOf(root)).toEqual([]);
        expect(codesOf(child(root, 'Header'))).toEqual(['0001']);
        expect(at(root, 'Header/XsltVersie')?.text).toBe('1.0.0');
      });

      it(`${heenName} → ${retourName}: a level-3/4 header error gives a Header only with the rule's code`, () => {
        const heen = heenOf(heenName);
        const issues: RetourIssue[] = [
          { retourcode: '9056', level: 3, path: '/Bericht/Header/BerichtIdentificatie/Identificatie' },
          { retourcode: 'S329', level: 4, node: clientTarget(nr, heen.root) },
        ];
        const xml = buildAssessedRetour(heen, issues, OPTS);
        expect(officialErrors(xsd, xml)).toEqual([]);
        const root = parseToTree(xml);
        expect(bodyOf(root)).toEqual([]);
        expect(codesOf(child(root, 'Header'))).toEqual(['9056']);
      });

      if (nr !== '323') {
        it(`${heenName} → ${retourName}: a level-4 client error copies the client with 0200 / the rule's code on every class`, () => {
          const heen = heenOf(heenName);
          const target = clientTarget(nr, heen.root);
          const xml = buildAssessedRetour(heen, [{ retourcode: 'S329', level: 4, path: pathOf(target) }], OPTS);
          expect(officialErrors(xsd, xml)).toEqual([]);
          expect(ownFindings(xml, retourName)).toEqual([]);
          const root = parseToTree(xml);
          expect(codesOf(child(root, 'Header'))).toEqual(['0200']);
          const classes = RETOUR_CLASSES[nr]!;
          // Same element names in the same order as the heen, with RetourCodes added to each class.
          const shape = (n: XNode, isRetour: boolean): string[] =>
            n.children
              .filter((c) => !(isRetour && c.name === 'RetourCodes'))
              .flatMap((c) => [c.name, ...shape(c, isRetour).map((s) => `${c.name}/${s}`)]);
          expect(shape(root, true).filter((s) => !s.startsWith('Header'))).toEqual(
            shape(heen.root, false).filter((s) => !s.startsWith('Header')),
          );
          const failing = nodeAtPath(root, pathOf(target))!;
          let owner: XNode | null = failing;
          while (owner && !classes.has(owner.name)) owner = owner.parent;
          const all: XNode[] = [];
          const walk = (n: XNode): void => {
            for (const c of n.children) {
              if (classes.has(c.name)) all.push(c);
              walk(c);
            }
          };
          walk(root);
          expect(all.length).toBeGreaterThan(0);
          for (const cls of all)
            expect(codesOf(cls), pathOf(cls)).toEqual(
              cls === owner ? ['S329'] : isBelow(cls, owner!) ? ['0233'] : ['0200'],
            );
        });
      }

      it(`${heenName} → ${retourName}: no issues`, () => {
        const heen = heenOf(heenName);
        const xml = buildAssessedRetour(heen, [], OPTS);
        expect(officialErrors(xsd, xml)).toEqual([]);
        expect(ownFindings(xml, retourName)).toEqual([]);
        const root = parseToTree(xml);
        if (nr === '323') {
          expect(codesOf(child(root, 'Header'))).toEqual(['0200']);
          const antwoord = child(root, 'DeclaratieAntwoord')!;
          expect(codesOf(antwoord)).toEqual(['8001']);
          expect(child(antwoord, 'Clienten')).toBeUndefined();
          expect(at(antwoord, 'TotaalToegekendBedrag/TotaalBedrag')?.text).toBe(
            at(heen.root, 'Declaratie/TotaalIngediendBedrag/TotaalBedrag')?.text,
          );
        } else {
          expect(child(child(root, 'Header'), 'RetourCodes')).toBeUndefined();
          expect(bodyOf(root)).toEqual([]);
        }
      });
    }
  }

  it('classes below a rejected class are not assessed (0233)', () => {
    const heen = heenOf('WMO301');
    const relatie = descendants(heen.root, 'Relatie')[0]!;
    const root = parseToTree(
      buildAssessedRetour(heen, [{ retourcode: '9056', level: 3, node: child(relatie, 'Nummer')! }], OPTS),
    );
    const [r1, r2] = descendants(root, 'Relatie');
    expect(codesOf(r1)).toEqual(['9056']);
    expect(codesOf(child(r1, 'Contact'))).toEqual(['0233']);
    expect(codesOf(r2)).toEqual(['0200']);
    expect(codesOf(child(r2, 'Contact'))).toEqual(['0200']);
    expect(codesOf(child(root, 'Client'))).toEqual(['0200']);
  });

  it('JW319 → JW320: a TR378 error on Woonplaatsbeginsel/Gemeente codes that class, the Antwoord 0200', () => {
    const heen = heenOf('JW319');
    const root = parseToTree(
      buildAssessedRetour(
        heen,
        [{ retourcode: 'S300', level: 4, node: at(heen.root, 'Antwoord/Woonplaatsbeginsel/Gemeente')! }],
        OPTS,
      ),
    );
    expect(codesOf(child(root, 'Antwoord'))).toEqual(['0200']);
    expect(codesOf(at(root, 'Antwoord/Woonplaatsbeginsel'))).toEqual(['S300']);
  });

  for (const prefix of ['WMO', 'JW']) {
    it(`${prefix}323 → ${prefix}325: only the rejected Prestaties are listed, with the rule's code; the rest is granted`, () => {
      const heen = heenOf(`${prefix}323`);
      const prestaties = descendants(heen.root, 'Prestatie');
      // The third Prestatie is the second client's first.
      const rejected = prestaties[2]!;
      const xml = buildAssessedRetour(
        heen,
        [{ retourcode: 'S329', level: 4, node: child(rejected, 'ProductCode')! }],
        OPTS,
      );
      expect(officialErrors(`istandaarden-3.2/${prefix === 'WMO' ? 'wmo' : 'jw'}/${prefix}325.xsd`, xml)).toEqual([]);
      expect(ownFindings(xml, `${prefix}325`)).toEqual([]);
      const root = parseToTree(xml);
      expect(codesOf(child(root, 'Header'))).toEqual(['0200']);
      const antwoord = child(root, 'DeclaratieAntwoord')!;
      expect(codesOf(antwoord)).toEqual(['0200']);
      const clients = descendants(antwoord, 'Client');
      expect(clients).toHaveLength(1);
      expect(child(clients[0], 'Bsn')?.text).toBe(child(rejected.parent?.parent, 'Bsn')?.text);
      expect(codesOf(clients[0])).toEqual(['0200']);
      const listed = descendants(antwoord, 'Prestatie');
      expect(listed).toHaveLength(1);
      expect(codesOf(listed[0])).toEqual(['S329']);
      expect(at(listed[0], 'ProductReferentie/ReferentieNummer')?.text).toBe(
        at(rejected, 'ProductReferentie/ReferentieNummer')?.text,
      );
      const amount = (p: XNode): number =>
        Number(at(p, 'IngediendBedrag/Bedrag')?.text) * (at(p, 'IngediendBedrag/DebetCredit')?.text === 'C' ? -1 : 1);
      const granted = prestaties.filter((p) => p !== rejected).reduce((s, p) => s + amount(p), 0);
      expect(at(antwoord, 'TotaalToegekendBedrag/TotaalBedrag')?.text).toBe(String(granted));
      expect(at(antwoord, 'TotaalIngediendBedrag/TotaalBedrag')?.text).toBe(
        at(heen.root, 'Declaratie/TotaalIngediendBedrag/TotaalBedrag')?.text,
      );
    });
  }

  it('WMO323 → WMO325: a code on a Client rejects each of its Prestaties', () => {
    const heen = heenOf('WMO323');
    const client = descendants(heen.root, 'Client')[0]!;
    const root = parseToTree(buildAssessedRetour(heen, [{ retourcode: '9056', level: 3, node: client }], OPTS));
    const listed = descendants(root, 'Prestatie');
    expect(listed).toHaveLength(descendants(client, 'Prestatie').length);
    for (const p of listed) expect(codesOf(p)).toEqual(['9056']);
  });
});

function isBelow(node: XNode, ancestor: XNode): boolean {
  for (let n = node.parent; n; n = n.parent) if (n === ancestor) return true;
  return false;
}

describe('retour builder: DagtekeningRetour from an instant is the Dutch calendar day', () => {
  const heen = {
    entry: catalogue.byName('WMO301')!,
    root: parseToTree(`<wmo301:Bericht xmlns:wmo301="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema" xmlns:iwmo="http://www.istandaarden.nl/iwmo/3_2/basisschema/schema">
  <wmo301:Header><wmo301:BerichtCode>414</wmo301:BerichtCode><wmo301:BerichtVersie>3</wmo301:BerichtVersie><wmo301:BerichtSubversie>2</wmo301:BerichtSubversie>
  <wmo301:Afzender>0384</wmo301:Afzender><wmo301:Ontvanger>42420001</wmo301:Ontvanger>
  <wmo301:BerichtIdentificatie><iwmo:Identificatie>A1</iwmo:Identificatie><iwmo:Dagtekening>2026-10-01</iwmo:Dagtekening></wmo301:BerichtIdentificatie>
  <wmo301:XsdVersie><iwmo:BasisschemaXsdVersie>1.0.0</iwmo:BasisschemaXsdVersie><iwmo:BerichtXsdVersie>1.0.0</iwmo:BerichtXsdVersie></wmo301:XsdVersie></wmo301:Header>
</wmo301:Bericht>`),
  };

  it('23:30 UTC on 31 December is already 1 January in Amsterdam', () => {
    const xml = buildAssessedRetour(heen, [], { ...OPTS, dagtekeningRetour: new Date('2026-12-31T23:30:00Z') });
    expect(at(child(parseToTree(xml), 'Header'), 'DagtekeningRetour')?.text).toBe('2027-01-01');
  });

  it('resolves Finding paths to the element they name', () => {
    const root = heenOf('WMO301').root;
    const second = descendants(root, 'Relatie')[1]!;
    expect(nodeAtPath(root, pathOf(second))).toBe(second);
    expect(nodeAtPath(root, '/Bericht/Client/Relaties/Relatie[3]')).toBeUndefined();
    expect(nodeAtPath(root, '/Other/Client')).toBeUndefined();
  });
});
