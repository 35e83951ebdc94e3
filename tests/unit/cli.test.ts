/** The `schakel validate` command, run as a real process the way a person runs it. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build as buildModelled, DEFAULT_IEB_PERIOD } from '../../src/examples/ieb-ipgb.ts';
import { build as buildStufJz } from '../../src/examples/stuf-jz.ts';
import { calendarDay } from '../../src/rules/istandaarden/dates.ts';
import { wrap } from '../../src/stuf/ggk-envelope.ts';
import { hasReference, projectRoot, referenceDir, skipReason } from '../helpers/reference.ts';

const bin = path.join(projectRoot, 'bin/schakel.mjs');
function schakel(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: projectRoot, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

if (!hasReference) console.warn(`SKIPPED parts of cli.test: ${skipReason}`);

describe('schakel validate', () => {
  it('exits 2 with usage when no file is given', () => {
    const r = schakel('validate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: schakel validate/);
  });

  it('exits 2 for an unreadable file and names it', () => {
    const r = schakel('validate', '--json', '/nonexistent/bericht.xml');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout.trim())).toEqual({
      file: '/nonexistent/bericht.xml',
      error: 'cannot read file (ENOENT)',
    });
  });

  it('reports a non-XML file as invalid with the parser position', () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'schakel-cli-')), 'x.xml');
    fs.writeFileSync(f, '<Bericht><open></Bericht>');
    const r = schakel('validate', '--json', f);
    expect(r.code).toBe(1);
    const line = JSON.parse(r.stdout.trim());
    expect(line).toMatchObject({ file: f, message: null, valid: false, xsdValid: false });
    expect(line.findings[0]).toMatchObject({ level: 'xsd', code: 'XML_NOT_WELL_FORMED', line: 1 });
  });

  describe.skipIf(!hasReference)('on the official examples', () => {
    const jw315 = path.join(referenceDir, 'istandaarden-3.2/jw/JW315.xml');
    const wmo301 = path.join(referenceDir, 'istandaarden-3.2/wmo/WMO301.xml');

    it('names JW315, says invalid and points at the bad date with line and column', () => {
      const r = schakel('validate', jw315);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/JW315/);
      expect(r.stdout).toMatch(/INVALID/);
      expect(r.stdout).toMatch(/line 44, column \d+/);
      expect(r.stdout).toMatch(/ToewijzingEinddatum/);
      expect(r.stdout).toMatch(/2027-06-31/);
    });

    it('--json prints one JSON line per file with the documented fields', () => {
      const r = schakel('validate', '--json', wmo301, jw315);
      expect(r.code).toBe(1);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject({
        file: wmo301,
        standard: 'iwmo',
        release: '3.2',
        message: 'WMO301',
        valid: true,
        xsdValid: true,
        findings: [],
      });
      expect(lines[1]).toMatchObject({
        file: jw315,
        standard: 'ijw',
        release: '3.2',
        message: 'JW315',
        valid: false,
        xsdValid: false,
      });
      const f = lines[1].findings[0];
      expect(f).toMatchObject({ level: 'xsd', code: 'XSD_INVALID', retourcode: null, line: 44 });
      expect(f.column).toBeGreaterThan(1);
      expect(f.path).toMatch(/ToewijzingEinddatum$/);
      expect(typeof f.text).toBe('string');
    });

    it('exits 0 when every file is valid', () => {
      expect(schakel('validate', wmo301).code).toBe(0);
    });

    it('--retour prints the WMO302 the standard prescribes for a heenbericht that fails its rules', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schakel-cli-'));
      const f = path.join(dir, 'WMO301-bad-bsn.xml');
      const xml = fs.readFileSync(wmo301, 'utf8');
      const bsn = /<[\w]+:Bsn>(\d{9})</.exec(xml)![1]!;
      const broken = bsn.slice(0, 8) + String((Number(bsn[8]) + 1) % 10);
      fs.writeFileSync(f, xml.replace(bsn, broken));
      const r = schakel('validate', '--retour', f);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/CS002 → retourcode 0001/);
      expect(r.stdout).toMatch(/<\?xml[\s\S]*wmo302[\s\S]*<[\w]*:?RetourCode>0001</);
      expect(r.stdout).not.toContain(broken);
    });
  });
});

describe('schakel validate on iEb, iPgb, StUF-JZ and enveloped berichten', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schakel-cli-'));
  const write = (name: string, xml: string): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, xml);
    return f;
  };
  // The CLI judges against the real clock: date the berichten today.
  const today = calendarDay(new Date());
  const versions = {
    applicatieVersie: '0001',
    applicatieSubversie: '0000',
    functieVersie: '0003',
    functieSubversie: '0002',
  };

  it('recognises and validates an iEb WMO405, an iPgb JW507 and a StUF-JZ vtoDi01', () => {
    const wmo405 = write(
      'WMO405.xml',
      buildModelled('WMO405', {
        dagtekening: today,
        ieb: [{ bsn: '999990019', periods: [{ ...DEFAULT_IEB_PERIOD, start: today }] }],
      }),
    );
    const jw507 = write('JW507.xml', buildModelled('JW507', { dagtekening: today }));
    const vto = write('vto.xml', buildStufJz('vtoDi01'));
    const r = schakel('validate', '--json', wmo405, jw507, vto);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.standard, l.release, l.message, l.valid])).toEqual([
      ['ieb', '4.0', 'WMO405', true],
      ['ipgb', '2.1', 'JW507', true],
      ['stuf-jz', '1.0.9', 'vtoDi01', true],
    ]);
    expect(r.code).toBe(0);
    const text = schakel('validate', wmo405, jw507);
    expect(text.stdout).toContain(`${wmo405}: iEb 4.0 WMO405: valid`);
    expect(text.stdout).toContain(`${jw507}: iPgb 2.1 JW507: valid`);
  });

  it('reports an iEb rule violation with its retourcode and without the Bsn', () => {
    const f = write(
      'WMO405-status9.xml',
      buildModelled('WMO405', {
        dagtekening: today,
        ieb: [{ bsn: '999990019', periods: [{ ...DEFAULT_IEB_PERIOD, start: today, status: '9' }] }],
      }),
    );
    const r = schakel('validate', f);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/INVALID \(technical rules\)/);
    expect(r.stdout).toMatch(/CS125 → retourcode 0001/);
    expect(r.stdout).not.toContain('999990019');
  });

  describe.skipIf(!hasReference)('an enveloped WMO301', () => {
    const wmo301 = hasReference
      ? fs.readFileSync(path.join(referenceDir, 'istandaarden-3.2/wmo/WMO301.xml'))
      : Buffer.alloc(0);
    const envelope = (payload: Buffer) =>
      wrap(payload, {
        zender: { organisatie: '0384', applicatie: 'Schakel' },
        ontvanger: { organisatie: '42420001' },
        functie: 'WMO301',
        versions,
      });

    it('reports both layers, in text and in JSON', () => {
      const f = write('ggk-WMO301.xml', envelope(wmo301));
      const text = schakel('validate', f);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`${f}: StUF-GGK 0310 ggk_Di01: valid`);
      expect(text.stdout).toContain('  payload: iWmo 3.2 WMO301: valid');
      const json = schakel('validate', '--json', f);
      const line = JSON.parse(json.stdout.trim());
      expect(line).toMatchObject({ file: f, standard: 'ggk', message: 'ggk_Di01', valid: true, findings: [] });
      expect(line.payload).toMatchObject({
        standard: 'iwmo',
        release: '3.2',
        message: 'WMO301',
        valid: true,
        xsdValid: true,
        findings: [],
      });
    });

    it('reports a payload error under a valid envelope', () => {
      const xml = wmo301.toString('utf8');
      const bsn = /<[\w]+:Bsn>(\d{9})</.exec(xml)![1]!;
      const broken = bsn.slice(0, 8) + String((Number(bsn[8]) + 1) % 10);
      const f = write('ggk-WMO301-bad.xml', envelope(Buffer.from(xml.replace(bsn, broken))));
      const r = schakel('validate', f);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`${f}: StUF-GGK 0310 ggk_Di01: envelope valid, payload INVALID`);
      expect(r.stdout).toMatch(
        / {2}payload: iWmo 3\.2 WMO301: INVALID \(technical rules\)\n {4}\[rule\] CS002 → retourcode 0001/,
      );
      expect(r.stdout).not.toContain(broken);
    });
  });
});
