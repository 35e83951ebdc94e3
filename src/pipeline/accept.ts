import { catalogue } from '../catalogue/catalogue.ts';
import type { HeaderFacts } from '../catalogue/header.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import type { RouteConfig } from '../config/schema.ts';
import type { CorrelationKey, MessageSource, MessageStore, NewMessage, StoredMessage } from '../store/types.ts';
import { messageIdsOf } from '../stuf/ggk-referentienummer.ts';
import type { Finding } from '../validation/finding.ts';
import type { ValidationService } from '../validation/service.ts';
import type { Verdict } from '../validation/verdict.ts';
import type { ChannelContext, Situation } from './answer-channel.ts';
import { type AnswerRefusal, answerRefusal } from './answerer.ts';
import { caseFacts } from './case-reference.ts';
import type { ChainHistory, HistoryJudgement } from './history.ts';
import { correlationKey, dedupKey, partiesOf } from './identity.ts';
import { answerSummary, type MessageFacts, messageFacts } from './message-facts.ts';
import { planOf } from './plan.ts';
import { earlierRejection, type OwnAnswer, reject, situationOf } from './reject.ts';
import { answeringTenancy } from './tenancy.ts';

/** What a caller or party may hand in: '*' or a list of Afzender codes and message names. */
export interface Permissions {
  afzenders: readonly string[];
  messages: readonly string[];
}

export interface AcceptInput {
  source: Uint8Array;
  via: MessageSource;
  permissions: Permissions;
  /** The channel it came on (answer-channel.ts); default: `internal` for a caller, `party` for an inbound party. */
  channel?: ChannelContext;
}

/** What the gateway did with a bericht it refused or rejected: kept as `rejectedId`, answered with `answer`. */
export interface Rejected {
  /** The table column (answer-channel.ts): `cannot-take` means the gateway did not take responsibility. */
  situation: Exclude<Situation, 'repeat' | 'accepted'>;
  rejectedId?: string;
  answer?: OwnAnswer;
}

export type AcceptOutcome =
  | { kind: 'accepted'; message: StoredMessage; verdict: Verdict }
  | { kind: 'repeat'; message: StoredMessage }
  | ({ kind: 'invalid'; verdict: Verdict } & Rejected)
  | ({
      kind: 'forbidden';
      code: 'AFZENDER_NOT_ALLOWED' | 'MESSAGE_NOT_ALLOWED';
      text: string;
      verdict: Verdict;
    } & Partial<Rejected>)
  | ({ kind: 'no-route'; verdict: Verdict; text: string } & Partial<Rejected>)
  | ({
      kind: 'conflict';
      existingId: string;
      code: string;
      retourcode: string;
      text: string;
      verdict: Verdict;
      retour?: string;
    } & Partial<Rejected>)
  /** A retour or StUF answer that does not come from the addressee of the heen it names, or a second retour: stored as rejected. */
  | ({ kind: 'refused-answer'; refusedId: string; verdict: Verdict } & AnswerRefusal);

/** What the pipeline reports: validation time and each outcome (src/metrics.ts implements it). */
export interface PipelineMetrics {
  validated(verdict: Verdict, seconds: number): void;
  accepted(outcome: AcceptOutcome): void;
}

export interface PipelineDeps {
  store: MessageStore;
  validation: ValidationService;
  routes: () => readonly RouteConfig[];
  /** Wakes the transport after a message was queued. */
  onQueued?: () => void;
  /** Counts outcomes and validation time (src/metrics.ts). */
  metrics?: PipelineMetrics;
  /** The chain's memory for the iEb/iPgb level-3 rules (./history.ts); without it they judge the bericht alone. */
  history?: ChainHistory;
}

function judgeWithHistory(deps: PipelineDeps, verdict: Verdict, source: Uint8Array): Promise<HistoryJudgement> {
  return deps.history ? deps.history.judge(verdict, source) : Promise.resolve({ verdict, facts: null });
}

/**
 * One bericht's way in: validate → authorise → (rejected: keep it and answer it on its channel) → route →
 * store (with its outbox row) → correlate. Authorisation comes before any retour is built or stored, so the
 * gateway never answers to an address the sender may not send as. The caller gets a 2xx only after
 * `insertMessage` resolved, which means the message is durable.
 */
export async function accept(deps: PipelineDeps, input: AcceptInput): Promise<AcceptOutcome> {
  const outcome = await acceptOne(deps, input);
  deps.metrics?.accepted(outcome);
  return outcome;
}

async function acceptOne(deps: PipelineDeps, input: AcceptInput): Promise<AcceptOutcome> {
  const started = performance.now();
  // No retour yet: none is built before the sender is known to be allowed to send this (see below).
  const first = await deps.validation.validate(input.source);
  deps.metrics?.validated(first, (performance.now() - started) / 1000);
  const { entry, payloadEntry: planned, effective, header, route } = planOf(first, deps.routes());
  const channel = input.channel ?? { channel: input.via.kind === 'caller' ? 'internal' : 'party', replyTo: null };
  // Not recognised (or not readable): nothing to store under a standard, nothing to answer but the refusal.
  if (!entry) return { kind: 'invalid', verdict: first, situation: 'cannot-take' };
  const denial = authorise(input.permissions, effective, first);
  if (denial) {
    const kept = await reject(deps, {
      ...input,
      channel,
      verdict: first,
      situation: 'cannot-take',
      reason: `refused: ${denial.code}`,
    });
    return { ...denial, verdict: first, situation: 'cannot-take', rejectedId: kept.rejectedId };
  }
  // Authorised: the level-3 rules that need earlier berichten (iEb, iPgb) in a second pass against the store's
  // history; a failure there comes with its retour (level 3), like any rule failure below.
  const judged = await judgeWithHistory(deps, first, input.source);
  const verdict = judged.verdict;
  if (!verdict.valid) {
    const situation = situationOf(verdict);
    const earlier = await earlierRejection(deps, { via: input.via, channel, verdict });
    if (earlier) return { kind: 'repeat', message: earlier };
    // Authorised: now the retour the standard prescribes for a rule failure is built (the bericht judged again).
    // A history failure (first was valid) already carries its level-3 retour.
    const withRetour =
      situation === 'level-2-4' && !first.valid
        ? await deps.validation.validate(input.source, { retour: true })
        : verdict;
    const rejection = await reject(deps, {
      ...input,
      channel,
      verdict: withRetour,
      situation,
      reason: rejectionReason(situation, withRetour),
    });
    return { kind: 'invalid', verdict: withRetour, situation, ...rejection };
  }
  const payloadEntry = planned ?? entry;
  if (!route) {
    const text = `no route for ${payloadEntry.name} to ${header.ontvanger ?? header.afzender ?? 'this party'}; add one to the route table`;
    const kept = await reject(deps, {
      ...input,
      channel,
      verdict,
      situation: 'cannot-take',
      reason: 'refused: NO_ROUTE',
    });
    return { kind: 'no-route', verdict, text, situation: 'cannot-take', rejectedId: kept.rejectedId };
  }
  const found = await answeredHeen(deps.store, payloadEntry, header, input.permissions);
  if (found?.refusal) {
    const refusedId = await storeRefusedAnswer(deps, payloadEntry, header, input, found.refusal);
    return { kind: 'refused-answer', refusedId, verdict, ...found.refusal };
  }
  const byKey = found?.heen ?? null;
  // No crossRefnummer to follow: a CORV notificatie finds its VTO through case data.
  const cases = caseFacts(payloadEntry, header, input.source);
  const byCase = byKey || cases.lookups.length === 0 ? null : await firstTarget(deps.store, cases.lookups);
  const target = byKey ?? byCase;
  const facts = answeringTenancy(messageFacts(payloadEntry, header), target);
  // Every field named, no spread: an object made by a spread and then given a dozen more fields is kept by V8 as a
  // dictionary, about 8 KB per bericht to make and to collect (issue #17).
  const toInsert = {
    standard: facts.standard,
    release: facts.release,
    messageName: facts.messageName,
    direction: facts.direction,
    afzender: facts.afzender,
    ontvanger: facts.ontvanger,
    berichtIdentificatie: facts.berichtIdentificatie,
    dagtekening: facts.dagtekening,
    berichtcode: facts.berichtcode,
    referentienummer: facts.referentienummer,
    crossRef: facts.crossRef,
    gemeente: facts.gemeente,
    flow: facts.flow,
    dedup: dedupKey(payloadEntry, header),
    body: input.source,
    // A bericht that came in a GGK envelope is a repeat when the bericht is the same, whatever the envelope.
    contentHash: verdict.payload?.sha256,
    source: input.via,
    status: 'queued',
    destination: route.destination,
    // Linked in the same transaction as the insert: the heenbericht shows its answer as soon as it is stored.
    correlatedTo: target?.id ?? null,
    answerSummary: target ? answerSummary(input.source) : null,
    // Part of the heen's conversation, not its answer (a notificatie next to the VTO's Bv01/Fo01).
    countsAsAnswer: byCase === null,
    caseRef: cases.caseRef,
    findings: [],
    history: judged.facts,
  } satisfies NewMessage;
  // A fact messageFacts gains fails to compile here until it is named above.
  const everyFact: Exclude<keyof MessageFacts, keyof typeof toInsert> extends never ? true : never = true;
  void everyFact;
  const result = await deps.store.insertMessage(toInsert, `${input.via.kind}:${input.via.id}`);
  if (result.kind === 'duplicate-different') {
    const stuf = payloadEntry.standard === 'stuf-jz' || payloadEntry.standard === 'stuf';
    if (stuf) {
      return {
        kind: 'conflict',
        existingId: result.id,
        code: 'StUF016',
        retourcode: 'StUF016',
        text: 'combinatie zender en referentienummer niet uniek: an earlier message with other content has this referentienummer',
        verdict,
      };
    }
    return rejectTr056(deps, { ...input, channel }, result.id);
  }
  // An insert reads the stored message back in its own statement; a repeat reads the first one.
  const message = result.kind === 'inserted' ? result.message : (await deps.store.getMessage(result.id))!;
  if (result.kind === 'duplicate-same') return { kind: 'repeat', message };
  deps.onQueued?.();
  return { kind: 'accepted', message, verdict };
}

/**
 * Whether this caller or party may send this message as its Afzender. `v` is the bericht (inside an envelope);
 * when that is not recognised, the envelope's functie names the message.
 */
function authorise(
  p: Permissions,
  v: Verdict,
  envelope: Verdict,
): { kind: 'forbidden'; code: 'AFZENDER_NOT_ALLOWED' | 'MESSAGE_NOT_ALLOWED'; text: string } | null {
  const name = v.message ?? envelope.header.functie ?? envelope.message ?? '';
  if (!p.messages.includes('*') && !p.messages.includes(name)) {
    return { kind: 'forbidden', code: 'MESSAGE_NOT_ALLOWED', text: `this caller may not send ${name}` };
  }
  // A retour copies the heen's header: its Afzender is the party it goes back to, not the sender (identity.ts).
  const entry = catalogue.byName(name);
  const sender = entry ? partiesOf(entry, v.header).from : v.header.afzender;
  if (!p.afzenders.includes('*') && (!sender || !p.afzenders.includes(sender))) {
    return {
      kind: 'forbidden',
      code: 'AFZENDER_NOT_ALLOWED',
      text: `this caller may not send as Afzender ${sender ?? '(none)'}`,
    };
  }
  return null;
}

/**
 * The heenbericht this retour or StUF answer answers, and whether it may answer it (./answerer.ts): found by the
 * standard's correlation key, or, for a StUF answer from the GGK, by our own message id. Null: it answers
 * nothing stored (a heenbericht, or a retour whose heen the gateway never saw).
 */
async function answeredHeen(
  store: MessageStore,
  entry: CatalogueEntry,
  header: HeaderFacts,
  permissions: Permissions,
): Promise<{ heen: StoredMessage; refusal: AnswerRefusal | null } | null> {
  const key = correlationKey(entry, header);
  if (!key) return null;
  const byKey = await store.findCorrelationTarget(key);
  const heen = byKey ?? (await sentThroughGgk(store, entry, header));
  if (!heen) return null;
  const refusal = await answerRefusal(store, {
    entry,
    header,
    heen,
    senderCodes: permissions.afzenders,
    foundBy: byKey ? 'key' : 'message-id',
  });
  return { heen, refusal };
}

/**
 * A StUF answer (Fo01, Bv01) to a bericht the GGK adapter sent: the envelope's referentienummer was made from that
 * message's id (src/stuf/ggk-referentienummer.ts), so the answer's crossRefnummer leads back to it. Only a heenbericht of the party the answer is for;
 * whether the party that hands it in may answer it is checked like any answer.
 */
async function sentThroughGgk(
  store: MessageStore,
  entry: CatalogueEntry,
  h: HeaderFacts,
): Promise<StoredMessage | null> {
  if (entry.standard !== 'stuf' || !h.crossRefnummer) return null;
  for (const id of messageIdsOf(h.crossRefnummer)) {
    const sent = await store.getMessage(id);
    if (sent) return sent.direction === 'heen' && sent.afzender === h.ontvanger ? sent : null;
  }
  return null;
}

/**
 * A refused answer is still a fact of the chain: stored as rejected with the reason (no personal data), never
 * linked to the heen it named, never delivered, taking no part in uniqueness.
 */
async function storeRefusedAnswer(
  deps: PipelineDeps,
  entry: CatalogueEntry,
  h: HeaderFacts,
  input: AcceptInput,
  refusal: AnswerRefusal,
): Promise<string> {
  const result = await deps.store.insertMessage(
    {
      ...messageFacts(entry, h),
      dedup: null,
      body: input.source,
      source: input.via,
      status: 'rejected',
      statusReason: `${refusal.code}: ${refusal.text}`,
      correlatedTo: null,
      findings: [
        {
          level: 'rule',
          code: refusal.code,
          retourcode: null,
          line: null,
          column: null,
          path: null,
          text: refusal.text,
        },
      ],
    },
    `${input.via.kind}:${input.via.id}`,
  );
  return result.id;
}

/** The first message one of these keys finds. */
async function firstTarget(store: MessageStore, keys: readonly CorrelationKey[]): Promise<StoredMessage | null> {
  for (const key of keys) {
    const found = await store.findCorrelationTarget(key);
    if (found) return found;
  }
  return null;
}

/** Why a bericht was rejected, for beheer: the level and the first finding's code (no personal data). */
function rejectionReason(situation: Situation, verdict: Verdict): string {
  const inner = verdict.payload ?? verdict;
  const first = (situation === 'cannot-take' ? verdict : inner).findings[0];
  const level =
    situation === 'level-1' ? 'level 1 (schema)' : situation === 'level-2-4' ? 'technical rules' : 'not taken';
  return `rejected: ${level}, ${inner.findings.length || verdict.findings.length} finding(s)${first ? `; first ${first.code}` : ''}`;
}

/**
 * TR056: the same BerichtIdentificatie from this Afzender with other content. The bericht is kept as rejected
 * and answered with the retour the standard prescribes (RetourCode 9056) on its channel.
 */
async function rejectTr056(
  deps: PipelineDeps,
  input: AcceptInput & { channel: ChannelContext },
  existingId: string,
): Promise<AcceptOutcome> {
  const text =
    'BerichtIdentificatie is not unique for this Afzender and message: an earlier bericht with other content has it';
  const verdict = await deps.validation.validate(input.source, { retour: true, retourCodes: ['9056'] });
  const tr056: Finding = {
    level: 'rule',
    code: 'TR056',
    retourcode: '9056',
    line: null,
    column: null,
    path: '/Bericht/Header/BerichtIdentificatie/Identificatie',
    text: `${text} (${existingId})`,
  };
  const rejection = await reject(deps, {
    ...input,
    verdict,
    situation: 'level-2-4',
    reason: 'rejected: TR056 (9056)',
    findings: [tr056],
  });
  const retour = (verdict.payload ?? verdict).retour;
  return {
    kind: 'conflict',
    existingId,
    code: 'TR056',
    retourcode: '9056',
    text,
    verdict,
    situation: 'level-2-4',
    ...rejection,
    ...(retour ? { retour } : {}),
  };
}
