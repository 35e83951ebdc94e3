/**
 * The fuzz test: seeded mutants of the official examples (structure, value and byte level) posted over real HTTP
 * to a running gateway, as a caller and inbound. Every answer must have a documented status for its route
 * (read from /openapi.json), the documented body shape and a request id; no BSN-shaped number in an error text;
 * no crash and no unhandled rejection; the gateway still healthy at the end. For mutants of the official
 * iWmo/iJw examples, the gateway's level-1 verdict must be the official XSD's (libxml2 on ../shared/reference).
 *
 *   SCHAKEL_FUZZ_SEED=<n>    the run's seed (default below; printed)        — a failing case is reproduced by
 *   SCHAKEL_FUZZ_COUNT=<n>   how many mutants (default 1,500: CI)             the same seed and count
 *   SCHAKEL_FUZZ_SAVE=<dir>  write each failing mutant there
 *
 *   SCHAKEL_FUZZ_COUNT=50000 npx vitest run tests/fuzz/fuzz.test.ts    # the long run (about 3 minutes on 2 cores)
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { hasReference, skipReason } from '../helpers/reference.ts';
import {
  documentedResponses,
  gatewayXsdVerdict,
  OfficialJudge,
  type OpenApiDoc,
  schemaProblems,
  soapAnswer,
} from './checks.ts';
import { caseSeed, Dice, type FuzzLevel, mutate } from './mutate.ts';
import {
  ALTERNATE_TARGET,
  ANY_SENDER_KEY,
  builtSeeds,
  envelopeSeeds,
  type FuzzSeed,
  officialSeeds,
  soapSeeds,
  type Target,
} from './seeds.ts';

const DEFAULT_SEED = 20261101;
const SEED = envInt('SCHAKEL_FUZZ_SEED', DEFAULT_SEED);
const COUNT = envInt('SCHAKEL_FUZZ_COUNT', 1500);
const SAVE = process.env.SCHAKEL_FUZZ_SAVE;
const IN_FLIGHT = 8;
const CONTENT_TYPES = [
  'application/xml',
  'application/xml',
  'application/xml',
  'text/xml; charset=utf-8',
  'application/soap+xml',
];

if (!hasReference)
  console.warn(
    `SKIPPED fuzz: official examples and the XSD comparison (${skipReason}); fuzzing the project's built berichten only`,
  );

interface FuzzCase {
  index: number;
  seed: FuzzSeed;
  target: Target;
  contentType: string;
  level: FuzzLevel;
  ops: string[];
  body: Buffer;
}

interface Outcome {
  fuzzCase: FuzzCase;
  status: number;
  /** `status code`, e.g. "422 XSD_INVALID", "202". */
  answer: string;
  problems: string[];
  /** Set when the case was compared with the official schema. */
  xsd?: { gateway: boolean; official: boolean; why: string };
  skipped?: string;
}

const official = officialSeeds();
const others = [...envelopeSeeds(official), ...soapSeeds(official), ...builtSeeds()];
const judge = new OfficialJudge(official.map((s) => s.officialXsd!));

/** Case `index` of the run: a pure function of the seed and the index. */
function fuzzCase(index: number): FuzzCase {
  const d = new Dice(caseSeed(SEED, index));
  const pool = official.length > 0 && d.chance(0.8) ? official : others;
  const seed = d.pick(pool)!;
  const target = seed.target.path === '/berichten' && d.chance(0.1) ? ALTERNATE_TARGET : seed.target;
  const contentType = d.pick(CONTENT_TYPES)!;
  return { index, seed, target, contentType, ...mutate(seed.xml, d) };
}

const unhandled: string[] = [];
const onRejection = (reason: unknown) =>
  unhandled.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
const onException = (err: Error) => unhandled.push(`uncaughtException: ${err.stack ?? err.message}`);

let receiver: Receiver;
let g: TestGateway;
let openapi: OpenApiDoc;
const outcomes: Outcome[] = [];
const errorLogs: string[] = [];

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  receiver = await startReceiver(() => ({ status: 200 }));
  const to = `${receiver.url}/in`;
  g = await startTestGateway({
    destinations: { zorg: to, jeugd: to, gemeenteRetour: to, gemeenteInbox: to },
    maxAttempts: 2,
    extraCallers: [`{ id: any-sender, apiKeys: ["${hashApiKey(ANY_SENDER_KEY)}"], afzenders: ["*"], messages: ["*"] }`],
  });
  openapi = (await (
    await fetch(`${g.url}/openapi.json`, { headers: { authorization: `Bearer ${KEYS.wijkteam}` } })
  ).json()) as OpenApiDoc;
});

afterAll(async () => {
  await g?.stop();
  await receiver?.close();
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
});

describe(`fuzz: ${COUNT} mutants, seed ${SEED}`, () => {
  it('makes the same mutants from the same seed', () => {
    for (const i of [0, 1, 17, COUNT - 1]) expect(fuzzCase(i).body.equals(fuzzCase(i).body)).toBe(true);
    const bodies = new Set(Array.from({ length: 50 }, (_, i) => fuzzCase(i).body.toString('base64')));
    expect(bodies.size).toBeGreaterThan(40);
  });

  it(
    'answers every mutant with a documented status and body, stays up and leaves nothing unhandled',
    async () => {
      console.log(
        `fuzz: seed ${SEED}, ${COUNT} mutants (reproduce: SCHAKEL_FUZZ_SEED=${SEED} SCHAKEL_FUZZ_COUNT=${COUNT})`,
      );
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < COUNT; i = next++) {
          outcomes[i] = await post(fuzzCase(i));
          if (i % 500 === 499) drainLogs();
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      drainLogs();

      const health = await fetch(`${g.url}/healthz`);
      expect(health.status).toBe(200);
      printSummary();

      const failing = outcomes.filter((o) => o.problems.length > 0);
      if (SAVE && failing.length) saveCases(failing);
      expect(groupFailures(failing), `${failing.length} of ${COUNT} answers broke a rule`).toEqual([]);
      expect(unhandled).toEqual([]);
      expect(errorLogs.slice(0, 10)).toEqual([]);
      // The run exercised every level and reached every kind of answer a fuzzer should reach.
      expect(outcomes.filter((o) => o !== undefined)).toHaveLength(COUNT);
      const levels = new Set(outcomes.map((o) => o.fuzzCase.level));
      const allLevels: FuzzLevel[] = ['byte', 'none', 'structure', 'value'];
      // A short run (SCHAKEL_FUZZ_COUNT < 200) need not reach every level, but only known ones.
      if (COUNT >= 200) expect([...levels].sort()).toEqual(allLevels);
      else expect([...levels].filter((l) => !allLevels.includes(l))).toEqual([]);
      if (hasReference && COUNT >= 200) {
        const statuses = new Set(outcomes.map((o) => o.status));
        for (const s of [400, 422]) expect(statuses.has(s), `no ${s} among ${[...statuses].join(', ')}`).toBe(true);
        // Some mutants stay valid and are stored (an unchanged example, a harmless edit).
        if (COUNT >= 1000)
          expect(statuses.has(202) || statuses.has(200), `no 2xx among ${[...statuses].join(', ')}`).toBe(true);
      }
    },
    Math.max(120_000, COUNT * 60),
  );

  it.skipIf(!hasReference)(
    "agrees with the official XSD's verdict on every mutant of an official example decided at XSD level",
    () => {
      const compared = outcomes.filter((o) => o?.xsd);
      expect(compared.length).toBeGreaterThan(COUNT / 2);
      // Both verdicts occur, or the comparison proves nothing.
      expect(compared.some((o) => o.xsd!.official)).toBe(true);
      expect(compared.some((o) => !o.xsd!.official)).toBe(true);
      const disagreements = compared.filter((o) => o.xsd!.gateway !== o.xsd!.official);
      if (SAVE && disagreements.length) saveCases(disagreements);
      expect(
        disagreements
          .slice(0, 20)
          .map(
            (o) =>
              `${caseLabel(o.fuzzCase)} → ${o.answer}; gateway ${o.xsd!.gateway}, official ${o.xsd!.official} (${o.xsd!.why})`,
          ),
        `${disagreements.length} of ${compared.length} compared verdicts differ`,
      ).toEqual([]);
    },
  );
});

async function post(c: FuzzCase): Promise<Outcome> {
  const problems: string[] = [];
  let res: Response;
  try {
    res = await fetch(g.url + c.target.path, {
      method: 'POST',
      headers: { 'content-type': c.contentType, authorization: `Bearer ${c.target.key}` },
      body: c.body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    return { fuzzCase: c, status: 0, answer: 'no answer', problems: [`no answer: ${(e as Error).message}`] };
  }
  const text = await res.text();
  const route = c.target.path.startsWith('/inbound/') ? '/inbound/{party}' : '/berichten';
  const documented = documentedResponses(openapi, route, 'post').get(res.status);
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!documented) problems.push(`status ${res.status} is not documented for POST ${route}`);
  else if (!documented.has(mediaType))
    problems.push(
      `a ${res.status} answer in "${mediaType}" is not documented for POST ${route} (documented: ${[...documented.keys()].join(', ') || 'none'})`,
    );
  const requestId = res.headers.get('x-request-id');
  if (!requestId) problems.push('no X-Request-Id header');

  let body: unknown = null;
  let answer = String(res.status);
  let texts: string[] = [];
  const soap = mediaType.includes('json') ? null : soapAnswer(text);
  if (soap) {
    // A SOAP answer (inbound SOAP requests): a fault carries its code.
    answer = `${res.status} SOAP ${soap.fault ? `fault ${soap.code ?? '(no code)'}` : 'answer'}`;
    texts = soap.texts;
    if (res.status >= 400 && (!soap.fault || !soap.code)) problems.push('a SOAP error answer without a Fault code');
  } else {
    try {
      body = JSON.parse(text);
    } catch {
      problems.push(`the body is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
    }
    const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
    if (typeof code === 'string') answer += ` ${code}`;
    const schema = documented?.get(mediaType);
    if (schema && body !== null) problems.push(...schemaProblems(openapi, schema, body));
    if (res.status >= 400) {
      if (typeof code !== 'string' || code.length === 0) problems.push('an error answer without a code');
      const bodyRequestId = (body as { error?: { requestId?: unknown } } | null)?.error?.requestId;
      if (requestId && bodyRequestId !== requestId)
        problems.push(`error.requestId ${String(bodyRequestId)} ≠ X-Request-Id ${requestId}`);
      texts = errorTexts(body);
    }
  }
  for (const t of texts)
    if (/(?<!\d)\d{9}(?!\d)/.test(t))
      problems.push(`a BSN-shaped number in an error text: ${JSON.stringify(t.slice(0, 120))}`);
  const outcome: Outcome = { fuzzCase: c, status: res.status, answer, problems };
  if (c.seed.officialXsd && body !== null) compareWithOfficial(outcome, body);
  else if (c.seed.officialXsd && soap) outcome.skipped = 'a SOAP answer';
  return outcome;
}

/** The texts meant for people in an error answer: the message and every finding's text. */
function errorTexts(body: unknown): string[] {
  const b = body as {
    error?: { message?: string };
    findings?: { text?: string }[];
    envelope?: { findings?: { text?: string }[] };
  } | null;
  return [
    b?.error?.message,
    ...(b?.findings ?? []).map((f) => f.text),
    ...(b?.envelope?.findings ?? []).map((f) => f.text),
  ].filter((t): t is string => typeof t === 'string');
}

function compareWithOfficial(o: Outcome, body: unknown): void {
  const gateway = gatewayXsdVerdict(o.status, body);
  if (gateway.kind === 'policy') {
    o.skipped = `policy ${gateway.code}`;
    return;
  }
  const verdict = judge.judge(o.fuzzCase.body);
  if (verdict.kind === 'no-schema') {
    o.skipped = `no official schema for ${verdict.namespace}`;
    return;
  }
  o.xsd = { gateway: gateway.xsdValid, official: verdict.valid, why: verdict.why };
}

/** Error-level lines of the gateway's log since the last look; the log is then emptied (a long run stays small). */
function drainLogs(): void {
  for (const line of g.logs) {
    if (/"level":(50|60)/.test(line)) errorLogs.push(line.slice(0, 400));
  }
  g.logs.length = 0;
  g.sent.length = 0;
  g.answers.length = 0;
}

function printSummary(): void {
  const tally = (key: (o: Outcome) => string) => {
    const m = new Map<string, number>();
    for (const o of outcomes) m.set(key(o), (m.get(key(o)) ?? 0) + 1);
    return [...m]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
  };
  const compared = outcomes.filter((o) => o.xsd);
  const agreed = compared.filter((o) => o.xsd!.gateway === o.xsd!.official).length;
  const skipped = outcomes.filter((o) => o.skipped);
  console.log(
    [
      `fuzz summary (seed ${SEED}, ${COUNT} mutants, ${official.length} official examples + ${others.length} built, enveloped or SOAP-wrapped berichten)`,
      `  levels:   ${tally((o) => o.fuzzCase.level)}`,
      `  answers:  ${tally((o) => o.answer)}`,
      `  routes:   ${tally((o) => o.fuzzCase.target.path)}`,
      hasReference
        ? `  official XSD: ${compared.length} compared, ${agreed} agree, ${compared.length - agreed} differ; ${skipped.length} not compared (${[...new Set(skipped.map((o) => o.skipped))].slice(0, 6).join('; ')})`
        : `  official XSD: comparison SKIPPED (${skipReason})`,
      `  rule breaks: ${outcomes.filter((o) => o.problems.length).length}; unhandled: ${unhandled.length}; error log lines: ${errorLogs.length}`,
    ].join('\n'),
  );
}

function caseLabel(c: FuzzCase): string {
  return `#${c.index} ${c.seed.name} → ${c.target.path} [${c.level}: ${c.ops.join('; ')}]`;
}

/** Failures grouped by answer and first problem (ids and numbers left out), with a count and the first two cases of each. */
function groupFailures(failing: Outcome[]): string[] {
  const groups = new Map<string, Outcome[]>();
  for (const o of failing) {
    const key = `${o.answer}: ${o.problems[0]!.replace(/[0-9a-f-]{36}|\d+/g, '#').slice(0, 120)}`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  return [...groups].map(
    ([key, list]) =>
      `${list.length} × ${key}; e.g. ${list
        .slice(0, 2)
        .map((o) => `${caseLabel(o.fuzzCase)} (${o.fuzzCase.contentType}): ${o.problems.join('; ').slice(0, 300)}`)
        .join(' | ')}`,
  );
}

function saveCases(list: Outcome[]): void {
  fs.mkdirSync(SAVE!, { recursive: true });
  for (const o of list)
    fs.writeFileSync(
      path.join(SAVE!, `seed${SEED}-case${o.fuzzCase.index}-${o.fuzzCase.seed.name}.xml`),
      o.fuzzCase.body,
    );
  console.log(`fuzz: wrote ${list.length} failing mutants to ${SAVE}`);
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}
