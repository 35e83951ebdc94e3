/**
 * What the fuzz test asserts about one answer: its status is documented for the route in /openapi.json, its body
 * has the documented shape (checked against the document's own schemas), and, for a mutant of an official
 * example, the gateway's level-1 verdict is the official XSD's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ParseOption, XmlDocument } from 'libxml2-wasm';
import { officialSchema } from '../helpers/official.ts';
import { referenceDir } from '../helpers/reference.ts';

type Json = unknown;
type Schema = Record<string, Json>;

/** The parts of an OpenAPI 3.1 document the checks read. */
export interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema?: Schema }> }> }>
  >;
  components: { schemas: Record<string, Schema> };
}

/** The documented statuses of an operation, each with its documented media types and their schemas (null: none given). */
export function documentedResponses(
  doc: OpenApiDoc,
  route: string,
  method: string,
): Map<number, Map<string, Schema | null>> {
  const op = doc.paths[route]?.[method];
  if (!op) throw new Error(`/openapi.json documents no ${method.toUpperCase()} ${route}`);
  return new Map(
    Object.entries(op.responses).map(([status, r]) => [
      Number(status),
      new Map(Object.entries(r.content ?? {}).map(([type, c]) => [type.toLowerCase(), c.schema ?? null])),
    ]),
  );
}

/** A SOAP answer's fault code (SOAP 1.1 faultcode, SOAP 1.2 Code/Value) and texts; null when the body is no SOAP Envelope. */
export function soapAnswer(text: string): { fault: boolean; code: string | null; texts: string[] } | null {
  if (!/^(?:<\?xml[^>]*\?>\s*)?<(?:[\w.-]+:)?Envelope[\s>]/.test(text)) return null;
  const fault = /<(?:[\w.-]+:)?Fault[\s>]/.test(text);
  const code =
    /<(?:[\w.-]+:)?faultcode>\s*([^<\s]+)/.exec(text)?.[1] ??
    /<(?:[\w.-]+:)?Code>\s*<(?:[\w.-]+:)?Value>\s*([^<\s]+)/.exec(text)?.[1] ??
    null;
  const texts = [
    ...text.matchAll(/<(?:[\w.-]+:)?(?:faultstring|Text|omschrijving|foutomschrijving)[^>]*>([^<]*)</g),
  ].map((m) => m[1]!);
  return { fault, code, texts };
}

/**
 * Where `value` departs from `schema` (the subset of JSON Schema the document uses: $ref, type, enum, required,
 * properties, items). [] when it conforms.
 */
export function schemaProblems(doc: OpenApiDoc, schema: Schema, value: Json, at = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = doc.components.schemas[name];
    if (!target) return [`${at}: unresolvable ${schema.$ref}`];
    return schemaProblems(doc, target, value, at);
  }
  const problems: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => hasType(t, value))) return [`${at}: expected ${types.join(' | ')}, got ${describe(value)}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (isObject(value)) {
    for (const key of (schema.required as string[] | undefined) ?? [])
      if (!(key in value)) problems.push(`${at}: required "${key}" missing`);
    for (const [key, sub] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) {
      if (key in value) problems.push(...schemaProblems(doc, sub, value[key], `${at}.${key}`));
    }
  }
  if (Array.isArray(value) && schema.items)
    value.forEach((v, i) => problems.push(...schemaProblems(doc, schema.items as Schema, v, `${at}[${i}]`)));
  return problems;
}

function hasType(t: string, v: Json): boolean {
  switch (t) {
    case 'null':
      return v === null;
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObject(v);
    default:
      return typeof v === t;
  }
}

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: Json) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

// ---------------------------------------------------------------------------------------------------------

/**
 * The gateway's level-1 verdict (well-formed, recognised, valid against the message's XSD) as its answer shows
 * it, or `policy` when the answer is a refusal the official schema has no counterpart for (a DTD, a byte-order
 * mark, a declared encoding other than UTF-8, a nesting or size limit, a content type).
 */
export type GatewayXsdVerdict =
  | { kind: 'verdict'; xsdValid: boolean; message: string | null }
  | { kind: 'policy'; code: string };

export function gatewayXsdVerdict(status: number, body: Json): GatewayXsdVerdict {
  const b = isObject(body) ? body : {};
  const error = isObject(b.error) ? b.error : {};
  const code = typeof error.code === 'string' ? error.code : '';
  const message = typeof b.message === 'string' ? b.message : null;
  // Authorisation comes before any judgement of the content (standards.md §5): a 403 says nothing about level 1.
  if (status === 403) return { kind: 'policy', code: `${status} ${code}` };
  if (status === 200 || status === 202 || status === 409) return { kind: 'verdict', xsdValid: true, message };
  if (status === 422) {
    // NO_ROUTE and RULES_FAILED come after a valid level 1; XSD_INVALID and the recognition codes do not.
    return { kind: 'verdict', xsdValid: code === 'NO_ROUTE' || code === 'RULES_FAILED', message };
  }
  // Not XML at all, or not well-formed (invalid UTF-8 is a well-formedness error to libxml2 too).
  if (status === 400 && ['XML_NOT_WELL_FORMED', 'XML_EMPTY', 'XML_ENCODING_INVALID'].includes(code))
    return { kind: 'verdict', xsdValid: false, message: null };
  if (status === 415 && code === 'NOT_XML') return { kind: 'verdict', xsdValid: false, message: null };
  return { kind: 'policy', code: `${status} ${code}` };
}

/** The official verdict: parsed by libxml2 as the gateway parses, validated against the official XSD of its root's namespace. */
export type OfficialVerdict =
  | { kind: 'verdict'; valid: boolean; why: string }
  | { kind: 'no-schema'; namespace: string };

export class OfficialJudge {
  private readonly byNamespace = new Map<string, string>();

  /** `xsds`: the official message schemas, relative to the reference folder. */
  constructor(xsds: readonly string[]) {
    for (const xsd of xsds) {
      const text = fs.readFileSync(path.join(referenceDir, xsd), 'utf8');
      const ns = /targetNamespace="([^"]+)"/.exec(text)?.[1];
      if (ns) this.byNamespace.set(ns, xsd);
    }
  }

  judge(body: Uint8Array): OfficialVerdict {
    let doc: XmlDocument;
    try {
      doc = XmlDocument.fromBuffer(body, { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE });
    } catch {
      return { kind: 'verdict', valid: false, why: 'not well-formed' };
    }
    try {
      const ns = doc.root.namespaceUri;
      const xsd = this.byNamespace.get(ns);
      if (!xsd) {
        // No official schema declares this root: no message of the reference can it be.
        return ns.startsWith('http://www.istandaarden.nl/iwmo/') ||
          ns.startsWith('http://www.istandaarden.nl/ijw/') ||
          !ns.startsWith('http://www.istandaarden.nl/')
          ? { kind: 'verdict', valid: false, why: `no official schema for namespace "${ns}"` }
          : { kind: 'no-schema', namespace: ns };
      }
      try {
        officialSchema(xsd).validate(doc);
        return { kind: 'verdict', valid: true, why: `valid against ${xsd}` };
      } catch (e) {
        const details = (e as { details?: { line: number; message: string }[] }).details ?? [];
        return {
          kind: 'verdict',
          valid: false,
          why: `${xsd}: ${details[0] ? `line ${details[0].line}: ${details[0].message.trim()}` : String(e)}`,
        };
      }
    } finally {
      doc.dispose();
    }
  }
}
