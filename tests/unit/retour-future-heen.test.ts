/**
 * The retour to a heenbericht dated in the future (TR135, 8848) is dated on the gateway's own day, so before the
 * heen. HDR001 must accept exactly that retour (the one the gateway prescribes) and still refuse a retour dated
 * before its heen for any other reason.
 */
import { describe, expect, it } from 'vitest';
import { makeExample } from '../../src/examples/examples.ts';
import { BerichtValidator } from '../../src/validation/validator.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';

const NOW = new Date('2026-11-02T10:00:00Z');
const validator = new BerichtValidator(SchemaPacks.load(), { today: () => NOW });
const codes = (xml: string): string[] => validator.validate(Buffer.from(xml)).findings.map((f) => f.code);

/** The heen dated tomorrow, and the retour the validator builds for it. */
function futureHeenAndRetour(name: string): { heen: string; retour: string } {
  const heen = makeExample(name, { invalid: 'TR135', now: NOW });
  const v = validator.validate(Buffer.from(heen), { retour: true });
  expect(v.findings.map((f) => [f.code, f.retourcode])).toEqual([['TR135', '8848']]);
  expect(v.retour).toBeDefined();
  return { heen, retour: v.retour!.toString() };
}

describe('the retour to a heenbericht dated in the future (TR135)', () => {
  it.each(['WMO301', 'JW315', 'WMO317'])(
    '%s: the prescribed retour is dated today and passes its own rules',
    (name) => {
      const { retour } = futureHeenAndRetour(name);
      expect(retour).toMatch(/:RetourCode>8848</);
      expect(retour).toMatch(/DagtekeningRetour>2026-11-02</);
      expect(retour).toMatch(/Dagtekening>2026-11-03</);
      expect(codes(retour)).toEqual([]);
    },
  );

  it('WMO323: the 325 dated today, answering a declaratie dated tomorrow, passes its own rules', () => {
    const { retour } = futureHeenAndRetour('WMO323');
    expect(retour).toMatch(/<wmo325:RetourCode>8848</);
    expect(codes(retour)).toEqual([]);
  });

  it('a retour dated before its heen without 8848 is still refused by HDR001', () => {
    const { retour } = futureHeenAndRetour('WMO301');
    expect(codes(retour.replace('<wmo302:RetourCode>8848<', '<wmo302:RetourCode>0001<'))).toEqual(['HDR001']);
    const antwoord = futureHeenAndRetour('WMO323').retour;
    expect(codes(antwoord.replace('<wmo325:RetourCode>8848<', '<wmo325:RetourCode>0001<'))).toEqual(['HDR001']);
  });
});
