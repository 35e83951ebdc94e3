import { createHash } from 'node:crypto';
import type { ErrorDetail, XsdValidator } from 'libxml2-wasm';
import { type Catalogue, catalogue as defaultCatalogue } from '../catalogue/catalogue.ts';
import { extractHeader } from '../catalogue/header.ts';
import { recognise } from '../catalogue/recognise.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import { buildAssessedRetour } from '../retour/istandaarden.ts';
import { loadGemeenten } from '../rules/gemeenten.ts';
import type { MessageHistory } from '../rules/history.ts';
import { loadProductList, type ProductList } from '../rules/products.ts';
import { ALL_RULES, rulesFor } from '../rules/registry.ts';
import type { GemeenteList } from '../rules/types.ts';
import { redactBsn } from '../security/redact.ts';
import { envelopePayload } from '../stuf/ggk-envelope.ts';
import { lastStepName, SourceLocator } from '../xml/locate.ts';
import type { SchemaPacks } from '../xml/packs.ts';
import { DEFAULT_LIMITS, type ParsedXml, type ParseLimits, parseXml, toLiveTree, XmlInputError } from '../xml/parse.ts';
import { pathOf, type XNode } from '../xml/tree.ts';
import { XsdEngine, XsdLimitError } from '../xml/xsd.ts';
import type { Finding } from './finding.ts';
import type { Verdict } from './verdict.ts';

export interface ValidatorOptions {
  catalogue?: Catalogue;
  gemeenten?: GemeenteList;
  limits?: ParseLimits;
  /** The system date for "not in the future" rules; a function so that tests can pin it. */
  today?: () => Date;
  /** Version of the gateway's own rule set, written as XsltVersie in the retourberichten it builds. */
  rulesVersion?: string;
  /**
   * Earlier messages for the level-3 rules of iEb/iPgb (TR102–TR104, TR507, TR574). Without it those rules judge
   * only the bericht itself. Not passed to worker threads: a validator with a history validates inline.
   */
  history?: MessageHistory;
  /** The product list file for TR381 (validation.productList); without one TR381 judges nothing. */
  productListFile?: string;
}

export interface ValidateOptions {
  /** Build the prescribed retourbericht when a heenbericht fails its technical rules. */
  retour?: boolean;
  /**
   * With `retour`: retourcodes found outside this bericht (a level-3 rule the store judged, such as 9056 for
   * TR056); the retour is built with them even when the bericht itself passes.
   */
  retourCodes?: string[];
}

/**
 * Level 1 and 2 validation of one bericht: parse (safely), recognise, XSD against the compiled schema pack,
 * then the standard's technical rules. One parse per bericht; the libxml2 document is disposed before return.
 */
export class BerichtValidator {
  private readonly catalogue: Catalogue;
  private readonly gemeenten: GemeenteList;
  private readonly limits: ParseLimits;
  private readonly today: () => Date;
  private readonly rulesVersion: string;
  private readonly history: MessageHistory | undefined;
  private readonly products: ProductList | undefined;
  private readonly xsd = new XsdEngine();

  constructor(
    private readonly packs: SchemaPacks,
    opts: ValidatorOptions = {},
  ) {
    this.catalogue = opts.catalogue ?? defaultCatalogue;
    this.gemeenten = opts.gemeenten ?? loadGemeenten();
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.today = opts.today ?? (() => new Date());
    this.rulesVersion = opts.rulesVersion ?? '1.0.0';
    this.history = opts.history;
    this.products = opts.productListFile ? loadProductList(opts.productListFile) : undefined;
  }

  validate(source: Uint8Array, opts: ValidateOptions = {}): Verdict {
    return this.withoutBlanks(source, opts) ?? this.asWritten(source, opts);
  }

  /**
   * The verdict from a parse without the whitespace-only texts between elements (parse.ts `Blanks`), which is
   * cheaper at every step, when it is sure to be the verdict on the document as written: the body parsed, its
   * schema judged it valid (libxml2 drops such whitespace only in elements that have child elements, where a
   * schema without mixed content ignores it, so a document valid without it is valid with it) and nothing read
   * the text of an element with child elements. Otherwise undefined, and the caller judges the document as
   * written: an unreadable, unrecognised or invalid bericht is parsed twice.
   */
  private withoutBlanks(source: Uint8Array, opts: ValidateOptions): Verdict | undefined {
    let doc: ParsedXml;
    try {
      doc = parseXml(source, this.limits, 'drop-where-safe');
    } catch (e) {
      if (e instanceof XmlInputError) return undefined;
      throw e;
    }
    try {
      const verdict = this.judge(doc, source, opts);
      // Nothing was dropped (the body has a comment, CDATA or processing instruction): this is the verdict.
      if (!doc.blanksDropped) return verdict;
      return verdict.xsdValid && !doc.mixedTextRead ? verdict : undefined;
    } finally {
      doc.dispose();
    }
  }

  private asWritten(source: Uint8Array, opts: ValidateOptions): Verdict {
    let doc: ParsedXml;
    try {
      doc = parseXml(source, this.limits);
    } catch (e) {
      if (e instanceof XmlInputError) return unreadable(e);
      throw e;
    }
    try {
      return this.judge(doc, source, opts);
    } finally {
      doc.dispose();
    }
  }

  private judge(doc: ParsedXml, source: Uint8Array, opts: ValidateOptions): Verdict {
    // Used only until the document is disposed (validate's finally): texts are decoded when a rule reads them.
    const root = toLiveTree(doc);
    const locator = new SourceLocator(source);
    const recognition = recognise(root, this.catalogue);
    if (!recognition.ok) {
      return {
        ...empty(),
        findings: [nodeFinding('xsd', recognition.code, null, recognition.node, recognition.reason, locator)],
      };
    }
    const entry = recognition.entry;
    const header = extractHeader(entry, root);
    const base: Verdict = {
      message: entry.name,
      standard: entry.standard,
      release: entry.release,
      direction: entry.direction,
      header,
      xsdValid: false,
      valid: false,
      findings: [],
    };
    const schema = this.packs.find(entry.schema);
    if (!schema) {
      base.findings.push(
        nodeFinding(
          'xsd',
          'NO_SCHEMA',
          null,
          root,
          `no schema pack is loaded for ${entry.name} (${entry.schema.pack})`,
          locator,
        ),
      );
      return base;
    }
    base.findings.push(...this.xsdFindings(schema, doc, locator));
    base.xsdValid = base.findings.length === 0;
    if (base.xsdValid) base.findings.push(...this.ruleFindings(entry, root, locator));
    base.valid = base.findings.length === 0;
    if (entry.standard === 'ggk' && base.xsdValid) base.payload = this.unwrap(root, opts);
    if (base.payload && !base.payload.valid) base.valid = false;
    const extra = opts.retourCodes ?? [];
    if (opts.retour && base.xsdValid && (!base.valid || extra.length > 0) && !base.payload) {
      base.retour = this.retourFor(entry, root, base.findings, extra);
    }
    return base;
  }

  private xsdFindings(schema: XsdValidator, doc: ParsedXml, locator: SourceLocator): Finding[] {
    try {
      return this.xsd.validate(schema, doc).map((d) => xsdFinding(d, locator));
    } catch (e) {
      if (!(e instanceof XsdLimitError)) throw e;
      return [
        { level: 'xsd', code: 'XSD_LIMIT', retourcode: null, line: null, column: null, path: null, text: e.message },
      ];
    }
  }

  private ruleFindings(entry: CatalogueEntry, root: XNode, locator: SourceLocator): Finding[] {
    const ctx = {
      entry,
      root,
      today: this.today(),
      gemeenten: this.gemeenten,
      ...(this.history ? { history: this.history } : {}),
      ...(this.products ? { products: this.products } : {}),
    };
    const out: Finding[] = [];
    for (const rule of rulesFor(entry)) {
      for (const v of rule.check(ctx)) {
        out.push(nodeFinding('rule', rule.code, rule.retourcode, v.node, v.text, locator));
      }
    }
    return out;
  }

  /** The bericht inside a GGK envelope (parameters/bericht, base64), judged the same way. */
  private unwrap(root: XNode, opts: ValidateOptions): Verdict | undefined {
    const payload = envelopePayload(root);
    if (!payload) return undefined;
    return { ...this.validate(payload, opts), sha256: createHash('sha256').update(payload).digest('hex') };
  }

  private retourFor(entry: CatalogueEntry, root: XNode, findings: Finding[], extra: string[]): string | undefined {
    if (entry.direction !== 'heen' || !this.catalogue.retourOf(entry)) return undefined;
    if (entry.standard !== 'iwmo' && entry.standard !== 'ijw') return undefined;
    // Level 2 answers with the Header only (0001); levels 3/4 per class (standards.md §6.1).
    const issues = findings.flatMap((f) =>
      f.retourcode === null ? [] : [{ retourcode: f.retourcode, level: RULE_LEVEL.get(f.code) ?? 2, path: f.path }],
    );
    // Codes the caller adds (TR056's 9056, found by the store): a header error of level 3, Header only.
    for (const retourcode of extra) issues.push({ retourcode, level: 3, path: '/Bericht/Header' });
    const today = this.today();
    return buildAssessedRetour({ entry, root }, issues, {
      identificatieRetour: retourIdentificatie(today),
      // The Dutch calendar day, whatever the server's time zone.
      dagtekeningRetour: today,
      xsltVersie: this.rulesVersion,
    });
  }
}

function empty(): Verdict {
  return {
    message: null,
    standard: null,
    release: null,
    direction: null,
    header: {},
    xsdValid: false,
    valid: false,
    findings: [],
  };
}

function unreadable(e: XmlInputError): Verdict {
  return {
    ...empty(),
    findings: [
      {
        level: 'xsd',
        code: e.code,
        retourcode: null,
        line: e.line,
        column: e.column,
        path: null,
        text: redactBsn(e.message),
      },
    ],
  };
}

function xsdFinding(d: ErrorDetail, locator: SourceLocator): Finding {
  const path = d.xpath ?? null;
  const line = d.line || null;
  const column = d.col || (line && path ? locator.columnOf(line, lastStepName(path)) : null);
  return { level: 'xsd', code: 'XSD_INVALID', retourcode: null, line, column, path, text: redactBsn(d.message.trim()) };
}

/** A finding at an element of the bericht, with its line and column. */
export function nodeFinding(
  level: Finding['level'],
  code: string,
  retourcode: string | null,
  node: XNode,
  text: string,
  locator: SourceLocator,
): Finding {
  return {
    level,
    code,
    retourcode,
    line: node.line || null,
    column: node.line ? locator.columnOf(node.line, node.name) : null,
    path: pathOf(node),
    text: redactBsn(text),
  };
}

/** The level of each rule code, for the retour contents per level. */
const RULE_LEVEL = new Map(ALL_RULES.map((r) => [r.code, r.level]));

/** A retour's own Identificatie: at most 12 characters, unique enough per sender and day. */
export function retourIdentificatie(now: Date): string {
  return `S${now.getTime().toString(36).slice(-7)}${Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')}`.slice(0, 12);
}
