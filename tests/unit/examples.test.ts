/**
 * `schakel example` and src/examples: for every message in the catalogue the example is valid for the gateway's
 * own validator (the one `schakel validate` uses), every `--invalid RULE` example is refused with exactly that
 * rule, `--answer` makes an answer that is valid and refers to its heen, and the shipped examples/ are valid.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../src/catalogue/catalogue.ts';
import { answerTo } from '../../src/examples/answer.ts';
import { breakableRules, DEMO_CODES, EXAMPLE_BSN, exampleNames, makeExample } from '../../src/examples/examples.ts';
import { passesElfproef } from '../../src/rules/istandaarden/bsn.ts';
import { calendarDay } from '../../src/rules/istandaarden/dates.ts';
import { BerichtValidator } from '../../src/validation/validator.ts';
import type { Verdict } from '../../src/validation/verdict.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { projectRoot } from '../helpers/reference.ts';

const validator = new BerichtValidator(SchemaPacks.load());
const judge = (xml: string | Buffer): Verdict => validator.validate(Buffer.from(xml));
const codes = (v: Verdict): string[] => [
  ...new Set([...v.findings, ...(v.payload?.findings ?? [])].map((f) => f.code)),
];
const names = exampleNames();

/** Runs the command as a process, asynchronously (a blocking spawn would stall the test runner's own messages). */
function schakel(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(projectRoot, 'bin/schakel.mjs'), ...args],
      { cwd: projectRoot, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('examples of every catalogue message', () => {
  it('cover the whole catalogue', () => {
    expect(names).toEqual(catalogue.entries.map((e) => e.name));
    expect(names.length).toBeGreaterThanOrEqual(59);
  });

  it.each(names)('%s is valid, recognised as itself, dated today, with a fresh identity', (name) => {
    const a = makeExample(name);
    const v = judge(a);
    expect(v.findings, JSON.stringify(v.findings)).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.message).toBe(name);
    if (v.payload) expect(v.payload.valid, JSON.stringify(v.payload.findings)).toBe(true);
    const b = judge(makeExample(name));
    const identity = (x: Verdict) =>
      [x.header.identificatie, x.header.identificatieRetour, x.header.referentienummer].join('|');
    expect(identity(b)).not.toBe(identity(v));
    const h = (v.payload ?? v).header;
    if (h.dagtekening) expect(h.dagtekening).toBe(calendarDay(new Date()));
    if (h.referentienummer)
      expect(v.header.referentienummer ?? h.referentienummer).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
  });

  it('use a test BSN that passes the elfproef and the demo configuration codes', () => {
    expect(passesElfproef(EXAMPLE_BSN)).toBe(true);
    expect(judge(makeExample('WMO301')).header).toMatchObject({
      afzender: DEMO_CODES.gemeente,
      ontvanger: DEMO_CODES.wmoAanbieder,
    });
    expect(judge(makeExample('JW305')).header).toMatchObject({
      afzender: DEMO_CODES.jwAanbieder,
      ontvanger: DEMO_CODES.gemeente,
    });
    expect(judge(makeExample('WMO301', { afzender: '0384', ontvanger: '65656055' })).header).toMatchObject({
      afzender: '0384',
      ontvanger: '65656055',
    });
    expect(judge(makeExample('vtoDi01', { ontvanger: '00000099000000020002' })).header).toMatchObject({
      afzender: DEMO_CODES.gemeente,
      ontvanger: '00000099000000020002',
    });
  });

  const broken = names.flatMap((name) => breakableRules(name).map((rule) => [name, rule] as const));
  it('offer the rules the issue names', () => {
    const rules = new Set(broken.map(([, rule]) => rule));
    for (const rule of ['CS002', 'TR135', 'TR134', 'TR002', 'TR018', 'TR101', 'XSD_INVALID'])
      expect(rules, rule).toContain(rule);
  });

  it.each(broken)('%s --invalid %s is refused with exactly that rule', (name, rule) => {
    const v = judge(makeExample(name, { invalid: rule }));
    expect(v.valid).toBe(false);
    expect(codes(v)).toEqual([rule]);
  });

  it('refuses a rule that cannot be broken in the message, and an unknown message, with the alternatives', () => {
    expect(() => makeExample('WMO302', { invalid: 'CS002' })).toThrow(
      /cannot be broken in WMO302 alone \(it can in: WMO301,/,
    );
    expect(() => makeExample('WMO999')).toThrow(/unknown message "WMO999"; known: WMO301/);
    expect(() => makeExample('WMO301', { invalid: 'TR999' })).toThrow(
      /not a rule the examples can break; in WMO301: XSD_INVALID, CS002/,
    );
  });
});

describe('answers (--answer)', () => {
  const answerable = catalogue.entries.filter(
    (e) => (e.direction === 'heen' && e.answeredBy.length > 0) || e.name === 'ggk_Di01',
  );

  it.each(answerable.map((e) => e.name))('the answer to %s is valid and answers it', (name) => {
    const heen = makeExample(name);
    const answer = answerTo(Buffer.from(heen), { validator });
    const h = judge(heen);
    const a = judge(answer);
    expect(a.valid, JSON.stringify(a.findings)).toBe(true);
    const entry = catalogue.byName(name)!;
    if (entry.standard === 'ggk') {
      expect(a.message).toBe('ggk_Du01');
      expect(a.header.crossRefnummer).toBe(h.header.referentienummer);
      expect(a.payload?.message).toBe('WMO302');
      expect(a.payload?.header.identificatie).toBe(h.payload?.header.identificatie);
    } else if (entry.standard === 'stuf-jz') {
      expect(entry.answeredBy).toContain(a.message);
      expect(a.header.afzender).toBe(h.header.ontvanger);
      expect(a.header.ontvanger).toBe(h.header.afzender);
    } else {
      expect(a.message).toBe(catalogue.retourOf(entry)!.name);
      const ref = name.endsWith('323') ? a.header.declaratieIdentificatie : a.header.identificatie;
      expect(ref).toBe(h.header.identificatie);
    }
  });

  it("a heen that breaks a rule gets the retour with that rule's retourcode", () => {
    const answer = answerTo(Buffer.from(makeExample('JW301', { invalid: 'CS002' })), { validator });
    expect(judge(answer).message).toBe('JW302');
    expect(answer).toMatch(/<jw302:RetourCode>0001<\/jw302:RetourCode>/);
  });

  it('refuses to answer a retour or a bericht that is not valid against its schema', () => {
    expect(() => answerTo(Buffer.from(makeExample('WMO302')), { validator })).toThrow(
      /WMO302 is a retourbericht: nothing answers it/,
    );
    expect(() => answerTo(Buffer.from(makeExample('WMO301', { invalid: 'XSD' })), { validator })).toThrow(
      /not valid against its schema/,
    );
  });
});

describe('schakel example (the command)', () => {
  it('prints a bericht that schakel validate accepts, and --answer reads a file', async () => {
    const dir = fs.mkdtempSync(path.join(projectRoot, '.tmp-examples-'));
    try {
      const made = await schakel('example', 'JW315');
      expect(made.code).toBe(0);
      fs.writeFileSync(path.join(dir, 'jw315.xml'), made.stdout);
      const answer = await schakel('example', '--answer', path.join(dir, 'jw315.xml'));
      expect(answer.code, answer.stderr).toBe(0);
      fs.writeFileSync(path.join(dir, 'jw316.xml'), answer.stdout);
      const bad = await schakel('example', 'JW315', '--invalid', 'TR002');
      fs.writeFileSync(path.join(dir, 'jw315-fout.xml'), bad.stdout);
      const v = await schakel(
        'validate',
        '--json',
        path.join(dir, 'jw315.xml'),
        path.join(dir, 'jw316.xml'),
        path.join(dir, 'jw315-fout.xml'),
      );
      expect(v.code).toBe(1);
      const [a, b, c] = v.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { message: string; valid: boolean; findings: { code: string }[] });
      expect([a!.message, a!.valid]).toEqual(['JW315', true]);
      expect([b!.message, b!.valid]).toEqual(['JW316', true]);
      expect([c!.message, c!.valid, c!.findings.map((f) => f.code)]).toEqual(['JW315', false, ['TR002']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('exits 2 with a reason for what it cannot make', async () => {
    const r = await schakel('example', 'WMO302', '--invalid', 'TR018');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--invalid TR018: cannot be broken in WMO302 alone \(it can in: WMO307, JW307\)/);
    expect(r.stdout).toBe('');
    expect((await schakel('example')).code).toBe(2);
    expect((await schakel('example', '--answer', '/nonexistent.xml')).stderr).toMatch(/cannot read file \(ENOENT\)/);
  }, 120_000);
});

describe('the shipped examples/', () => {
  const dir = path.join(projectRoot, 'examples');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.xml'));
  it('hold one valid example per catalogue message', () => {
    expect(files.map((f) => f.replace(/\.xml$/, '')).sort()).toEqual([...names].sort());
    for (const f of files) {
      const v = judge(fs.readFileSync(path.join(dir, f)));
      expect([f, v.message, v.valid]).toEqual([f, f.replace(/\.xml$/, ''), true]);
    }
  });
  it('hold invalid ones that break the rule in their name', () => {
    for (const f of fs.readdirSync(path.join(dir, 'invalid'))) {
      const [name, rule] = f.replace(/\.xml$/, '').split('-') as [string, string];
      const v = judge(fs.readFileSync(path.join(dir, 'invalid', f)));
      expect([f, v.message, codes(v)]).toEqual([f, name, [rule === 'XSD' ? 'XSD_INVALID' : rule]]);
    }
  });
});
