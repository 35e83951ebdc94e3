/**
 * The route table check (src/config/route-check.ts): a table that would send a bericht a gemeente sends to an
 * aanbieder/CAK/SVB into the gemeente's own inbox, or an incoming bericht back to where it came from, is refused
 * at config load with the route's line; the shipped configurations pass and route every flow the right way.
 */
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../src/catalogue/catalogue.ts';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.ts';
import { checkRouteTable } from '../../src/config/route-check.ts';
import { findRoute } from '../../src/config/routes.ts';
import type { Config } from '../../src/config/schema.ts';
import { routeKey } from '../../src/pipeline/identity.ts';

const PARTIES = `
parties:
  gemeenten:
    - { code: "0363", name: G1 }
    - { code: "0384", name: G2 }
  external:
    - { id: zorg, kind: aanbieder, codes: { agb: ["42420001"] } }
    - { id: jeugd, kind: aanbieder, codes: { agb: ["65656055"] } }
destinations:
  - { id: inbox, adapter: webhook, url: "http://gemeente.example/inbox" }
  - { id: zorg, adapter: webhook, url: "http://zorg.example/in" }
  - { id: ggk, adapter: ggk, url: "https://ggk.example/OntvangAsynchroon" }
  - { id: corv, adapter: corv, url: "https://corv.example/jubes", oin: "00000099000000010001" }
`;

/** The issues parseConfig reports for this route table (one route per line, from line 1 of `routes:`). */
function issuesOf(routes: string[]): { path: string; line?: number; message: string }[] {
  const text = `${PARTIES}routes:\n${routes.map((r) => `  - ${r}`).join('\n')}\n`;
  try {
    parseConfig(text, 'test.yaml', { env: {} });
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues;
  }
}
/** The 1-based line of routes[i] in the text issuesOf builds. */
const lineOfRoute = (i: number) => PARTIES.split('\n').length + 1 + i;

/** Where the route table sends a message from one party to another, as the pipeline keys it. */
function destinationOf(config: Config, name: string, from: string, to: string): string | undefined {
  const entry = catalogue.byName(name)!;
  const copies =
    entry.direction === 'retour' && !name.endsWith('325') && entry.standard !== 'stuf-jz' && entry.standard !== 'stuf';
  const header = copies
    ? { afzender: to, ontvanger: from, identificatieRetour: 'R' }
    : { afzender: from, ontvanger: to };
  return findRoute(config.routes, routeKey(entry, header))?.destination;
}

describe('route table check', () => {
  for (const file of ['config/default.yaml', 'config/scale-out.example.yaml']) {
    it(`${file} passes and routes every flow away from where it came from`, () => {
      const config = loadConfig({ path: file, env: {} });
      expect(checkRouteTable(config)).toEqual([]);
      const out = 'demo-receiver';
      const inbox = 'demo-wijkteam-inbox';
      for (const n of ['301', '306', '308', '316', '318', '319', '325']) {
        expect(destinationOf(config, `WMO${n}`, '0363', '42420001'), `WMO${n}`).toBe(out);
        expect(destinationOf(config, `JW${n}`, '0384', '65656055'), `JW${n}`).toBe(out);
      }
      for (const n of ['302', '305', '307', '315', '317', '320', '323'])
        expect(destinationOf(config, `WMO${n}`, '42420001', '0363'), `WMO${n}`).toBe(inbox);
      for (const n of ['WMO405', 'WMO407']) expect(destinationOf(config, n, '0384', 'CAK')).toBe(out);
      for (const n of ['WMO406', 'WMO408']) expect(destinationOf(config, n, 'CAK', '0384')).toBe(inbox);
      for (const n of ['WMO501', 'WMO508', 'JW508']) expect(destinationOf(config, n, '0384', 'SVB'), n).toBe(out);
      for (const n of ['WMO502', 'WMO507', 'JW507']) expect(destinationOf(config, n, 'SVB', '0384'), n).toBe(inbox);
      // StUF-JZ: what CORV brings in goes to the gemeente; what the gemeente sends (also a terugkoppeling) to CORV.
      expect(destinationOf(config, 'zorgmeldingDi01', 'POLITIE', '0384')).toBe(inbox);
      expect(destinationOf(config, 'notificatieDi01', 'RVDK', '0384')).toBe(inbox);
      expect(destinationOf(config, 'zorgmeldingTerugkoppelingDi01', '0384', 'POLITIE')).toBe(out);
      expect(destinationOf(config, 'vtoDi01', '0384', 'RVDK')).toBe(out);
    });
  }

  it("refuses the old demo table: the gemeente's own 306/308/316/318/325 into its own inbox, with the route's line", () => {
    const issues = issuesOf([
      '{ standard: iwmo, direction: retour, destination: inbox }',
      '{ standard: iwmo, direction: heen, ontvanger: "0363", destination: inbox }',
      '{ standard: iwmo, direction: heen, destination: zorg }',
    ]);
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['routes[0]', lineOfRoute(0)],
      ['routes[2]', lineOfRoute(2)],
    ]);
    expect(issues[0]!.message).toContain(
      'WMO306, WMO308, WMO316, WMO318, WMO325 that gemeente 0363, 0384 sends to 42420001, 65656055',
    );
    expect(issues[0]!.message).toContain('its own inbox');
    // A heenbericht for 0384 has no route of its own and falls through to the aanbieders' destination.
    expect(issues[1]!.message).toMatch(
      /^WMO305, WMO307, WMO315, WMO317, WMO323 that 42420001, 65656055 sends to gemeente 0384 would go back to/,
    );
  });

  it('refuses one destination for both directions: the iPgb 502/507 would go back where the 501 goes', () => {
    const issues = issuesOf(['{ standard: ipgb, destination: inbox }', '{ standard: iwmo, destination: zorg }']);
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['routes[0]', lineOfRoute(0)],
      ['routes[1]', lineOfRoute(1)],
    ]);
    expect(issues[0]!.message).toMatch(
      /^WMO502, JW502, WMO507, JW507 that SVB sends to gemeente 0363, 0384 would go back to SVB \("inbox"/,
    );
  });

  it('refuses iPgb 508 that a gemeente sends to the SVB into its own inbox, where BAB 507 goes', () => {
    const issues = issuesOf([
      '{ standard: ipgb, direction: heen, ontvanger: "0363", destination: inbox }',
      '{ standard: ipgb, direction: heen, ontvanger: "0384", destination: inbox }',
      '{ standard: ipgb, direction: retour, destination: inbox }',
      '{ standard: ipgb, destination: ggk }',
      '{ destination: ggk }',
    ]);
    expect(issues.filter((i) => i.path === 'routes[2]').map((i) => i.message)).toEqual([
      expect.stringMatching(
        /^WMO508, JW508 that gemeente 0363, 0384 sends to SVB would go to "inbox", where berichten for the gemeente go/,
      ),
    ]);
  });

  it('refuses an incoming bericht that would go back into the GGK (a catch-all to the GGK destination)', () => {
    const issues = issuesOf(['{ standard: iwmo, destination: ggk }']);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('routes[0]');
    expect(issues[0]!.message).toContain(
      'WMO302, WMO305, WMO307, WMO315, WMO317, WMO320, WMO323 that comes in for gemeente 0363, 0384 would go back into GGK',
    );
  });

  it("refuses the README's old CORV example: an inbound zorgmelding straight back to CORV", () => {
    const issues = issuesOf(['{ standard: stuf-jz, direction: heen, destination: corv }']);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/zorgmeldingDi01.* would go back into CORV \("corv"\)/);
    expect(issues[0]!.message).toContain('notificatieDi01');
  });

  it('refuses an incoming bericht routed on its Afzender to the destination of that same aanbieder', () => {
    const issues = issuesOf([
      '{ standard: iwmo, direction: retour, afzender: "0363", destination: inbox }',
      '{ standard: iwmo, direction: retour, afzender: "0384", destination: inbox }',
      '{ standard: iwmo, ontvanger: "42420001", destination: zorg }',
      '{ standard: iwmo, afzender: "42420001", destination: zorg }',
    ]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'routes[3]', line: lineOfRoute(3) });
    expect(issues[0]!.message).toMatch(
      /^WMO305, WMO307, WMO315, WMO317, WMO323 that 42420001 sends to gemeente 0363, 0384 would go back to 42420001/,
    );
  });

  it('accepts a table that keeps the directions apart, and one without gemeenten', () => {
    expect(
      issuesOf([
        '{ direction: heen, ontvanger: "0363", destination: inbox }',
        '{ direction: heen, ontvanger: "0384", destination: inbox }',
        '{ direction: retour, afzender: "0363", destination: inbox }',
        '{ direction: retour, afzender: "0384", destination: inbox }',
        '{ standard: stuf-jz, message: zorgmeldingDi01, destination: inbox }',
        '{ standard: stuf-jz, message: notificatieDi01, destination: inbox }',
        '{ standard: stuf-jz, destination: corv }',
        '{ destination: ggk }',
      ]),
    ).toEqual([]);
    const config = parseConfig(
      'destinations:\n  - { id: x, adapter: webhook, url: "http://x.example/" }\nroutes:\n  - { destination: x }\n',
      't.yaml',
      { env: {} },
    );
    expect(checkRouteTable(config)).toEqual([]);
  });
});
