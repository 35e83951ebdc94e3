/** Level 1 (format: well-formedness, XSD, recognition) or level 2–4 technical rules. */
export type FindingLevel = 'xsd' | 'rule';

/** One reason a bericht is not valid, with where it is and what the standard answers. */
export interface Finding {
  level: FindingLevel;
  /** Machine-readable code: a rule code (CS002, TR135 …) or an XSD/parse code (XSD, XML_PARSE, UNRECOGNISED …). */
  code: string;
  /** The retourcode the standard prescribes for this finding, or null where none applies (level 1). */
  retourcode: string | null;
  line: number | null;
  column: number | null;
  /** Element path, e.g. /Bericht/Client/Bsn (prefixes as in the document). */
  path: string | null;
  text: string;
}
