/**
 * The GGK envelope (src/stuf/ggk-envelope.ts): wrap → unwrap gives the payload back byte for byte; Di01 and Du01 are
 * valid against the project's ggk-0310 pack and against the official StUF-GGK XSD (skipped, visibly, without the
 * reference); options the chain refuses, and envelopes over 25 MB, are refused with typed errors; the validator
 * judges both layers and the chain's UUID v4 rule (IB009).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { build, TODAY } from '../../src/examples/ieb-ipgb.ts';
import {
  EnvelopeError,
  EnvelopeInvalidError,
  EnvelopeTooLargeError,
  GGK_MAX_ENVELOPE_BYTES,
  unwrap,
  type WrapOptions,
  wrap,
} from '../../src/stuf/ggk-envelope.ts';
import { UUID_V4 } from '../../src/stuf/stuurgegevens.ts';
import { BerichtValidator } from '../../src/validation/validator.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { officialVerdict } from '../helpers/official.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

const OFFICIAL_ENVELOPE_XSD = 'stuf-ggk0310/ggk0310_21/ggkberichten/ggk0310_msg.xsd';
const hasGgkReference = hasReference && fs.existsSync(path.join(referenceDir, OFFICIAL_ENVELOPE_XSD));
if (!hasGgkReference) console.warn(`SKIPPED parts of unit/ggk-envelope (official StUF-GGK XSD): ${skipReason}`);

const VERSIONS = {
  applicatieVersie: '0001',
  applicatieSubversie: '0000',
  functieVersie: '0003',
  functieSubversie: '0002',
};
const heen = (over: Partial<WrapOptions> = {}): WrapOptions => ({
  zender: { organisatie: '0363', applicatie: 'Schakel' },
  ontvanger: { organisatie: 'CAK' },
  functie: 'WMO405',
  referentienummerBericht: 'WMO405-0001',
  versions: VERSIONS,
  ...over,
});
const retour = (crossRefnummer: string, over: Partial<WrapOptions> = {}): WrapOptions => ({
  zender: { organisatie: 'CAK', applicatie: 'CAK-Berichten', administratie: 'eb', gebruiker: 'batch' },
  ontvanger: { organisatie: '0363' },
  functie: 'WMO406',
  crossRefnummer,
  crossRefnummerBericht: 'WMO405-0001',
  referentienummerBericht: 'R-0001',
  versions: VERSIONS,
  ...over,
});

/** Every byte value, a UTF-8 BOM and CR LF: what a careless transport would damage. */
const AWKWARD = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from('<a>\r\n€ é</a>\r\n'),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
]);

describe('GGK envelope', () => {
  let packs: SchemaPacks;
  let validator: BerichtValidator;
  beforeAll(() => {
    packs = SchemaPacks.load();
    validator = new BerichtValidator(packs, { today: () => TODAY });
  });

  describe('wrap → unwrap', () => {
    const payloads: [string, Buffer][] = [
      ['an iEb WMO405', Buffer.from(build('WMO405'))],
      ['bytes of every value, with a BOM and CR LF', AWKWARD],
      ['a single byte', Buffer.from([0])],
      ['two bytes (base64 padding)', Buffer.from([1, 2])],
    ];
    for (const [label, payload] of payloads) {
      it(`gives ${label} back byte for byte (Di01 and Du01)`, () => {
        const di01 = unwrap(wrap(payload, heen()), packs);
        expect(di01.payload.equals(payload)).toBe(true);
        const du01 = unwrap(wrap(payload, retour(di01.stuurgegevens.referentienummer)), packs);
        expect(du01.payload.equals(payload)).toBe(true);
      });
    }

    it('reads back the stuurgegevens and parameters it wrote', () => {
      const tijdstip = new Date('2026-10-15T07:30:00.123Z');
      const di01 = unwrap(
        wrap(
          Buffer.from('<x/>'),
          heen({
            tijdstip,
            bestandsnaam: 'WMO405.xml',
            zender: { organisatie: '0363', applicatie: 'Wmo & Jeugd <test>' },
          }),
        ),
        packs,
      );
      expect(di01.message).toBe('ggk_Di01');
      expect(di01.stuurgegevens).toEqual({
        berichtcode: 'Di01',
        zender: { organisatie: '0363', applicatie: 'Wmo & Jeugd <test>' },
        ontvanger: { organisatie: 'CAK', applicatie: 'GGk' },
        referentienummer: expect.stringMatching(UUID_V4),
        tijdstipBericht: '20261015093000123',
        functie: 'WMO405',
      });
      expect(di01.parameters).toEqual({
        referentienummerBericht: 'WMO405-0001',
        ...VERSIONS,
        contentType: 'application/xml',
        bestandsnaam: 'WMO405.xml',
      });

      const du01 = unwrap(wrap(Buffer.from('<y/>'), retour(di01.stuurgegevens.referentienummer)), packs);
      expect(du01.message).toBe('ggk_Du01');
      expect(du01.stuurgegevens).toMatchObject({
        berichtcode: 'Du01',
        zender: { organisatie: 'CAK', applicatie: 'CAK-Berichten', administratie: 'eb', gebruiker: 'batch' },
        crossRefnummer: di01.stuurgegevens.referentienummer,
        functie: 'WMO406',
      });
      expect(du01.parameters).toMatchObject({
        referentienummerBericht: 'R-0001',
        crossRefnummerBericht: 'WMO405-0001',
      });
      expect(du01.stuurgegevens.referentienummer).not.toBe(di01.stuurgegevens.referentienummer);
    });

    it('keeps a given referentienummer (a resend reuses it)', () => {
      const referentienummer = '3f0c2a4e-8b1d-4c6f-9a2e-5d7b8c9d0e1f';
      expect(unwrap(wrap(Buffer.from('<x/>'), heen({ referentienummer })), packs).stuurgegevens.referentienummer).toBe(
        referentienummer,
      );
    });
  });

  describe('validity', () => {
    const envelopes = () => {
      const di01 = wrap(Buffer.from(build('WMO405')), heen());
      const ref = /<StUF:referentienummer>([^<]+)</.exec(di01)![1]!;
      return { di01, du01: wrap(Buffer.from(build('WMO406')), retour(ref)) };
    };

    it('Di01 and Du01 are valid against the project pack, and so are their payloads', () => {
      for (const [name, xml, payload] of [
        ['ggk_Di01', envelopes().di01, 'WMO405'],
        ['ggk_Du01', envelopes().du01, 'WMO406'],
      ] as const) {
        const v = validator.validate(Buffer.from(xml));
        expect(v).toMatchObject({ message: name, standard: 'ggk', xsdValid: true, valid: true, findings: [] });
        expect(v.payload).toMatchObject({ message: payload, valid: true, findings: [] });
      }
    });

    it.skipIf(!hasGgkReference)('Di01 and Du01 are valid against the official StUF-GGK XSD', () => {
      const { di01, du01 } = envelopes();
      expect(officialVerdict(OFFICIAL_ENVELOPE_XSD, di01)).toBe(true);
      expect(officialVerdict(OFFICIAL_ENVELOPE_XSD, du01)).toBe(true);
      // Negative control: the official XSD does refuse an envelope without xmime:contentType.
      expect(officialVerdict(OFFICIAL_ENVELOPE_XSD, di01.replace(/ xmime:contentType="[^"]*"/, ''))).toBe(false);
    });

    it('the validator reports a payload error under the envelope, and the envelope as invalid', () => {
      const v = validator.validate(
        Buffer.from(
          wrap(
            Buffer.from(
              build('WMO405', {
                ieb: [{ bsn: '999990010', periods: [{ nummer: '1', start: '2026-09-01', status: '1' }] }],
              }),
            ),
            heen(),
          ),
        ),
      );
      expect(v).toMatchObject({ message: 'ggk_Di01', xsdValid: true, valid: false, findings: [] });
      expect(v.payload?.findings.map((f) => f.code)).toEqual(['CS002']);
    });

    it('IB009: a referentienummer that is not a UUID v4 is the chain rule IB009, not a schema error', () => {
      const v1 = wrap(Buffer.from('<x/>'), heen()).replace(
        /<StUF:referentienummer>[^<]+</,
        '<StUF:referentienummer>9c0f7b90-5c69-11e5-a837-0800200c9a66<',
      );
      const upper = wrap(
        Buffer.from('<x/>'),
        heen({ referentienummer: '3f0c2a4e-8b1d-4c6f-9a2e-5d7b8c9d0e1f' }),
      ).replace('3f0c2a4e-8b1d-4c6f-9a2e-5d7b8c9d0e1f', '3F0C2A4E-8B1D-4C6F-9A2E-5D7B8C9D0E1F');
      for (const xml of [v1, upper]) {
        const v = validator.validate(Buffer.from(xml));
        expect(v.xsdValid).toBe(true);
        expect(v.findings.map((f) => [f.code, f.retourcode])).toEqual([['IB009', 'IB009']]);
      }
    });

    it.skipIf(!hasGgkReference)('IB009 flags the official example Di01 (its referentienummer is a UUID v1)', () => {
      const v = validator.validate(
        fs.readFileSync(path.join(referenceDir, 'stuf-ggk0310/ggk0310_21/ggkberichten/ggk_Di01.xml')),
      );
      expect(v.xsdValid).toBe(true);
      expect(v.findings.map((f) => f.code)).toEqual(['IB009']);
    });
  });

  describe('refusals', () => {
    it('refuses options the envelope schema or the chain would refuse', () => {
      const refused: [string, WrapOptions, RegExp][] = [
        ['a referentienummer that is no UUID v4', heen({ referentienummer: 'REF-1' }), /UUID v4/],
        ['a retour in a Di01', heen({ functie: 'WMO406' }), /WMO406 is a retour/],
        [
          'a heen in a Du01',
          retour('3f0c2a4e-8b1d-4c6f-9a2e-5d7b8c9d0e1f', { functie: 'WMO405' }),
          /WMO405 is a heenbericht/,
        ],
        [
          'crossRefnummerBericht in a Di01',
          heen({ crossRefnummerBericht: 'X' }),
          /crossRefnummerBericht belongs in a Du01/,
        ],
        [
          'an applicatie of two characters',
          heen({ zender: { organisatie: '0363', applicatie: 'ab' } }),
          /zender.applicatie/,
        ],
        [
          'a version of three digits',
          heen({ versions: { ...VERSIONS, functieVersie: '003' } }),
          /functieVersie must be four digits/,
        ],
        ['a functie of 31 characters', heen({ functie: 'F'.repeat(31) }), /functie must be 1–30/],
      ];
      for (const [label, opts, message] of refused) {
        expect(() => wrap(Buffer.from('<x/>'), opts), label).toThrow(message);
        expect(() => wrap(Buffer.from('<x/>'), opts), label).toThrow(EnvelopeError);
      }
      expect(() => wrap(Buffer.alloc(0), heen())).toThrow(/empty/);
    });

    it('refuses an envelope over 25 MB with a typed error, and accepts one just under', () => {
      const tooBig = (bytes: number) => {
        try {
          wrap(Buffer.alloc(bytes, 0x41), heen());
          return undefined;
        } catch (e) {
          return e;
        }
      };
      // Base64 alone over the limit: refused before encoding.
      const early = tooBig(19_000_000);
      expect(early).toBeInstanceOf(EnvelopeTooLargeError);
      expect(early).toMatchObject({ code: 'ENVELOPE_TOO_LARGE', limit: GGK_MAX_ENVELOPE_BYTES });
      // Base64 just under the limit, the envelope around it over it.
      const late = tooBig(18_749_925);
      expect(late).toBeInstanceOf(EnvelopeTooLargeError);
      expect((late as EnvelopeTooLargeError).size).toBeGreaterThan(GGK_MAX_ENVELOPE_BYTES);
      const fits = wrap(Buffer.alloc(18_740_000, 0x41), heen());
      expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(GGK_MAX_ENVELOPE_BYTES);
    });

    it('unwrap refuses what is not a valid envelope, before reading it', () => {
      const good = wrap(Buffer.from('<x/>'), heen());
      const bad: [string, string, RegExp][] = [
        ['not XML', '<a><b></a>', /not readable as XML/],
        ['a bericht that is no envelope', build('WMO405'), /not a GGK envelope: it is a WMO405/],
        [
          'an envelope without xmime:contentType',
          good.replace(/ xmime:contentType="[^"]*"/, ''),
          /not valid against its schema/,
        ],
        [
          'an envelope with a three-digit version',
          good.replace('<GGK:functieVersie>0003<', '<GGK:functieVersie>003<'),
          /not valid against its schema/,
        ],
        [
          'an envelope whose bericht is no base64',
          good.replace(/(<GGK:bericht[^>]*>)[^<]+</, '$1not base64!<'),
          /not valid against its schema/,
        ],
      ];
      for (const [label, xml, message] of bad) {
        expect(() => unwrap(xml, packs), label).toThrow(EnvelopeInvalidError);
        expect(() => unwrap(xml, packs), label).toThrow(message);
      }
    });
  });
});
