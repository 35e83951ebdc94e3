/**
 * The retourberichten the gateway builds for rejected heenberichten: valid against the official retour XSD,
 * with the header the standard prescribes (standards.md §4.2, §4.3, §6.1).
 */
import fs from 'node:fs';
import path from 'node:path';
import { XmlDocument, XmlValidateError } from 'libxml2-wasm';
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../src/catalogue/catalogue.ts';
import { recognise } from '../../src/catalogue/recognise.ts';
import { buildRetour, type RetourOptions } from '../../src/retour/istandaarden.ts';
import { loadGemeenten } from '../../src/rules/gemeenten.ts';
import { checkRules } from '../../src/rules/registry.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { at, child, type XNode } from '../../src/xml/tree.ts';
import { officialSchema } from '../helpers/official.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

if (!hasReference) console.warn(`SKIPPED unit/retour (official schemas and examples): ${skipReason}`);

const OPTS: RetourOptions = { identificatieRetour: 'SCH-0001', dagtekeningRetour: '2026-11-01', xsltVersie: '1.0.0' };
const HEEN = ['301', '305', '307', '315', '317', '319', '323'];
const STANDARDS = [
  { dir: 'wmo', prefix: 'WMO', basis: 'http://www.istandaarden.nl/iwmo/3_2/basisschema/schema' },
  { dir: 'jw', prefix: 'JW', basis: 'http://www.istandaarden.nl/ijw/3_2/basisschema/schema' },
] as const;

function heenOf(name: string): { entry: NonNullable<ReturnType<typeof catalogue.byName>>; root: XNode } {
  const dir = name.startsWith('WMO') ? 'wmo' : 'jw';
  const root = parseToTree(fs.readFileSync(path.join(referenceDir, 'istandaarden-3.2', dir, `${name}.xml`)));
  return { entry: catalogue.byName(name)!, root };
}

/** The official retour schema's verdict: the list of its errors (empty when valid). */
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

const names = (n: XNode | undefined): string[] => (n ? n.children.map((c) => c.name) : []);
const text = (n: XNode | undefined, p: string): string | undefined => at(n, p)?.text;

describe.skipIf(!hasReference)('retour for every iWmo/iJw heenbericht', () => {
  for (const std of STANDARDS) {
    for (const nr of HEEN) {
      const heenName = `${std.prefix}${nr}`;
      const retourNr = nr === '323' ? '325' : String(Number(nr) + 1);
      const retourName = `${std.prefix}${retourNr}`;

      it(`${heenName} → ${retourName}: valid against the official ${retourName}.xsd, with and without RetourCodes`, () => {
        const heen = heenOf(heenName);
        const xsd = `istandaarden-3.2/${std.dir}/${retourName}.xsd`;
        expect(officialErrors(xsd, buildRetour(heen, ['0001'], OPTS))).toEqual([]);
        expect(
          officialErrors(xsd, buildRetour(heen, ['0001', '8848', 'S300'], { ...OPTS, xsltVersie: undefined })),
        ).toEqual([]);
        if (nr !== '323') expect(officialErrors(xsd, buildRetour(heen, [], OPTS))).toEqual([]);
      });

      it(`${heenName} → ${retourName}: recognised as ${retourName} and passes the gateway's own rules`, () => {
        const root = parseToTree(buildRetour(heenOf(heenName), ['0001'], OPTS));
        const r = recognise(root);
        expect(r.ok && r.entry.name).toBe(retourName);
        if (!r.ok) return;
        const found = checkRules({
          entry: r.entry,
          root,
          today: new Date('2026-11-01T12:00:00Z'),
          gemeenten: loadGemeenten(),
        });
        expect(found.map((f) => `${f.rule.code}: ${f.violation.text}`)).toEqual([]);
      });

      it(`${heenName} → ${retourName}: header content, order and namespaces`, () => {
        const heen = heenOf(heenName);
        const heenHeader = child(heen.root, 'Header');
        const root = parseToTree(buildRetour(heen, ['0001', '8848', '0001'], OPTS));
        const retour = catalogue.byName(retourName)!;
        const header = child(root, 'Header');

        expect(root.ns).toBe(retour.namespace);
        expect(names(root)).toEqual(['Header']);
        expect(header?.ns).toBe(retour.namespace);
        for (const c of header?.children ?? []) expect(c.ns).toBe(retour.namespace);
        for (const c of [
          ...(child(header, 'BerichtIdentificatie')?.children ?? []),
          ...(child(header, 'XsdVersie')?.children ?? []),
        ]) {
          expect(c.ns).toBe(std.basis);
        }
        expect(text(header, 'BerichtCode')).toBe(retour.berichtCode);
        expect(text(header, 'BerichtVersie')).toBe('3');
        expect(text(header, 'BerichtSubversie')).toBe('2');
        expect(
          header?.children.filter((c) => c.name === 'RetourCodes').flatMap((c) => c.children.map((x) => x.text)),
        ).toEqual(['0001', '8848']);
        expect(text(header, 'XsltVersie')).toBe('1.0.0');

        if (nr === '323') {
          expect(names(header)).toEqual([
            'BerichtCode',
            'BerichtVersie',
            'BerichtSubversie',
            'Afzender',
            'Ontvanger',
            'BerichtIdentificatie',
            'XsdVersie',
            'DeclaratieIdentificatie',
            'XsltVersie',
            'XsdVersieDeclaratie',
            'RetourCodes',
          ]);
          expect(text(header, 'Afzender')).toBe(text(heenHeader, 'Ontvanger'));
          expect(text(header, 'Ontvanger')).toBe(text(heenHeader, 'Afzender'));
          expect(text(header, 'BerichtIdentificatie/Identificatie')).toBe(OPTS.identificatieRetour);
          expect(text(header, 'BerichtIdentificatie/Dagtekening')).toBe(OPTS.dagtekeningRetour);
          expect(text(header, 'XsdVersie/BasisschemaXsdVersie')).toBe('1.0.0');
          expect(text(header, 'XsdVersie/BerichtXsdVersie')).toBe('1.0.0');
          expect(text(header, 'DeclaratieIdentificatie/Identificatie')).toBe(
            text(heenHeader, 'BerichtIdentificatie/Identificatie'),
          );
          expect(text(header, 'DeclaratieIdentificatie/Dagtekening')).toBe(
            text(heenHeader, 'BerichtIdentificatie/Dagtekening'),
          );
          expect(text(header, 'XsdVersieDeclaratie/BasisschemaXsdVersie')).toBe(
            text(heenHeader, 'XsdVersie/BasisschemaXsdVersie'),
          );
          expect(text(header, 'XsdVersieDeclaratie/BerichtXsdVersie')).toBe(
            text(heenHeader, 'XsdVersie/BerichtXsdVersie'),
          );
          for (const c of [
            ...(child(header, 'DeclaratieIdentificatie')?.children ?? []),
            ...(child(header, 'XsdVersieDeclaratie')?.children ?? []),
          ]) {
            expect(c.ns).toBe(std.basis);
          }
        } else {
          expect(names(header)).toEqual([
            'BerichtCode',
            'BerichtVersie',
            'BerichtSubversie',
            'Afzender',
            'Ontvanger',
            'BerichtIdentificatie',
            'XsdVersie',
            'IdentificatieRetour',
            'DagtekeningRetour',
            'XsltVersie',
            'XsdVersieRetour',
            'RetourCodes',
          ]);
          for (const p of [
            'BerichtVersie',
            'BerichtSubversie',
            'Afzender',
            'Ontvanger',
            'BerichtIdentificatie/Identificatie',
            'BerichtIdentificatie/Dagtekening',
            'XsdVersie/BasisschemaXsdVersie',
            'XsdVersie/BerichtXsdVersie',
          ]) {
            expect(text(header, p), p).toBe(text(heenHeader, p));
          }
          expect(text(header, 'IdentificatieRetour')).toBe(OPTS.identificatieRetour);
          expect(text(header, 'DagtekeningRetour')).toBe(OPTS.dagtekeningRetour);
          expect(text(header, 'XsdVersieRetour/BasisschemaXsdVersie')).toBe('1.0.0');
          expect(text(header, 'XsdVersieRetour/BerichtXsdVersie')).toBe('1.0.0');
          for (const c of child(header, 'XsdVersieRetour')?.children ?? []) expect(c.ns).toBe(std.basis);
        }
      });
    }
  }

  it('leaves RetourCodes out of a retour when there are no codes, and XsltVersie when none is given', () => {
    const root = parseToTree(
      buildRetour(heenOf('WMO301'), [], { identificatieRetour: 'R1', dagtekeningRetour: '2026-11-01' }),
    );
    const header = child(root, 'Header');
    expect(child(header, 'RetourCodes')).toBeUndefined();
    expect(child(header, 'XsltVersie')).toBeUndefined();
  });

  it('refuses a 325 without RetourCodes (1..1 in the XSD)', () => {
    expect(() => buildRetour(heenOf('JW323'), [], OPTS)).toThrow(/at least one RetourCode/);
  });
});

describe('retour builder input', () => {
  // Only the header is read, so a header-only heen is enough here.
  const heen = {
    entry: catalogue.byName('WMO301')!,
    root: parseToTree(`<wmo301:Bericht xmlns:wmo301="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema" xmlns:iwmo="http://www.istandaarden.nl/iwmo/3_2/basisschema/schema">
  <wmo301:Header><wmo301:BerichtCode>414</wmo301:BerichtCode><wmo301:BerichtVersie>3</wmo301:BerichtVersie><wmo301:BerichtSubversie>2</wmo301:BerichtSubversie>
  <wmo301:Afzender>0384</wmo301:Afzender><wmo301:Ontvanger>42420001</wmo301:Ontvanger>
  <wmo301:BerichtIdentificatie><iwmo:Identificatie>A&amp;B&lt;C&gt;</iwmo:Identificatie><iwmo:Dagtekening>2026-10-01</iwmo:Dagtekening></wmo301:BerichtIdentificatie>
  <wmo301:XsdVersie><iwmo:BasisschemaXsdVersie>1.0.0</iwmo:BasisschemaXsdVersie><iwmo:BerichtXsdVersie>1.0.0</iwmo:BerichtXsdVersie></wmo301:XsdVersie></wmo301:Header>
</wmo301:Bericht>`),
  };

  it('escapes text and keeps it unchanged through a parse', () => {
    const xml = buildRetour(heen, ['0001'], { ...OPTS, identificatieRetour: 'x<&>"y' });
    expect(xml).toContain('A&amp;B&lt;C&gt;');
    const header = child(parseToTree(xml), 'Header');
    expect(text(header, 'BerichtIdentificatie/Identificatie')).toBe('A&B<C>');
    expect(text(header, 'IdentificatieRetour')).toBe('x<&>"y');
  });

  it('writes UTF-8 XML with CR LF line ends (OP192)', () => {
    const xml = buildRetour(heen, ['0001'], OPTS);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\r\n')).toBe(true);
    expect(xml.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('refuses what would not be a valid retour', () => {
    expect(() => buildRetour(heen, ['X001'], OPTS)).toThrow(/not an LDT_RetourCode/);
    expect(() => buildRetour(heen, ['0001'], { ...OPTS, identificatieRetour: '1234567890123' })).toThrow(
      /identificatieRetour/,
    );
    expect(() => buildRetour(heen, ['0001'], { ...OPTS, identificatieRetour: '  ' })).toThrow(/identificatieRetour/);
    expect(() => buildRetour(heen, ['0001'], { ...OPTS, dagtekeningRetour: '2026-02-30' })).toThrow(
      /dagtekeningRetour/,
    );
    expect(() => buildRetour(heen, ['0001'], { ...OPTS, xsltVersie: 'v1' })).toThrow(/xsltVersie/);
    expect(() => buildRetour({ ...heen, entry: catalogue.byName('WMO302')! }, ['0001'], OPTS)).toThrow(
      /not an iWmo\/iJw heenbericht/,
    );
    expect(() => buildRetour({ ...heen, root: parseToTree('<x/>') }, ['0001'], OPTS)).toThrow(/no BerichtVersie/);
  });
});
