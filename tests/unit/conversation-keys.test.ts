/**
 * Correlation keys, parties and route keys for every flow (standards.md §4, §5), and who may answer
 * (src/pipeline/identity.ts, src/pipeline/answerer.ts). A retour's key must be the key its heenbericht is
 * stored under: the heen's (messageName, Afzender, Identificatie, Dagtekening), with the chain party (CAK, SVB)
 * standing in where an iEb/iPgb header leaves it out.
 */
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../src/catalogue/catalogue.ts';
import { extractHeader, type HeaderFacts } from '../../src/catalogue/header.ts';
import { build, type ModelledName } from '../../src/examples/ieb-ipgb.ts';
import { build as buildJz } from '../../src/examples/stuf-jz.ts';
import { answerRefusal } from '../../src/pipeline/answerer.ts';
import { caseFacts } from '../../src/pipeline/case-reference.ts';
import { correlationKey, dedupKey, headerParties, partiesOf, routeKey } from '../../src/pipeline/identity.ts';
import type { StoredMessage } from '../../src/store/types.ts';
import { parseToTree } from '../../src/xml/parse.ts';

const entry = (name: string) => catalogue.byName(name)!;
const header = (name: string, xml: string) => extractHeader(entry(name), parseToTree(xml));
const modelled = (name: ModelledName) => header(name, build(name, { gemeente: '0384', identificatie: 'K-1' }));

/** The key a stored heenbericht is found under: its name and stored Afzender (chain party filled in). */
function heenKey(name: string, h: HeaderFacts) {
  return {
    scope: 'istd',
    messageName: name,
    afzender: headerParties(entry(name), h).afzender,
    identificatie: h.identificatie,
    dagtekening: h.dagtekening,
  };
}

describe('correlation keys for every flow', () => {
  it.each([
    ['WMO302', 'WMO301', '0384', '42420001'],
    ['WMO306', 'WMO305', '42420001', '0384'],
    ['JW308', 'JW307', '65656055', '0363'],
    ['WMO316', 'WMO315', '42420001', '0384'],
    ['JW318', 'JW317', '42420001', '0384'],
    ['WMO320', 'WMO319', '0384', '42420001'],
  ])(
    '%s → %s: the copied header is the heen key; it goes from the heen’s Ontvanger back to its Afzender',
    (retour, heen, afzender, ontvanger) => {
      const h: HeaderFacts = {
        afzender,
        ontvanger,
        identificatie: 'ID-1',
        dagtekening: '2026-10-15',
        identificatieRetour: 'R-1',
      };
      expect(correlationKey(entry(retour), h)).toEqual({
        scope: 'istd',
        messageName: heen,
        afzender,
        identificatie: 'ID-1',
        dagtekening: '2026-10-15',
      });
      expect(partiesOf(entry(retour), h)).toEqual({ from: ontvanger, to: afzender });
      expect(dedupKey(entry(retour), h)).toEqual({ scope: 'istd', sender: ontvanger, identificatie: 'R-1' });
      expect(routeKey(entry(retour), h)).toMatchObject({ direction: 'retour', afzender, ontvanger });
    },
  );

  it('WMO325 → WMO323 through DeclaratieIdentificatie; it routes on its Ontvanger only', () => {
    const h: HeaderFacts = {
      afzender: '0384',
      ontvanger: '65656055',
      identificatie: 'A-1',
      dagtekening: '2026-10-20',
      declaratieIdentificatie: 'D-1',
      declaratieDagtekening: '2026-10-15',
    };
    expect(correlationKey(entry('WMO325'), h)).toEqual({
      scope: 'istd',
      messageName: 'WMO323',
      afzender: '65656055',
      identificatie: 'D-1',
      dagtekening: '2026-10-15',
    });
    expect(partiesOf(entry('WMO325'), h)).toEqual({ from: '0384', to: '65656055' });
    const key = routeKey(entry('WMO325'), h);
    expect(key).toEqual({ standard: 'iwmo', message: 'WMO325', direction: 'retour', ontvanger: '65656055' });
  });

  it.each([
    ['WMO406', 'WMO405', 'CAK'],
    ['WMO408', 'WMO407', 'CAK'],
    ['WMO502', 'WMO501', 'SVB'],
    ['JW502', 'JW501', 'SVB'],
  ] as const)(
    '%s → %s: the heen has no Ontvanger, the %s stands in; the retour goes from it to the gemeente',
    (retour, heen, chain) => {
      const heenHeader = modelled(heen);
      expect(headerParties(entry(heen), heenHeader)).toEqual({ afzender: '0384', ontvanger: chain });
      expect(correlationKey(entry(retour), modelled(retour))).toEqual(heenKey(heen, heenHeader));
      expect(partiesOf(entry(retour), modelled(retour))).toEqual({ from: chain, to: '0384' });
      expect(routeKey(entry(heen), heenHeader)).toMatchObject({ ontvanger: chain });
      expect(routeKey(entry(retour), modelled(retour))).toMatchObject({ afzender: '0384' });
    },
  );

  it.each([
    ['WMO508', 'WMO507'],
    ['JW508', 'JW507'],
  ] as const)('%s → %s: a BAB header has no Afzender; the SVB stands in on both sides', (retour, heen) => {
    const heenHeader = modelled(heen);
    expect(heenHeader.afzender).toBeUndefined();
    expect(headerParties(entry(heen), heenHeader)).toEqual({ afzender: 'SVB', ontvanger: '0384' });
    expect(correlationKey(entry(retour), modelled(retour))).toEqual({
      scope: 'istd',
      messageName: heen,
      afzender: 'SVB',
      identificatie: 'K-1',
      dagtekening: heenHeader.dagtekening,
    });
    expect(partiesOf(entry(retour), modelled(retour))).toEqual({ from: '0384', to: 'SVB' });
    // The 508 goes to the SVB: a retour-on-Afzender route for the gemeente never catches it.
    expect(routeKey(entry(retour), modelled(retour))).toMatchObject({
      direction: 'retour',
      afzender: 'SVB',
      ontvanger: '0384',
    });
  });

  it('StUF Bv01/Fo01 → VTO by crossRefnummer from the zender it answers', () => {
    const fo01: HeaderFacts = { afzender: 'RVDK', ontvanger: '0384', referentienummer: 'r-2', crossRefnummer: 'r-1' };
    expect(correlationKey(entry('Fo01'), fo01)).toEqual({ scope: 'stuf', zender: '0384', referentienummer: 'r-1' });
    expect(partiesOf(entry('Fo01'), fo01)).toEqual({ from: 'RVDK', to: '0384' });
  });

  it('StUF-JZ terugkoppeling and uitkomst are Di01 heenberichten of their own (no crossRefnummer), sent by the gemeente or VT', () => {
    for (const name of ['zorgmeldingTerugkoppelingDi01', 'vtTerugkoppelingDi01', 'uitkomstMeldingGeneriekDi01']) {
      const e = entry(name);
      expect(e.direction, name).toBe('heen');
      expect(e.answers, name).toBeUndefined();
      expect(correlationKey(e, header(name, buildJz(name as Parameters<typeof buildJz>[0]))), name).toBeNull();
    }
    expect(entry('zorgmeldingTerugkoppelingDi01').sender).toContain('gemeente');
    expect(entry('uitkomstMeldingGeneriekDi01').sender).toContain('gemeente');
    // Only the verrijkingsverzoek answers carry a crossRefnummer: they stay retours.
    expect(entry('ucobDi01')).toMatchObject({ direction: 'retour', answers: 'vcobDi01' });
  });
});

describe('StUF-JZ terugkoppeling and uitkomst find their melding through case data', () => {
  it.each([
    ['zorgmeldingDi01', 'zorgmeldingTerugkoppelingDi01'],
    ['vtMeldingDi01', 'vtTerugkoppelingDi01'],
    ['meldingGeneriekDi01', 'uitkomstMeldingGeneriekDi01'],
  ] as const)(
    '%s ← %s: the key the melding opens is the one the answer names, looked up from the melder',
    (opener, follower) => {
      const openerXml = buildJz(opener);
      const openerFacts = caseFacts(entry(opener), header(opener, openerXml), new TextEncoder().encode(openerXml));
      expect(openerFacts.caseRef).toMatch(/^[0-9a-f]{64}$/);
      const followerXml = buildJz(follower);
      const h = header(follower, followerXml);
      const facts = caseFacts(entry(follower), h, new TextEncoder().encode(followerXml));
      expect(facts.lookups).toEqual([
        { scope: 'case', zender: h.ontvanger, messageName: opener, caseRef: openerFacts.caseRef },
      ]);
      // The melder sent the melding: the answer's ontvanger is the melding's zender.
      expect(h.ontvanger).toBe(header(opener, openerXml).afzender);
    },
  );
});

describe('who may answer', () => {
  const stored = (m: Partial<StoredMessage>): StoredMessage =>
    ({
      id: 'heen-1',
      messageName: 'WMO301',
      direction: 'heen',
      afzender: '0363',
      ontvanger: '42420001',
      answeredBy: null,
      ...m,
    }) as StoredMessage;
  const noStore = { getMessage: async () => null };
  const wmo302 = (ontvanger: string): HeaderFacts => ({
    afzender: '0363',
    ontvanger,
    identificatie: 'ID',
    dagtekening: '2026-10-15',
    identificatieRetour: 'R',
  });
  const refusal = (h: HeaderFacts, senderCodes: string[], heen = stored({}), name = 'WMO302') =>
    answerRefusal(noStore, { entry: entry(name), header: h, heen, senderCodes, foundBy: 'key' }).then(
      (r) => r?.code ?? null,
    );

  it('lets the addressee answer, with the header copied unchanged', async () => {
    expect(await refusal(wmo302('42420001'), ['42420001'])).toBeNull();
  });
  it('refuses another aanbieder (NOT_THE_ADDRESSEE), also one that may send as anyone but changed the header (ANSWER_PARTIES_MISMATCH)', async () => {
    expect(await refusal(wmo302('65656055'), ['65656055'])).toBe('NOT_THE_ADDRESSEE');
    expect(await refusal(wmo302('65656055'), ['*'])).toBe('ANSWER_PARTIES_MISMATCH');
  });
  it('checks a StUF answer’s zender against the answered message’s ontvanger', async () => {
    const vto = stored({ messageName: 'vtoDi01', afzender: '0384', ontvanger: 'RVDK' });
    const bv01 = (zender: string): HeaderFacts => ({
      afzender: zender,
      ontvanger: '0384',
      referentienummer: 'b',
      crossRefnummer: 'a',
    });
    expect(await refusal(bv01('RVDK'), ['*'], vto, 'Bv01')).toBeNull();
    expect(await refusal(bv01('POLITIE'), ['*'], vto, 'Bv01')).toBe('ANSWER_PARTIES_MISMATCH');
  });
  it('refuses a second retour (RETOUR_ALREADY_RECEIVED) but not a resend of the first', async () => {
    const first = stored({
      id: 'retour-1',
      messageName: 'WMO302',
      direction: 'retour',
      dedup: { scope: 'istd', sender: '42420001', identificatie: 'R' },
    });
    const store = { getMessage: async (id: string) => (id === 'retour-1' ? first : null) };
    const answered = stored({ answeredBy: 'retour-1' });
    const check = (h: HeaderFacts) =>
      answerRefusal(store, {
        entry: entry('WMO302'),
        header: h,
        heen: answered,
        senderCodes: ['42420001'],
        foundBy: 'key',
      });
    expect(await check(wmo302('42420001'))).toBeNull();
    expect((await check({ ...wmo302('42420001'), identificatieRetour: 'R2' }))?.code).toBe('RETOUR_ALREADY_RECEIVED');
  });
  it('a StUF answer found by our own message id (GGK Fo01): only the party is checked', async () => {
    const fo01: HeaderFacts = { afzender: 'GGK', ontvanger: '0363', referentienummer: 'f', crossRefnummer: 'heen-1' };
    const check = (codes: string[]) =>
      answerRefusal(noStore, {
        entry: entry('Fo01'),
        header: fo01,
        heen: stored({}),
        senderCodes: codes,
        foundBy: 'message-id',
      }).then((r) => r?.code ?? null);
    expect(await check(['*'])).toBeNull();
    expect(await check(['42420001'])).toBeNull();
    expect(await check(['65656055'])).toBe('NOT_THE_ADDRESSEE');
  });
});
