/**
 * The table "Answers per channel" (standards.md §5) as data, and which column a verdict falls in. The chain tests
 * (tests/chain) show each cell over HTTP; these pin the decisions themselves.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { ANSWERS_PER_CHANNEL, answerFor, replyDestination, soapChannel } from '../../src/pipeline/answer-channel.ts';
import { situationOf } from '../../src/pipeline/reject.ts';
import type { Verdict } from '../../src/validation/verdict.ts';

const verdict = (v: Partial<Verdict>): Verdict => ({
  message: 'WMO315',
  standard: 'iwmo',
  release: '3.2',
  direction: 'heen',
  header: {},
  xsdValid: true,
  valid: false,
  findings: [],
  ...v,
});

describe('answers per channel', () => {
  it('the GGK and CORV take a bericht that fails level 1 (Bv03) and answer it with a Fo01 afterwards', () => {
    for (const channel of ['ggk', 'corv'] as const)
      expect(answerFor(channel, 'level-1')).toEqual({ immediate: 'bv03', followUp: 'fo01' });
  });

  it('level 2–4 from the GGK: Bv03, then the retourbericht to the reply destination (in a Du01); CORV: a Fo01', () => {
    expect(answerFor('ggk', 'level-2-4')).toEqual({ immediate: 'bv03', followUp: 'retour-reply' });
    expect(answerFor('corv', 'level-2-4')).toEqual({ immediate: 'bv03', followUp: 'fo01' });
  });

  it('Fo03 only where the gateway cannot take the message, and for a repeat', () => {
    for (const channel of ['ggk', 'corv'] as const) {
      const fo03 = Object.entries(ANSWERS_PER_CHANNEL[channel])
        .filter(([, a]) => a.immediate === 'fo03')
        .map(([s]) => s);
      expect(fo03.sort()).toEqual(['cannot-take', 'repeat']);
    }
  });

  it("an internal system gets the retour in the answer and nothing sent; an external party's plain post gets it routed back", () => {
    expect(answerFor('internal', 'level-2-4')).toEqual({ immediate: 'error', followUp: 'none', retourInAnswer: true });
    expect(answerFor('party', 'level-2-4')).toEqual({
      immediate: 'error',
      followUp: 'retour-routed',
      retourInAnswer: true,
    });
    // Level 1 never has a retourbericht (§6.1).
    for (const channel of ['internal', 'party'] as const) expect(answerFor(channel, 'level-1').followUp).toBe('none');
  });
});

describe('which column a rejected verdict falls in', () => {
  it('not recognised, or a GGK envelope that is itself not valid: cannot take', () => {
    expect(situationOf(verdict({ message: null, standard: null, xsdValid: false }))).toBe('cannot-take');
    expect(situationOf(verdict({ message: 'ggk_Di01', standard: 'ggk', xsdValid: false }))).toBe('cannot-take');
  });

  it('a bericht (bare or in a valid envelope) that fails its XSD, or is not recognised in the envelope: level 1', () => {
    expect(situationOf(verdict({ xsdValid: false }))).toBe('level-1');
    expect(situationOf(verdict({ message: 'ggk_Di01', standard: 'ggk', payload: verdict({ xsdValid: false }) }))).toBe(
      'level-1',
    );
    expect(
      situationOf(
        verdict({ message: 'ggk_Di01', standard: 'ggk', payload: verdict({ message: null, xsdValid: false }) }),
      ),
    ).toBe('level-1');
  });

  it('a schema-valid bericht that fails a rule: level 2–4', () => {
    expect(situationOf(verdict({}))).toBe('level-2-4');
    expect(situationOf(verdict({ message: 'ggk_Di01', standard: 'ggk', payload: verdict({}) }))).toBe('level-2-4');
  });
});

describe('the channel of a SOAP party and where its answers go', () => {
  const config = parseConfig(
    `
dataDir: /tmp/schakel-answer-channel-unit
parties:
  external:
    - { id: ggk, kind: ggk }
    - { id: corv, kind: corv }
inbound:
  - { party: ggk, apiKeys: ["sha256:${'a'.repeat(64)}"], messages: ["*"] }
  - { party: corv, apiKeys: ["sha256:${'b'.repeat(64)}"], messages: ["*"] }
destinations:
  - { id: intern, adapter: webhook, url: "http://intern.example/in" }
  - { id: ggk-out, adapter: ggk, url: "https://ggk.example/OntvangAsynchroon", applicatie: Schakel }
  - { id: corv-out, adapter: corv, url: "https://corv.example/jubes", oin: "00000099000000010001" }
routes: []
`,
    '/tmp/schakel-answer-channel-unit/test.yaml',
    { env: {} },
  );

  it('a ggk party answers on the GGK destination, a corv party on the CORV destination', () => {
    expect(soapChannel(config, 'ggk')).toEqual({ channel: 'ggk', replyTo: 'ggk-out' });
    expect(soapChannel(config, 'corv')).toEqual({ channel: 'corv', replyTo: 'corv-out' });
    expect(replyDestination(config, 'internal')).toBeNull();
  });
});
