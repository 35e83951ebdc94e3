/**
 * An example bericht of any message in the catalogue, made by the project's own builders (this folder) and the
 * gateway's own retour and envelope code: a fresh Identificatie (iStandaarden) or referentienummer (StUF, a UUID
 * v4), today's Dagtekening (Europe/Amsterdam), a test BSN that passes the elfproef and the codes of the demo
 * configuration (config/default.yaml). `schakel example` prints them; the tests validate every one.
 */
import { randomUUID } from 'node:crypto';
import { catalogue } from '../catalogue/catalogue.ts';
import { recognise } from '../catalogue/recognise.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import { buildRetour } from '../retour/istandaarden.ts';
import { calendarDay } from '../rules/istandaarden/dates.ts';
import { wrap } from '../stuf/ggk-envelope.ts';
import { prepareEnvelope } from '../stuf/ggk-envelope-options.ts';
import { parseToTree } from '../xml/parse.ts';
import { build as buildModelled, DEFAULT_FUNCTIE, DEFAULT_IEB_PERIOD, type ModelledName } from './ieb-ipgb.ts';
import { BREAKERS, type Breaker, breakerFor } from './invalid.ts';
import { buildIstandaard, parseIstandaardHeen } from './istandaarden.ts';
import {
  build as buildStuf,
  PARTIES,
  type Party,
  type MessageName as StufName,
  specOf,
  stufTijdstip,
  TEST_BSNS,
} from './stuf-jz.ts';

/** Codes of the demo configuration (config/default.yaml). */
export const DEMO_CODES = {
  gemeente: '0363',
  /** Demo Zorg, the Wmo-aanbieder. */
  wmoAanbieder: '42420001',
  /** Demo Jeugdhulp, the Jw-aanbieder. */
  jwAanbieder: '65656055',
} as const;

/** The BSN every example carries: from the 99999xxxx test range, passes the elfproef. */
export const EXAMPLE_BSN = TEST_BSNS[0];

export interface ExampleOptions {
  /** Header/Afzender (iStandaarden; for iEb/iPgb the gemeente) or zender/organisatie (StUF). */
  afzender?: string;
  /** Header/Ontvanger or ontvanger/organisatie. */
  ontvanger?: string;
  /** Break exactly this rule (a rule code, or XSD). */
  invalid?: string;
  /** GGK envelopes: the message inside (default WMO301 in a Di01, WMO302 in a Du01). */
  payload?: string;
  /** The moment the example is made (default now). */
  now?: Date;
}

/** A request the examples cannot fulfil: an unknown message, a rule that cannot be broken there, … */
export class ExampleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExampleError';
  }
}

/** Every message name an example can be made of: the whole catalogue. */
export function exampleNames(): string[] {
  return catalogue.entries.map((e) => e.name);
}

/** 12 characters, fresh every time: LDT_IdentificatieBericht allows 1–12. */
export function freshIdentificatie(): string {
  return randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase();
}

function entryOf(name: string): CatalogueEntry {
  const entry = catalogue.byName(name);
  if (!entry) throw new ExampleError(`unknown message "${name}"; known: ${exampleNames().join(', ')}`);
  return entry;
}

/** The rules `--invalid` can break in this message. */
export function breakableRules(name: string): string[] {
  const entry = entryOf(name);
  const target = entry.standard === 'ggk' ? undefined : entry;
  return BREAKERS.filter((b) =>
    target ? b.appliesTo(target) : !b.inPayload ? b.appliesTo(entry) : b.appliesTo(payloadEntry(entry)),
  ).map((b) => b.rule);
}

function payloadEntry(envelope: CatalogueEntry, payload?: string): CatalogueEntry {
  return entryOf(payload ?? (envelope.name === 'ggk_Du01' ? 'WMO302' : 'WMO301'));
}

/** An example of the named message, valid unless `opts.invalid` names a rule to break. */
export function makeExample(name: string, opts: ExampleOptions = {}): string {
  const entry = entryOf(name);
  const now = opts.now ?? new Date();
  const dagtekening = calendarDay(now);
  const breaker = opts.invalid === undefined ? undefined : checkedBreaker(entry, opts);
  const ctx = { dagtekening, bsn: EXAMPLE_BSN };
  if (entry.standard === 'ggk') {
    const inner = payloadEntry(entry, opts.payload);
    if (inner.standard === 'ggk' || inner.standard === 'stuf' || inner.standard === 'stuf-jz') {
      throw new ExampleError(`${inner.name} does not travel in a GGK envelope (iWmo, iJw, iEb and iPgb berichten do)`);
    }
    if ((inner.direction === 'retour') !== (entry.name === 'ggk_Du01')) {
      throw new ExampleError(
        `${inner.name} is a ${inner.direction}bericht: it travels in a ${inner.direction === 'retour' ? 'ggk_Du01' : 'ggk_Di01'}`,
      );
    }
    let payload = plain(inner, { ...opts, now });
    if (breaker?.inPayload) payload = breaker.apply(payload, ctx);
    const envelope = envelopeAround(inner, payload, randomUUID());
    return breaker && !breaker.inPayload ? breaker.apply(envelope, ctx) : envelope;
  }
  const xml = plain(entry, { ...opts, now });
  return breaker ? breaker.apply(xml, ctx) : xml;
}

function checkedBreaker(entry: CatalogueEntry, opts: ExampleOptions): Breaker {
  const breaker = breakerFor(opts.invalid!);
  const can =
    entry.standard === 'ggk'
      ? breakableRules(entry.name)
      : BREAKERS.filter((b) => b.appliesTo(entry)).map((b) => b.rule);
  if (!breaker)
    throw new ExampleError(
      `--invalid ${opts.invalid}: not a rule the examples can break; in ${entry.name}: ${can.join(', ')}`,
    );
  const target = entry.standard === 'ggk' && breaker.inPayload ? payloadEntry(entry, opts.payload) : entry;
  if (!breaker.appliesTo(target)) {
    const where = BREAKERS.includes(breaker) ? exampleNames().filter((n) => breaker.appliesTo(entryOf(n))) : [];
    throw new ExampleError(
      `--invalid ${breaker.rule}: cannot be broken in ${target.name} alone (it can in: ${where.join(', ') || 'none'}); in ${entry.name}: ${can.join(', ')}`,
    );
  }
  return breaker;
}

/** A GGK envelope around a bericht, as the GGK adapter makes it (a Du01 names a made-up heen envelope). */
export function envelopeAround(inner: CatalogueEntry, payload: string, crossRefnummer?: string): string {
  const prepared = prepareEnvelope(
    { body: Buffer.from(payload), messageName: inner.name },
    { applicatie: 'Schakel', applicatieVersie: '0001', applicatieSubversie: '0000', crossRefnummer },
  );
  if (prepared.kind !== 'wrap')
    throw new ExampleError(prepared.kind === 'refused' ? prepared.reason : `${inner.name} is already an envelope`);
  return wrap(Buffer.from(payload), prepared.options);
}

/** A valid example of a message that is not an envelope. */
function plain(entry: CatalogueEntry, opts: ExampleOptions & { now: Date }): string {
  const dagtekening = calendarDay(opts.now);
  switch (entry.standard) {
    case 'iwmo':
    case 'ijw':
      return istandaard(entry, opts, dagtekening);
    case 'ieb':
    case 'ipgb':
      return modelled(entry, opts, dagtekening);
    case 'stuf-jz':
    case 'stuf':
      return stuf(entry, opts);
    case 'ggk':
      throw new ExampleError(`${entry.name} is an envelope`);
  }
}

function istandaard(entry: CatalogueEntry, opts: ExampleOptions, dagtekening: string): string {
  const heenName = entry.direction === 'heen' ? entry.name : entry.answers!;
  const parsed = parseIstandaardHeen(heenName);
  if (!parsed) throw new ExampleError(`no builder for ${heenName}`);
  const [standard, nr] = parsed;
  const aanbieder = standard === 'iwmo' ? DEMO_CODES.wmoAanbieder : DEMO_CODES.jwAanbieder;
  // --afzender/--ontvanger name the header's values; a retour copies them from its heen (the 325 swaps them).
  const swap = entry.name.endsWith('325');
  const afzender = swap ? opts.ontvanger : opts.afzender;
  const ontvanger = swap ? opts.afzender : opts.ontvanger;
  const fromGemeente = nr === '301' || nr === '319';
  const heen = buildIstandaard(standard, nr, {
    gemeente: (fromGemeente ? afzender : ontvanger) ?? DEMO_CODES.gemeente,
    aanbieder: (fromGemeente ? ontvanger : afzender) ?? aanbieder,
    identificatie: freshIdentificatie(),
    dagtekening,
    bsn: EXAMPLE_BSN,
  });
  if (entry.direction === 'heen') return heen;
  return retourOf(heen, dagtekening);
}

/** The "no remarks" retour of an iWmo/iJw heenbericht (a 325 says 0200: declaratie accepted). */
export function retourOf(heen: string, dagtekening: string): string {
  const root = parseToTree(heen);
  const r = recognise(root);
  if (!r.ok) throw new ExampleError(`not a bericht the gateway recognises: ${r.reason}`);
  const codes = r.entry.name.endsWith('323') ? ['0200'] : [];
  return buildRetour({ entry: r.entry, root }, codes, {
    identificatieRetour: freshIdentificatie(),
    dagtekeningRetour: dagtekening,
  });
}

function modelled(entry: CatalogueEntry, opts: ExampleOptions, dagtekening: string): string {
  const heenId = freshIdentificatie();
  // Periods start on the first of this month, so the iEb and iPgb windows around the Dagtekening hold.
  const start = `${dagtekening.slice(0, 8)}01`;
  return buildModelled(entry.name as ModelledName, {
    identificatie: heenId,
    dagtekening,
    gemeente: opts.afzender ?? opts.ontvanger ?? DEMO_CODES.gemeente,
    identificatieRetour: freshIdentificatie(),
    dagtekeningRetour: dagtekening,
    ieb: [{ bsn: EXAMPLE_BSN, periods: [{ ...DEFAULT_IEB_PERIOD, start, kostprijs: { bedrag: '2150', start } }] }],
    tkb: [{ bsn: EXAMPLE_BSN, budget: `PGB-${heenId}`, functies: [{ ...DEFAULT_FUNCTIE }] }],
  });
}

function stuf(entry: CatalogueEntry, opts: ExampleOptions & { now: Date }): string {
  const spec = specOf(entry.name as StufName);
  // A gemeente in the demo configuration is known by its gemeentecode.
  const demo = (p: Party): Partial<Party> => (p === PARTIES.gemeente ? { organisatie: DEMO_CODES.gemeente } : {});
  return buildStuf(spec.name, {
    tijdstipBericht: stufTijdstip(opts.now),
    zender: { ...demo(spec.from), ...(opts.afzender ? { organisatie: opts.afzender } : {}) },
    ontvanger: { ...demo(spec.to), ...(opts.ontvanger ? { organisatie: opts.ontvanger } : {}) },
  });
}
