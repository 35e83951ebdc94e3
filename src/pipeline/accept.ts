import { catalogue } from '../catalogue/catalogue.ts';
import type { HeaderFacts } from '../catalogue/header.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import { findRoute } from '../config/routes.ts';
import type { RouteConfig } from '../config/schema.ts';
import type { PipelineMetrics } from '../metrics.ts';
import type { CorrelationKey, MessageSource, MessageStore, StoredMessage } from '../store/types.ts';
import type { ValidationService } from '../validation/service.ts';
import type { Verdict } from '../validation/verdict.ts';
import { answerRefusal, type AnswerRefusal } from './answerer.ts';
import { caseFacts } from './case-reference.ts';
import type { ChainHistory, HistoryJudgement } from './history.ts';
import { correlationKey, dedupKey, headerParties, partiesOf, routeKey } from './identity.ts';
import { planOf } from './plan.ts';

/** What a caller or party may hand in: '*' or a list of Afzender codes and message names. */
export interface Permissions {
  afzenders: readonly string[];
  messages: readonly string[];
}

export interface AcceptInput {
  source: Uint8Array;
  via: MessageSource;
  permissions: Permissions;
}

export type AcceptOutcome =
  | { kind: 'accepted'; message: StoredMessage; verdict: Verdict }
  | { kind: 'repeat'; message: StoredMessage }
  | { kind: 'invalid'; verdict: Verdict; retourId?: string }
  | { kind: 'forbidden'; code: 'AFZENDER_NOT_ALLOWED' | 'MESSAGE_NOT_ALLOWED'; text: string; verdict: Verdict }
  | { kind: 'no-route'; verdict: Verdict; text: string }
  | { kind: 'conflict'; existingId: string; code: string; retourcode: string; text: string; verdict: Verdict }
  /** A retour or StUF answer that does not come from the addressee of the heen it names, or a second retour: stored as rejected. */
  | ({ kind: 'refused-answer'; refusedId: string; verdict: Verdict } & AnswerRefusal);

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
 * One bericht's way in: validate → authorise → route → store (with its outbox row) → correlate. The caller
 * gets a 2xx only after `insertMessage` resolved, which means the message is durable.
 */
export async function accept(deps: PipelineDeps, input: AcceptInput): Promise<AcceptOutcome> {
  const outcome = await acceptOne(deps, input);
  deps.metrics?.accepted(outcome);
  return outcome;
}

async function acceptOne(deps: PipelineDeps, input: AcceptInput): Promise<AcceptOutcome> {
  const started = performance.now();
  // The level-3 rules that need earlier berichten (iEb, iPgb) in a second pass against the store's history.
  const judged = await judgeWithHistory(deps, await deps.validation.validate(input.source, { retour: true }), input.source);
  const verdict = judged.verdict;
  deps.metrics?.validated(verdict, (performance.now() - started) / 1000);
  const { entry, payloadEntry: planned, effective, header, route } = planOf(verdict, deps.routes());
  if (!entry || !verdict.valid) {
    // An external party's rejected heenbericht is answered with a retour that travels back like any bericht;
    // an internal system gets the retour in the HTTP answer only.
    const retourId =
      entry && verdict.retour && input.via.kind === 'inbound' ? await storeOwnRetour(deps, verdict.retour, input.via) : undefined;
    return { kind: 'invalid', verdict, ...(retourId ? { retourId } : {}) };
  }
  const payloadEntry = planned ?? entry;
  const denial = authorise(input.permissions, effective);
  if (denial) return { ...denial, verdict };

  if (!route) {
    return {
      kind: 'no-route',
      verdict,
      text: `no route for ${payloadEntry.name} to ${header.ontvanger ?? header.afzender ?? 'this party'}; add one to the route table`,
    };
  }
  const found = await answeredHeen(deps.store, payloadEntry, header, input.permissions);
  if (found?.refusal) {
    const refusedId = await storeRefusedAnswer(deps, payloadEntry, header, input, found.refusal);
    return { kind: 'refused-answer', refusedId, verdict, ...found.refusal };
  }
  const byKey = found?.heen ?? null;
  // No crossRefnummer to follow: a CORV notificatie finds its VTO through case data.
  const cases = caseFacts(payloadEntry, header, input.source);
  const byCase = byKey ? null : await firstTarget(deps.store, cases.lookups);
  const target = byKey ?? byCase;
  const result = await deps.store.insertMessage(
    {
      ...messageFacts(payloadEntry, header),
      dedup: dedupKey(payloadEntry, header),
      body: input.source,
      // A bericht that came in a GGK envelope is a repeat when the bericht is the same, whatever the envelope.
      ...(verdict.payload?.sha256 ? { contentHash: verdict.payload.sha256 } : {}),
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
    },
    `${input.via.kind}:${input.via.id}`,
  );
  if (result.kind === 'duplicate-different') {
    const stuf = payloadEntry.standard === 'stuf-jz' || payloadEntry.standard === 'stuf';
    return {
      kind: 'conflict',
      existingId: result.id,
      code: stuf ? 'StUF016' : 'TR056',
      retourcode: stuf ? 'StUF016' : '9056',
      text: stuf
        ? 'combinatie zender en referentienummer niet uniek: an earlier message with other content has this referentienummer'
        : 'BerichtIdentificatie is not unique for this Afzender and message: an earlier bericht with other content has it',
      verdict,
    };
  }
  // An insert reads the stored message back in its own statement; a repeat reads the first one.
  const message = result.kind === 'inserted' ? result.message : (await deps.store.getMessage(result.id))!;
  if (result.kind === 'duplicate-same') return { kind: 'repeat', message };
  deps.onQueued?.();
  return { kind: 'accepted', message, verdict };
}

function authorise(p: Permissions, v: Verdict): Omit<Extract<AcceptOutcome, { kind: 'forbidden' }>, 'verdict'> | null {
  const name = v.message ?? '';
  if (!p.messages.includes('*') && !p.messages.includes(name)) {
    return { kind: 'forbidden', code: 'MESSAGE_NOT_ALLOWED', text: `this caller may not send ${name}` };
  }
  // A retour copies the heen's header: its Afzender is the party it goes back to, not the sender (identity.ts).
  const entry = catalogue.byName(name);
  const sender = entry ? partiesOf(entry, v.header).from : v.header.afzender;
  if (!p.afzenders.includes('*') && (!sender || !p.afzenders.includes(sender))) {
    return { kind: 'forbidden', code: 'AFZENDER_NOT_ALLOWED', text: `this caller may not send as Afzender ${sender ?? '(none)'}` };
  }
  return null;
}

/** The catalogue and header facts every stored message carries (a retour is stored under its own identity). */
function messageFacts(entry: CatalogueEntry, h: HeaderFacts) {
  // iEb/iPgb: the chain party the header leaves out (CAK, SVB) is stored, so a 508 finds its 507 under SVB.
  const parties = headerParties(entry, h);
  return {
    standard: entry.standard,
    release: entry.release,
    messageName: entry.name,
    direction: entry.direction,
    afzender: parties.afzender ?? null,
    ontvanger: parties.ontvanger ?? null,
    berichtIdentificatie: h.identificatieRetour ?? h.identificatie ?? null,
    dagtekening: h.dagtekeningRetour ?? h.dagtekening ?? null,
    berichtcode: h.berichtCode ?? h.stufBerichtcode ?? null,
    referentienummer: h.referentienummer ?? null,
    crossRef: h.crossRefnummer ?? null,
  };
}

/**
 * A short outcome for the heenbericht: the retourcodes of a retourbericht ("0200", "0001 8848"), or the error
 * code of a StUF Fo01/Fo03 ("StUF010").
 */
function answerSummary(source: Uint8Array): string | null {
  const text = new TextDecoder().decode(source);
  const codes = [...text.matchAll(/<(?:[\w-]+:)?RetourCode>\s*([0-9A-Z]{4})\s*</g)].map((m) => m[1]);
  if (codes.length) return [...new Set(codes)].join(' ');
  if (!/<(?:[\w-]+:)?Fo0[1-4]Bericht[\s>]/.test(text)) return null;
  return /<(?:[\w-]+:)?code>\s*([A-Za-z0-9]{1,7})\s*</.exec(text)?.[1] ?? null;
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
 * A StUF answer (Fo01, Bv01) to a bericht the GGK adapter sent: the envelope's referentienummer was that
 * message's id, so the answer's crossRefnummer names it. Only a heenbericht of the party the answer is for;
 * whether the party that hands it in may answer it is checked like any answer.
 */
async function sentThroughGgk(store: MessageStore, entry: CatalogueEntry, h: HeaderFacts): Promise<StoredMessage | null> {
  if (entry.standard !== 'stuf' || !h.crossRefnummer || !UUID.test(h.crossRefnummer)) return null;
  const sent = await store.getMessage(h.crossRefnummer);
  return sent && sent.direction === 'heen' && sent.afzender === h.ontvanger ? sent : null;
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
      findings: [{ level: 'rule', code: refusal.code, retourcode: null, line: null, column: null, path: null, text: refusal.text }],
    },
    `${input.via.kind}:${input.via.id}`,
  );
  return result.id;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The first message one of these keys finds. */
async function firstTarget(store: MessageStore, keys: readonly CorrelationKey[]): Promise<StoredMessage | null> {
  for (const key of keys) {
    const found = await store.findCorrelationTarget(key);
    if (found) return found;
  }
  return null;
}

/** A retour the gateway built for its own verdict is a bericht too: stored and routed back when a route exists. */
async function storeOwnRetour(deps: PipelineDeps, retour: string, via: MessageSource): Promise<string | undefined> {
  const bytes = new TextEncoder().encode(retour);
  const verdict = await deps.validation.validate(bytes);
  const entry = verdict.message ? catalogue.byName(verdict.message) : undefined;
  if (!entry || !verdict.xsdValid) return undefined;
  const route = findRoute(deps.routes(), routeKey(entry, verdict.header));
  const h = verdict.header;
  const result = await deps.store.insertMessage(
    {
      ...messageFacts(entry, h),
      dedup: null,
      body: bytes,
      source: { kind: 'caller', id: 'schakel' },
      status: route ? 'queued' : 'received',
      destination: route?.destination ?? null,
      statusReason: route ? null : `built for a rejected bericht from ${via.kind} ${via.id}; no route back`,
    },
    'schakel',
  );
  if (route) deps.onQueued?.();
  return result.id;
}
