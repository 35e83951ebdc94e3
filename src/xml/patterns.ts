/**
 * XSD patterns of the official schemas that libxml2 cannot judge on long values, each with an equivalent that
 * it can. libxml2 matches a pattern with a deterministic automaton when it can build one, and otherwise by
 * backtracking, which saves a rollback per character and gives up after 10,000,000 of them
 * (xmlregexp.c MAX_PUSH) with an internal error: a valid 10 MB Commentaar then fails validation altogether
 * (and long values take seconds even below that). The replacements accept exactly the same strings (a test
 * compares both on a corpus) and compile to deterministic automata, so matching is linear and bounded.
 *
 * XSD regex reminders: `.` is any character but \n and \r; `\s` is [ \t\n\r]; `[.\s]` is a dot or whitespace.
 */
export const LINEAR_PATTERNS: Readonly<Record<string, string>> = {
  /** iStandaarden LDT_Commentaar and kin: at least one non-whitespace character, newlines allowed. */
  '([.\\s]*\\S+[.\\s]*)+': '\\s*\\S[\\s\\S]*',
  /** StUF / GGK "not only spaces": one line (no \n, \r) with at least one non-whitespace character. */
  '.*[^\\s].*': '[ \\t]*[^\\s][^\\n\\r]*',
};

const PATTERN_ATTRIBUTE = /(<(?:[\w.-]+:)?pattern\s+value=")([^"]*)(")/g;

/** The schema text with every pattern of LINEAR_PATTERNS replaced by its equivalent (other bytes unchanged). */
export function withLinearPatterns(xsd: Uint8Array): Uint8Array {
  const text = Buffer.from(xsd).toString('utf8');
  let changed = false;
  const out = text.replace(PATTERN_ATTRIBUTE, (whole, open: string, value: string, close: string) => {
    const linear = LINEAR_PATTERNS[value];
    if (linear === undefined) return whole;
    changed = true;
    return `${open}${linear}${close}`;
  });
  return changed ? Buffer.from(out, 'utf8') : xsd;
}
