/**
 * A tiny element tree for the iStandaarden berichten (iWmo, iJw, iEb, iPgb): `m` elements are in the message
 * namespace, `b` elements in the basisschema namespace (elementFormDefault="qualified": elements declared in
 * the message XSD are in the message namespace, children of basisschema types in the basisschema namespace).
 */
import { escapeText } from '../xml/escape.ts';

export interface El {
  name: string;
  basis: boolean;
  content: string | El[];
}

type Part = El | undefined | false;

const keep = (content: Part[]): El[] => content.filter((c): c is El => c !== undefined && c !== false);

/** A message-namespace element with children (undefined/false children are left out). */
export const m = (name: string, ...content: Part[]): El => ({ name, basis: false, content: keep(content) });
/** A message-namespace element with text. */
export const mt = (name: string, text: string): El => ({ name, basis: false, content: text });
/** A basisschema element with children. */
export const b = (name: string, ...content: Part[]): El => ({ name, basis: true, content: keep(content) });
/** A basisschema element with text. */
export const bt = (name: string, text: string): El => ({ name, basis: true, content: text });

/** RetourCodes with one RetourCode per code. */
export function retourCodes(codes: readonly string[]): El {
  return m('RetourCodes', ...codes.map((c) => mt('RetourCode', c)));
}

function render(el: El, mp: string, bp: string, indent: string, out: string[]): void {
  const tag = `${el.basis ? bp : mp}:${el.name}`;
  if (typeof el.content === 'string') out.push(`${indent}<${tag}>${escapeText(el.content)}</${tag}>`);
  else {
    out.push(`${indent}<${tag}>`);
    for (const c of el.content) render(c, mp, bp, `${indent}  `, out);
    out.push(`${indent}</${tag}>`);
  }
}

/** The namespaces of one bericht: prefix and URI of the message and of its basisschema. */
export interface Namespaces {
  messagePrefix: string;
  message: string;
  basisPrefix: string;
  basis: string;
}

/** Serialises a bericht: XML declaration, both prefixes declared on the root, two-space indentation. */
export function serialiseBericht(root: El, ns: Namespaces): string {
  const lines: string[] = [];
  render(root, ns.messagePrefix, ns.basisPrefix, '', lines);
  lines[0] = lines[0]!.replace(
    '>',
    ` xmlns:${ns.messagePrefix}="${ns.message}" xmlns:${ns.basisPrefix}="${ns.basis}">`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${lines.join('\n')}\n`;
}
