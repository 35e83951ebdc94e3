import { randomUUID } from 'node:crypto';
import { STUF0301_NS } from '../catalogue/data/stuf.ts';
import { redactBsn } from '../security/redact.ts';
import type { Finding } from '../validation/finding.ts';
import { child, textAt, type XNode } from '../xml/tree.ts';
import { leaf, readSysteem, renderSysteem, type Systeem, stufTijdstip, systeemProblems } from './stuurgegevens.ts';

/**
 * The StUF0301 answers (standards.md §2.4, §4.5, §6.5): Bv03 (synchronous acknowledgement), Fo03 (synchronous
 * fault) and Fo01 (asynchronous error). Each answers one message: its stuurgegevens swap the answered message's
 * zender and ontvanger, and crossRefnummer is the answered message's referentienummer. They are built for the
 * StUF-JZ jz pack's service messages (StUF0301 patch 28), which the GGK's patch 24 accepts as well.
 */

/** What an answer needs from the message it answers. */
export interface AnsweredMessage {
  zender: Systeem;
  ontvanger: Systeem;
  referentienummer: string;
}

export interface ReplyOptions {
  /** The answer's own referentienummer; default a fresh UUID v4. */
  referentienummer?: string;
  /** Default: now. */
  tijdstip?: Date;
}

/** The Fo01/Fo03 body: code (≤7), plek (client|server), omschrijving (≤200), details (≤1000). */
export interface Fout {
  code: string;
  plek: 'client' | 'server';
  omschrijving: string;
  details?: string;
}

/** A repeated (zender, referentienummer): the message was received before (§6.5; VNG test set). */
export const STUF016: Fout = {
  code: 'StUF016',
  plek: 'client',
  omschrijving: 'Combinatie zender en referentienummer niet uniek',
};

/** The schema failure of a bericht the receiver took (Fo01 on level 1, standards.md §6.1, §6.5). */
export const STUF055 = 'StUF055';

/**
 * A Fo01/Fo03 body within the StUF lengths: omschrijving ≤200 and details ≤1000 characters, clipped, with every
 * BSN-shaped number masked.
 */
export function fout(code: string, omschrijving: string, details?: string, plek: Fout['plek'] = 'client'): Fout {
  return {
    code,
    plek,
    omschrijving: clip(redactBsn(omschrijving), 200),
    ...(details ? { details: clip(redactBsn(details), 1000) } : {}),
  };
}

/** The first findings as one line each: code, retourcode, line and path, text. */
export function findingDetails(findings: readonly Finding[], max = 10): string {
  return findings
    .slice(0, max)
    .map(
      (f) =>
        `${f.code}${f.retourcode ? ` (retourcode ${f.retourcode})` : ''}${f.line !== null ? ` line ${f.line}` : ''}${f.path ? ` ${f.path}` : ''}: ${f.text}`,
    )
    .join('; ');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The zender, ontvanger and referentienummer of any StUF message tree (a jz0100 root, an envelope, a Bv/Fo). */
export function answeredFrom(root: XNode): AnsweredMessage {
  const s = child(root, 'stuurgegevens');
  return {
    zender: readSysteem(child(s, 'zender')),
    ontvanger: readSysteem(child(s, 'ontvanger')),
    referentienummer: textAt(s, 'referentienummer') ?? '',
  };
}

export function buildBv03(answered: AnsweredMessage, opts: ReplyOptions = {}): string {
  return reply('Bv03', answered, undefined, opts);
}

export function buildFo03(answered: AnsweredMessage, fout: Fout, opts: ReplyOptions = {}): string {
  return reply('Fo03', answered, fout, opts);
}

export function buildFo01(answered: AnsweredMessage, fout: Fout, opts: ReplyOptions = {}): string {
  return reply('Fo01', answered, fout, opts);
}

/** Fo03 StUF016 for a message whose (zender, referentienummer) was received before. */
export function buildDuplicateFo03(answered: AnsweredMessage, opts: ReplyOptions = {}): string {
  return buildFo03(answered, STUF016, opts);
}

function reply(
  berichtcode: 'Bv03' | 'Fo01' | 'Fo03',
  answered: AnsweredMessage,
  fout: Fout | undefined,
  opts: ReplyOptions,
): string {
  // The answer goes back: our zender is the answered message's ontvanger, and the other way round.
  const zender = answered.ontvanger;
  const ontvanger = answered.zender;
  const referentienummer = opts.referentienummer ?? randomUUID();
  const problems = [
    ...systeemProblems('zender (the answered ontvanger)', zender, false),
    ...systeemProblems('ontvanger (the answered zender)', ontvanger, false),
  ];
  if (answered.referentienummer.length < 1 || answered.referentienummer.length > 40)
    problems.push('the answered referentienummer must be 1–40 characters');
  if (referentienummer.length < 1 || referentienummer.length > 40)
    problems.push('referentienummer must be 1–40 characters');
  if (fout) {
    if (fout.code.length < 1 || fout.code.length > 7) problems.push('code must be 1–7 characters');
    if (fout.omschrijving.length > 200) problems.push('omschrijving is at most 200 characters');
    if (fout.details !== undefined && fout.details.length > 1000) problems.push('details is at most 1000 characters');
  }
  if (problems.length) throw new Error(`cannot build a StUF ${berichtcode}: ${problems.join('; ')}`);

  const root = `${berichtcode}Bericht`;
  const body = fout
    ? '  <StUF:body>\n' +
      leaf('StUF', 'code', fout.code, '    ') +
      leaf('StUF', 'plek', fout.plek, '    ') +
      leaf('StUF', 'omschrijving', fout.omschrijving, '    ') +
      leaf('StUF', 'details', fout.details, '    ') +
      '  </StUF:body>\n'
    : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<StUF:${root} xmlns:StUF="${STUF0301_NS}">\n` +
    '  <StUF:stuurgegevens>\n' +
    leaf('StUF', 'berichtcode', berichtcode, '    ') +
    renderSysteem('zender', zender, '    ') +
    renderSysteem('ontvanger', ontvanger, '    ') +
    leaf('StUF', 'referentienummer', referentienummer, '    ') +
    leaf('StUF', 'tijdstipBericht', stufTijdstip(opts.tijdstip ?? new Date()), '    ') +
    leaf('StUF', 'crossRefnummer', answered.referentienummer, '    ') +
    '  </StUF:stuurgegevens>\n' +
    body +
    `</StUF:${root}>\n`
  );
}
