/**
 * Cases the fuzz test found, kept as plain tests.
 *
 * Seed 99, case 28025: a JW317 from an aanbieder whose BerichtIdentificatie/Identificatie was one U+FEFF got a
 * 500. The value is schema-valid (the pattern `.*[^\s].*` counts only XML whitespace as \s), but the tree's text
 * was trimmed with String.prototype.trim, which also strips U+FEFF, U+00A0 and U+2028; the rule failure then
 * asked for a retour, and building it found an empty Identificatie and threw.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { startTestGateway, type TestGateway, withIdentificatie } from '../helpers/gateway.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

describe('element text keeps everything but XML whitespace', () => {
  it('trims space, tab, CR and LF only', () => {
    expect(parseToTree('<a> \t\r\n x \n</a>').text).toBe('x');
    for (const c of ['\ufeff', '\u00a0', '\u2028', '\u3000'])
      expect(parseToTree(`<a>${c}x${c}</a>`).text).toBe(`${c}x${c}`);
  });
});

const AANBIEDER_KEY = 'test-key-aanbieder-systeem-65656055';

describe.skipIf(!hasReference)(`fuzz regressions${hasReference ? '' : ` (${skipReason})`}`, () => {
  let g: TestGateway;
  let jw317 = '';
  beforeAll(async () => {
    jw317 = fs.readFileSync(path.join(referenceDir, 'istandaarden-3.2/jw/JW317.xml'), 'utf8');
    // The aanbieder's JW317, handed in by a system that may send it: authorisation comes before any judgement.
    g = await startTestGateway({
      extraCallers: [
        `{ id: aanbieder-systeem, apiKeys: ["${hashApiKey(AANBIEDER_KEY)}"], afzenders: ["65656055"], messages: [JW317] }`,
      ],
    });
  });
  afterAll(async () => {
    await g?.stop();
  });

  for (const [name, c] of [
    ['U+FEFF', '\ufeff'],
    ['U+00A0', '\u00a0'],
    ['U+2028', '\u2028'],
  ] as const) {
    it(`answers a JW317 whose Identificatie is one ${name} with its rule findings and retour, not a 500`, async () => {
      const res = await g.post('/berichten', withIdentificatie(jw317, c), AANBIEDER_KEY);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('RULES_FAILED');
      expect(res.body.findings.map((f: { code: string }) => f.code)).toEqual(['CS003']);
      // The JW318 retour answers the bericht under the Identificatie it carried.
      expect(res.body.retour).toContain(`<ijw:Identificatie>${c}</ijw:Identificatie>`);
      expect((await g.get('/healthz', null)).status).toBe(200);
    });
  }
});
