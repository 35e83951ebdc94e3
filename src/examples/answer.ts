/**
 * The answer to a heenbericht, as its receiver would send it (`schakel example --answer FILE`, the demo
 * aanbieder): the heen is judged by the gateway's own validator first.
 *
 * - iWmo/iJw: a heen that fails its technical rules gets the retour the validator prescribes (RetourCodes of the
 *   findings); a valid one the "no remarks" retour (a 325 with 0200), both from src/retour/istandaarden.ts.
 * - iEb/iPgb: the retour copies the heen's header and classes, each class with RetourCode 0200 (the builders'
 *   shape); header RetourCodes carry the findings' retourcodes when rules failed.
 * - StUF-JZ: the answering message (Bv01 for a VTO, the terugkoppeling, the ucob/uci answer) with zender and
 *   ontvanger swapped and crossRefnummer = the heen's referentienummer where the answer has one; a heen that
 *   is not valid gets an Fo01.
 * - A ggk_Di01: the answer to its payload in a ggk_Du01 whose crossRefnummer is the Di01's referentienummer.
 */
import { catalogue } from '../catalogue/catalogue.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import { calendarDay } from '../rules/istandaarden/dates.ts';
import { unwrap } from '../stuf/ggk-envelope.ts';
import { answeredFrom, buildFo01 } from '../stuf/replies.ts';
import type { BerichtValidator } from '../validation/validator.ts';
import type { Verdict } from '../validation/verdict.ts';
import { parseToTree } from '../xml/parse.ts';
import type { XNode } from '../xml/tree.ts';
import { ExampleError, envelopeAround, freshIdentificatie, retourOf } from './examples.ts';
import { BODY_CLASSES } from './ieb-ipgb.ts';
import { build as buildStuf, type MessageName as StufName, specOf, stufTijdstip } from './stuf-jz.ts';
import { bt, type El, m, mt, retourCodes, serialiseBericht } from './tree.ts';

export interface AnswerOptions {
  validator: BerichtValidator;
  /** Default now. */
  now?: Date;
}

/** The answer to a heenbericht (bytes of any message the catalogue knows). */
export function answerTo(source: Uint8Array, opts: AnswerOptions): string {
  const verdict = opts.validator.validate(source, { retour: true });
  const entry = verdict.message ? catalogue.byName(verdict.message) : undefined;
  if (!entry)
    throw new ExampleError(`cannot answer: the bericht is not recognised (${verdict.findings[0]?.text ?? 'unknown'})`);
  const now = opts.now ?? new Date();
  if (entry.name === 'ggk_Di01') {
    if (!verdict.xsdValid)
      throw new ExampleError(`cannot answer: the ggk_Di01 envelope is not valid (${firstText(verdict)})`);
    const envelope = unwrap(source);
    const inner = answerTo(envelope.payload, opts);
    const innerEntry = catalogue.byName(opts.validator.validate(Buffer.from(inner)).message ?? '');
    if (!innerEntry) throw new ExampleError('cannot answer: the answer to the payload is not recognised');
    return envelopeAround(innerEntry, inner, envelope.stuurgegevens.referentienummer);
  }
  if (entry.direction !== 'heen')
    throw new ExampleError(`${entry.name} is a ${entry.direction}bericht: nothing answers it`);
  if (entry.answeredBy.length === 0) throw new ExampleError(`${entry.name} is not answered by another message`);
  if (!verdict.xsdValid)
    throw new ExampleError(
      `cannot answer: the ${entry.name} is not valid against its schema (${firstText(verdict)}); the standard prescribes no retour for that`,
    );
  const dagtekening = calendarDay(now);
  switch (entry.standard) {
    case 'iwmo':
    case 'ijw':
      return verdict.retour ?? retourOf(Buffer.from(source).toString('utf8'), dagtekening);
    case 'ieb':
    case 'ipgb':
      return modelledRetour(entry, parseToTree(source), verdict, dagtekening);
    default:
      return stufAnswer(entry, parseToTree(source), verdict, now);
  }
}

function firstText(v: Verdict): string {
  const f = v.findings[0];
  return f ? `${f.code} at line ${f.line ?? '?'}: ${f.text}` : 'no findings';
}

/** iEb/iPgb retour: the heen's tree in the retour's namespace, retour header elements added, classes answered. */
function modelledRetour(heen: CatalogueEntry, root: XNode, verdict: Verdict, dagtekening: string): string {
  const retour = catalogue.retourOf(heen);
  if (!retour) throw new ExampleError(`the catalogue has no retour for ${heen.name}`);
  const headerCodes = [...new Set(verdict.findings.map((f) => f.retourcode).filter((c): c is string => c !== null))];
  const basisNs = firstOtherNamespace(root, root.ns);
  if (!basisNs) throw new ExampleError(`the ${heen.name} has no basisschema elements to copy`);
  const convert = (node: XNode): El => {
    const basis = node.ns !== root.ns;
    if (node.children.length === 0) {
      const text = node.name === 'BerichtCode' && !basis && retour.berichtCode ? retour.berichtCode : node.text;
      return { name: node.name, basis, content: text };
    }
    const content = node.children.map(convert);
    if (node.name === 'Header' && !basis) {
      content.push(
        mt('IdentificatieRetour', freshIdentificatie()),
        mt('DagtekeningRetour', dagtekening),
        m('XsdVersieRetour', bt('BasisschemaXsdVersie', '1.0.0'), bt('BerichtXsdVersie', '1.0.0')),
        ...(headerCodes.length ? [retourCodes(headerCodes)] : []),
      );
    } else if (!basis && BODY_CLASSES.has(node.name)) content.push(retourCodes(['0200']));
    return { name: node.name, basis, content };
  };
  const prefix = retour.name.toLowerCase();
  return serialiseBericht(convert(root), {
    messagePrefix: prefix,
    message: retour.namespace,
    basisPrefix: retour.standard,
    basis: basisNs,
  });
}

function firstOtherNamespace(node: XNode, ns: string): string | undefined {
  for (const c of node.children) {
    const found = c.ns !== ns ? c.ns : firstOtherNamespace(c, ns);
    if (found) return found;
  }
  return undefined;
}

/** The StUF answer to a StUF-JZ heen: the catalogue's answering message, or an Fo01 when the heen is invalid. */
function stufAnswer(heen: CatalogueEntry, root: XNode, verdict: Verdict, now: Date): string {
  const answered = answeredFrom(root);
  if (!verdict.valid) {
    const f = verdict.findings[0]!;
    return buildFo01(
      answered,
      { code: f.code.slice(0, 7), plek: 'client', omschrijving: f.text.slice(0, 200) },
      { tijdstip: now },
    );
  }
  const name = heen.answeredBy[0] as StufName;
  const spec = specOf(name);
  return buildStuf(name, {
    tijdstipBericht: stufTijdstip(now),
    zender: { ...answered.ontvanger, organisatie: answered.ontvanger.organisatie ?? spec.from.organisatie },
    ontvanger: { ...answered.zender, organisatie: answered.zender.organisatie ?? spec.to.organisatie },
    ...(spec.crossRef ? { crossRefnummer: answered.referentienummer } : {}),
  });
}
