/**
 * Issue #15, tenancy: the gemeente and flow each bericht is stored with (from real examples, through the same
 * recognition and header reading as the pipeline), grants in configuration and the scope they give.
 */
import { describe, expect, it } from 'vitest';
import { grantsOf } from '../../src/beheer/grants.ts';
import { covers, highestRole, isEverything, scopeOf } from '../../src/beheer/scope.ts';
import { extractHeader } from '../../src/catalogue/header.ts';
import { recognise } from '../../src/catalogue/recognise.ts';
import { beheerConfig } from '../../src/config/beheer.ts';
import { makeExample, retourOf } from '../../src/examples/examples.ts';
import { build } from '../../src/examples/ieb-ipgb.ts';
import { messageFacts } from '../../src/pipeline/message-facts.ts';
import { answeringTenancy, flowOf, gemeenteOf } from '../../src/pipeline/tenancy.ts';
import { parseToTree } from '../../src/xml/parse.ts';

const HASH = `scrypt:${'a'.repeat(22)}:${'b'.repeat(86)}`;
const NOW = new Date('2026-11-01T12:00:00');

function factsOf(xml: string) {
  const root = parseToTree(xml);
  const r = recognise(root);
  if (!r.ok) throw new Error('not recognised');
  const f = messageFacts(r.entry, extractHeader(r.entry, root));
  return [f.messageName, f.gemeente, f.flow];
}

describe('the gemeente and flow of a bericht', () => {
  it('iWmo/iJw: the gemeente is the Afzender of a heen from a gemeente, the Ontvanger of one from an aanbieder', () => {
    expect(factsOf(makeExample('WMO301', { afzender: '0384', now: NOW }))).toEqual(['WMO301', '0384', 'wmo']);
    expect(factsOf(makeExample('JW301', { afzender: '0437', ontvanger: '65656055', now: NOW }))).toEqual([
      'JW301',
      '0437',
      'jeugd',
    ]);
    // A WMO315 (aanvraag) goes from the aanbieder to the gemeente.
    expect(factsOf(makeExample('WMO315', { afzender: '42420001', ontvanger: '0363', now: NOW }))).toEqual([
      'WMO315',
      '0363',
      'wmo',
    ]);
  });

  it("a retour copies the heen's header and so names the heen's gemeente", () => {
    const heen = makeExample('WMO301', { afzender: '0384', now: NOW });
    expect(factsOf(retourOf(heen, '2026-11-01'))).toEqual(['WMO302', '0384', 'wmo']);
  });

  it('iEb and iPgb: the gemeente against CAK or SVB', () => {
    expect(factsOf(build('WMO405'))).toEqual(['WMO405', '0363', 'eigen-bijdrage']);
    expect(factsOf(build('WMO406'))).toEqual(['WMO406', '0363', 'eigen-bijdrage']);
    expect(factsOf(build('WMO501'))).toEqual(['WMO501', '0363', 'pgb']);
    expect(factsOf(build('JW507'))).toEqual(['JW507', '0363', 'pgb']);
  });

  it('StUF-JZ: jeugdbescherming, the gemeente when a party organisatie is a gemeentecode', () => {
    expect(factsOf(makeExample('vtoDi01', { afzender: '0363', now: NOW }))).toEqual([
      'vtoDi01',
      '0363',
      'jeugdbescherming',
    ]);
  });

  it('rules: four digits only; a StUF answer takes the flow of its party or of what it answers', () => {
    expect(gemeenteOf('42420001', '0363')).toBe('0363');
    expect(gemeenteOf('RC0329', '00000099000000020001')).toBeNull();
    expect(gemeenteOf('03630', null)).toBeNull();
    expect(flowOf('stuf', 'CAK', '0363')).toBe('eigen-bijdrage');
    expect(flowOf('stuf', '0363', 'SVB')).toBe('pgb');
    expect(flowOf('stuf', 'RC0329', 'x')).toBe('jeugdbescherming');
    const fo: { standard: 'stuf'; gemeente: string | null; flow: 'jeugdbescherming' } = {
      standard: 'stuf',
      gemeente: null,
      flow: 'jeugdbescherming',
    };
    expect(answeringTenancy(fo, { gemeente: '0384', flow: 'pgb' })).toMatchObject({ gemeente: '0384', flow: 'pgb' });
    expect(answeringTenancy(fo, null)).toBe(fo);
  });
});

describe('grants in configuration and the scope they give', () => {
  const parse = (users: unknown) => beheerConfig.safeParse({ users });

  it('a user has a role or grants, never both, never neither; gemeenten are four digits, flows known', () => {
    expect(parse([{ name: 'a', role: 'viewer', passwordHash: HASH }]).success).toBe(true);
    const granted = parse([
      { name: 'b', grants: [{ role: 'beheerder', gemeenten: ['0363'], flows: ['wmo'] }], passwordHash: HASH },
    ]);
    expect(granted.success).toBe(true);
    const both = parse([
      { name: 'c', role: 'viewer', grants: [{ role: 'viewer', gemeenten: '*', flows: '*' }], passwordHash: HASH },
    ]);
    expect(both.success).toBe(false);
    expect(both.error?.issues[0]?.message).toBe('give a user either role or grants');
    expect(parse([{ name: 'd', passwordHash: HASH }]).success).toBe(false);
    const badCode = parse([
      { name: 'e', grants: [{ role: 'viewer', gemeenten: ['363'], flows: '*' }], passwordHash: HASH },
    ]);
    expect(badCode.error?.issues[0]?.path.slice(0, 5)).toEqual(['users', 0, 'grants', 0, 'gemeenten']);
    const badFlow = parse([
      { name: 'f', grants: [{ role: 'viewer', gemeenten: '*', flows: ['zorg'] }], passwordHash: HASH },
    ]);
    expect(badFlow.success).toBe(false);
  });

  it("grantsOf: a local user's from configuration (role alone: everything), a single sign-on user's from the session", () => {
    const config = beheerConfig.parse({
      users: [
        { name: 'all', role: 'viewer', passwordHash: HASH },
        { name: 'some', grants: [{ role: 'beheerder', gemeenten: ['0363'], flows: ['wmo'] }], passwordHash: HASH },
      ],
    });
    expect(grantsOf({ user: 'all' }, config)).toEqual([{ role: 'viewer', gemeenten: '*', flows: '*' }]);
    expect(grantsOf({ user: 'some', auth: { method: 'local' } }, config)).toEqual([
      { role: 'beheerder', gemeenten: ['0363'], flows: ['wmo'] },
    ]);
    expect(grantsOf({ user: 'gone' }, config)).toBeNull();
    const oidc = [{ role: 'viewer' as const, gemeenten: ['0384'], flows: '*' as const }];
    expect(grantsOf({ user: 'sso-user', auth: { method: 'oidc', grants: oidc } }, config)).toBe(oidc);
  });

  it('the scope of a role: beheerder grants for acting, every grant for looking; covers() agrees with it', () => {
    const grants = [
      { role: 'beheerder' as const, gemeenten: ['0363', '0384'], flows: ['wmo' as const, 'jeugd' as const] },
      { role: 'viewer' as const, gemeenten: ['0363'], flows: ['jeugdbescherming' as const] },
    ];
    const view = scopeOf(grants, 'viewer');
    const act = scopeOf(grants, 'beheerder');
    expect(view).toHaveLength(2);
    expect(act).toEqual([{ gemeenten: ['0363', '0384'], flows: ['wmo', 'jeugd'] }]);
    expect(covers(act, { gemeente: '0384', flow: 'jeugd' })).toBe(true);
    expect(covers(act, { gemeente: '0363', flow: 'jeugdbescherming' })).toBe(false);
    expect(covers(view, { gemeente: '0363', flow: 'jeugdbescherming' })).toBe(true);
    expect(covers(view, { gemeente: null, flow: 'wmo' })).toBe(false);
    expect(covers([{ gemeenten: '*', flows: ['wmo'] }], { gemeente: null, flow: 'wmo' })).toBe(true);
    expect(isEverything(view)).toBe(false);
    expect(isEverything([{ gemeenten: '*', flows: '*' }])).toBe(true);
    expect(highestRole(grants)).toBe('beheerder');
    expect(highestRole([grants[1]!])).toBe('viewer');
    expect(highestRole([])).toBeNull();
  });
});
