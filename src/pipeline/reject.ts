import { catalogue } from '../catalogue/catalogue.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import { findRoute } from '../config/routes.ts';
import type { RouteConfig } from '../config/schema.ts';
import type { MessageSource, MessageStore, StoredMessage } from '../store/types.ts';
import { answeredFrom, buildFo01, type Fout, findingDetails, fout, STUF055 } from '../stuf/replies.ts';
import type { Finding } from '../validation/finding.ts';
import type { ValidationService } from '../validation/service.ts';
import type { Verdict } from '../validation/verdict.ts';
import { parseToTree } from '../xml/parse.ts';
import { answerFor, type ChannelContext, type Situation } from './answer-channel.ts';
import { routeKey } from './identity.ts';
import { answerSummary, messageFacts } from './message-facts.ts';

/**
 * The refused and rejected side of the pipeline (standards.md §5 "Answers per channel", §6.1): a bericht the
 * gateway refuses or answers negatively is kept (status `rejected`: metadata, body, findings; it takes no part
 * in uniqueness), and the gateway's own answer (a retourbericht, a Fo01) is stored as a message of its own,
 * linked to it (the rejected bericht's `answeredBy`) and queued where the channel's answers go.
 */

/** What rejecting needs of the pipeline's dependencies (accept.ts passes its `PipelineDeps`). */
export interface RejectDeps {
  store: MessageStore;
  validation: ValidationService;
  routes: () => readonly RouteConfig[];
  onQueued?: () => void;
}

/** A message the gateway built and queued (or could not route) as its answer to a rejected bericht. */
export interface OwnAnswer {
  id: string;
  message: string;
  destination: string | null;
  summary: string | null;
}

export interface Rejection {
  rejectedId: string;
  answer?: OwnAnswer;
}

/** Which column of the table an invalid verdict falls in. */
export function situationOf(verdict: Verdict): Exclude<Situation, 'repeat' | 'accepted'> {
  if (!verdict.message) return 'cannot-take';
  // A GGK envelope that is itself not valid cannot be taken: its stuurgegevens are not to be trusted.
  if (verdict.standard === 'ggk' && (!verdict.xsdValid || !verdict.payload))
    return verdict.xsdValid ? 'level-1' : 'cannot-take';
  return (verdict.payload ?? verdict).xsdValid ? 'level-2-4' : 'level-1';
}

export interface RejectInput {
  source: Uint8Array;
  via: MessageSource;
  channel: ChannelContext;
  verdict: Verdict;
  situation: Exclude<Situation, 'repeat' | 'accepted'>;
  /** Why, for beheer (no personal data). */
  reason: string;
  /** Findings beyond the verdict's (TR056, which the store judged). */
  findings?: Finding[];
}

/**
 * An earlier copy of this message that was rejected: the same StUF (zender, referentienummer) from the same
 * party. A resend of it is answered as a repeat (Fo03 StUF016: the first copy arrived and was answered).
 */
export async function earlierRejection(
  deps: RejectDeps,
  input: Pick<RejectInput, 'via' | 'channel' | 'verdict'>,
): Promise<StoredMessage | null> {
  const ref = input.verdict.header.referentienummer;
  if (!ref || (input.channel.channel !== 'ggk' && input.channel.channel !== 'corv')) return null;
  const page = await deps.store.listMessages({
    sourceId: input.via.id,
    referentienummer: ref,
    status: 'rejected',
    limit: 1,
  });
  const first = page.items[0];
  return first && first.source.kind === input.via.kind ? deps.store.getMessage(first.id) : null;
}

/** Keeps the rejected bericht, then sends what its channel gets for it. */
export async function reject(deps: RejectDeps, r: RejectInput): Promise<Rejection> {
  const inner = r.verdict.payload ?? r.verdict;
  const entry = entryOf(inner) ?? entryOf(r.verdict);
  if (!entry) throw new Error('reject: an unrecognised bericht is not stored');
  const envelopeRef = r.verdict.standard === 'ggk' ? r.verdict.header.referentienummer : undefined;
  const findings = [
    ...(r.findings ?? []),
    ...(r.verdict.payload && !r.verdict.xsdValid ? r.verdict.findings : []),
    ...inner.findings,
  ];
  const stored = await deps.store.insertMessage(
    {
      ...messageFacts(entry, inner.header),
      // A GGK envelope's referentienummer: what a resend repeats and what the gateway's answer refers to.
      ...(envelopeRef ? { referentienummer: envelopeRef } : {}),
      dedup: null,
      body: r.source,
      ...(inner.sha256 ? { contentHash: inner.sha256 } : {}),
      source: r.via,
      status: 'rejected',
      statusReason: r.reason,
      findings,
    },
    `${r.via.kind}:${r.via.id}`,
  );
  const answer = await followUp(deps, r, stored.id, findings);
  return { rejectedId: stored.id, ...(answer ? { answer } : {}) };
}

function entryOf(v: Verdict): CatalogueEntry | undefined {
  return v.message ? catalogue.byName(v.message) : undefined;
}

async function followUp(
  deps: RejectDeps,
  r: RejectInput,
  rejectedId: string,
  findings: Finding[],
): Promise<OwnAnswer | undefined> {
  const retour = (r.verdict.payload ?? r.verdict).retour;
  const crossRef = r.verdict.header.referentienummer;
  switch (answerFor(r.channel.channel, r.situation).followUp) {
    case 'none':
      return undefined;
    case 'retour-routed':
      return retour
        ? storeOwnAnswer(deps, retour, { correlatedTo: rejectedId, destination: 'route', via: r.via })
        : undefined;
    case 'retour-reply':
      if (retour)
        return storeOwnAnswer(deps, retour, {
          correlatedTo: rejectedId,
          destination: r.channel.replyTo,
          via: r.via,
          crossRef,
        });
      // No retourbericht exists for this bericht (a retour itself, or one the gateway cannot build): a Fo01 with the rule.
      return sendFo01(deps, r, rejectedId, ruleFout(r.verdict, findings));
    case 'fo01':
      return sendFo01(
        deps,
        r,
        rejectedId,
        r.situation === 'level-1' ? schemaFout(r.verdict) : ruleFout(r.verdict, findings),
      );
  }
}

/** Fo01 StUF055: the bericht in the message the gateway took is not valid against its schema. */
function schemaFout(verdict: Verdict): Fout {
  const inner = verdict.payload ?? verdict;
  const what = inner.message ? `${inner.message} is not valid against its schema` : 'the bericht is not recognised';
  return fout(STUF055, `${what}: ${inner.findings[0]?.text ?? 'no details'}`, findingDetails(inner.findings));
}

/** Fo01 with the first failing rule's code (TR…, CS…), for a bericht no retourbericht can answer. */
function ruleFout(verdict: Verdict, findings: Finding[]): Fout {
  const inner = verdict.payload ?? verdict;
  const first = findings[0];
  const code = first && /^[A-Za-z]{2,4}[0-9]{3}$/.test(first.code) ? first.code : STUF055;
  return fout(
    code,
    `${inner.message ?? 'the bericht'} fails a technical rule: ${first?.text ?? 'no details'}`,
    findingDetails(findings),
  );
}

async function sendFo01(deps: RejectDeps, r: RejectInput, rejectedId: string, f: Fout): Promise<OwnAnswer | undefined> {
  let fo01: string;
  try {
    fo01 = buildFo01(answeredFrom(parseToTree(r.source)), f);
  } catch {
    // The received stuurgegevens cannot be read or answered in StUF; the endpoint refused such a message before.
    return undefined;
  }
  return storeOwnAnswer(deps, fo01, { correlatedTo: rejectedId, destination: r.channel.replyTo, via: r.via });
}

interface OwnAnswerTarget {
  correlatedTo: string;
  /** A destination id, null (none configured: kept as received), or 'route' (the route table decides). */
  destination: string | null | 'route';
  via: MessageSource;
  /** The received message's referentienummer, for a GGK Du01's crossRefnummer. */
  crossRef?: string | undefined;
}

/** The gateway's own answer is a bericht too: validated, stored, linked to what it answers and queued. */
async function storeOwnAnswer(deps: RejectDeps, text: string, t: OwnAnswerTarget): Promise<OwnAnswer | undefined> {
  const bytes = new TextEncoder().encode(text);
  const verdict = await deps.validation.validate(bytes);
  const entry = entryOf(verdict);
  if (!entry || !verdict.xsdValid) return undefined;
  const h = verdict.header;
  const destination =
    t.destination === 'route' ? (findRoute(deps.routes(), routeKey(entry, h))?.destination ?? null) : t.destination;
  const summary = answerSummary(bytes);
  const result = await deps.store.insertMessage(
    {
      ...messageFacts(entry, h),
      ...(t.crossRef && !h.crossRefnummer ? { crossRef: t.crossRef } : {}),
      dedup: null,
      body: bytes,
      source: { kind: 'caller', id: 'schakel' },
      status: destination ? 'queued' : 'received',
      destination,
      statusReason: destination
        ? null
        : `built for a rejected bericht from ${t.via.kind} ${t.via.id}; no destination for it`,
      correlatedTo: t.correlatedTo,
      answerSummary: summary,
    },
    'schakel',
  );
  if (destination) deps.onQueued?.();
  return { id: result.id, message: entry.name, destination, summary };
}
