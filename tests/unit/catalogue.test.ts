import { describe, expect, it } from 'vitest';
import { Catalogue, catalogue } from '../../src/catalogue/catalogue.ts';
import { recognise, rootStep } from '../../src/catalogue/recognise.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { parseToTree } from '../../src/xml/parse.ts';

const count = (standard: string) => catalogue.entries.filter((e) => e.standard === standard).length;

describe('message catalogue', () => {
  it('has every message of standards.md', () => {
    expect(count('iwmo')).toBe(14);
    expect(count('ijw')).toBe(14);
    expect(count('ieb')).toBe(4);
    expect(count('ipgb')).toBe(8);
    expect(count('stuf-jz')).toBe(13);
    expect(catalogue.entries.filter((e) => e.standard === 'stuf').map((e) => e.name)).toEqual([
      'Bv01',
      'Bv03',
      'Fo01',
      'Fo03',
    ]);
    expect(catalogue.entries.filter((e) => e.standard === 'ggk').map((e) => e.name)).toEqual(['ggk_Di01', 'ggk_Du01']);
  });

  it('pairs every heenbericht with its retour, the answer code being the heen code + 1', () => {
    for (const e of catalogue.entries.filter(
      (x) => (x.standard === 'iwmo' || x.standard === 'ijw') && x.direction === 'heen',
    )) {
      const r = catalogue.retourOf(e)!;
      expect(r.answers).toBe(e.name);
      expect(Number(r.berichtCode)).toBe(Number(e.berichtCode) + 1);
      expect(catalogue.heenOf(r)).toBe(e);
    }
    expect(catalogue.retourOf(catalogue.byName('WMO323')!)!.name).toBe('WMO325');
    expect(catalogue.retourOf(catalogue.byName('WMO405')!)!.name).toBe('WMO406');
  });

  it('every confirmed message has a compiled schema in the loaded packs', () => {
    const packs = SchemaPacks.load();
    const missing = catalogue.entries.filter((e) => e.status === 'C' && !packs.has(e.schema)).map((e) => e.name);
    packs.dispose();
    expect(missing).toEqual([]);
  });
});

describe('recognition', () => {
  const ns = (m: string) => `http://www.istandaarden.nl/iwmo/3_2/${m}/schema`;
  const bericht = (namespace: string, code: string, root = 'Bericht') =>
    parseToTree(`<${root} xmlns="${namespace}"><Header><BerichtCode>${code}</BerichtCode></Header></${root}>`);

  it('recognises from namespace and BerichtCode', () => {
    const r = recognise(bericht(ns('wmo301'), '414'));
    expect(r.ok && r.entry.name).toBe('WMO301');
  });

  it('names the message a mismatching BerichtCode belongs to', () => {
    const r = recognise(bericht(ns('wmo301'), '415'));
    expect(r).toMatchObject({ ok: false, code: 'BERICHTCODE_MISMATCH' });
    expect(!r.ok && r.reason).toMatch(/415 is the code of WMO302/);
  });

  it('refuses another release of a confirmed standard, an unknown message and a wrong root', () => {
    expect(recognise(bericht('http://www.istandaarden.nl/iwmo/3_1/wmo301/schema', '414'))).toMatchObject({
      ok: false,
      code: 'UNSUPPORTED_RELEASE',
    });
    expect(recognise(bericht(ns('wmo303'), '416'))).toMatchObject({ ok: false, code: 'UNKNOWN_NAMESPACE' });
    expect(recognise(bericht(ns('wmo301'), '414', 'Message'))).toMatchObject({ ok: false, code: 'UNKNOWN_ROOT' });
  });

  it('recognises StUF-JZ roots by name and checks berichtcode and functie', () => {
    const jz = 'http://www.stufstandaarden.nl/koppelvlak/jz0100';
    const stuf = 'http://www.egem.nl/StUF/StUF0301';
    const doc = (code: string, functie: string) =>
      parseToTree(
        `<vtoDi01 xmlns="${jz}" xmlns:S="${stuf}"><stuurgegevens><S:berichtcode>${code}</S:berichtcode><S:functie>${functie}</S:functie></stuurgegevens></vtoDi01>`,
      );
    const ok = recognise(doc('Di01', 'vtoDi01'));
    expect(ok.ok && ok.entry.name).toBe('vtoDi01');
    expect(recognise(doc('Du01', 'vtoDi01'))).toMatchObject({ ok: false, code: 'STUF_BERICHTCODE_MISMATCH' });
    expect(recognise(doc('Di01', 'notificatieDi01'))).toMatchObject({ ok: false, code: 'FUNCTIE_MISMATCH' });
    expect(recognise(parseToTree(`<fooDi01 xmlns="${jz}"/>`))).toMatchObject({ ok: false, code: 'UNKNOWN_ROOT' });
  });

  it('works out a root (namespace, local name) once per catalogue: the same entry, and the same answer each time', () => {
    const first = recognise(bericht(ns('wmo301'), '414'));
    const again = recognise(bericht(ns('wmo301'), '414'));
    expect(first.ok && again.ok && again.entry === first.entry).toBe(true);
    expect(again.ok && again.entry).toBe(catalogue.byName('WMO301'));
    expect(rootStep(ns('wmo301'), 'Bericht')).toBe(rootStep(ns('wmo301'), 'Bericht'));
    // What the cache keeps is the root's part; the BerichtCode is still read from each bericht.
    expect(recognise(bericht(ns('wmo301'), '415'))).toMatchObject({ ok: false, code: 'BERICHTCODE_MISMATCH' });
    expect(recognise(bericht(ns('wmo301'), '414')).ok).toBe(true);
    // A refusal names the element of the bericht at hand, with the same reason as before.
    const a = bericht(ns('wmo303'), '416');
    const b = bericht(ns('wmo303'), '416');
    const [ra, rb] = [recognise(a), recognise(b)];
    expect(!ra.ok && !rb.ok && ra.node === a && rb.node === b && ra.reason === rb.reason).toBe(true);
    // Per catalogue: one without WMO301 does not answer from the default catalogue's cache.
    const without = new Catalogue(catalogue.entries.filter((e) => e.name !== 'WMO301'));
    expect(recognise(bericht(ns('wmo301'), '414'), without)).toMatchObject({ ok: false, code: 'UNKNOWN_NAMESPACE' });
    expect(recognise(bericht(ns('wmo301'), '414')).ok).toBe(true);
  });

  it('keeps answering roots past the cache bound (made-up namespaces are not all kept)', () => {
    const cat = new Catalogue(catalogue.entries);
    for (let i = 0; i < 600; i++) {
      expect(recognise(parseToTree(`<r${i} xmlns="urn:made-up:${i}"/>`), cat)).toMatchObject({
        ok: false,
        code: 'UNKNOWN_NAMESPACE',
        reason: `root element {urn:made-up:${i}}r${i} is in a namespace no known standard uses`,
      });
    }
    const r = recognise(bericht(ns('wmo301'), '414'), cat);
    expect(r.ok && r.entry.name).toBe('WMO301');
  });
});
