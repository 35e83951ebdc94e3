/**
 * Masking of BSNs in every text that leaves the gateway (finding texts, error bodies, logs, list views).
 *
 * Two ways a BSN is found: by the element that carries it, whatever the value looks like (`0999900006`,
 * `999 900 006`, `99990000`: a BSN that lost its leading zero is still one), and, as a last resort, any
 * nine-digit number of its own. AGB codes (8 digits), gemeentecodes (4) and identificaties stay readable.
 */

/**
 * The elements whose value is a BSN, as the schema packs type them: `Bsn` (LDT_BurgerServicenummer in iWmo, iJw,
 * iEb, iPgb) and `inp.bsn` / `inn.nnpId` (BG:BSN-e in StUF-Jeugdzorg). A test checks this list against schemas/.
 */
export const BSN_ELEMENTS = ['Bsn', 'inp.bsn', 'inn.nnpId'] as const;

export const REDACTED_BSN = '*********';

const NAMES = BSN_ELEMENTS.map((n) => n.replace(/\./g, '\\.')).join('|');

/** `<Bsn>…</Bsn>`, `<iwmo:Bsn>…`, `<BG:inp.bsn StUF:noValue="…">…` in an XML excerpt. */
const IN_XML = new RegExp(`(<(?:[\\w.-]+:)?(?:${NAMES})(?:\\s[^>]*)?>)([^<]+)(?=<)`, 'g');

/** libxml2's `Element '{ns}Bsn': …` (and `Element 'Bsn', attribute …`): the message is about a BSN element. */
const LIBXML_SUBJECT = new RegExp(`Element '(?:\\{[^}]*\\})?(?:[\\w.-]+:)?(?:${NAMES})'`);
/** The value libxml2 quotes in such a message: `The value '…'` and `Element '…': '…' is not a valid value`. */
const LIBXML_VALUES = [/(The value ')([^']*)(')/g, /(Element '[^']*': ')([^']*)(' is not)/g];

/** `bsn: 999 900 006`, `"Bsn":"0999900006"`, `inp.bsn=99990000`, `BSN 99990000` in a free text or JSON. */
const KEY_VALUE = new RegExp(`(\\b(?:${NAMES}|bsn)["']?\\s*[:=]?\\s*["']?)(\\d[\\d .-]*\\d|\\d)`, 'gi');

/**
 * Any nine-digit run that is not part of a longer number, even inside a word (`x123456782y`): the last resort
 * for texts whose element is unknown. Longer identificaties (12 digits) and AGB codes (8) are not touched.
 */
const NINE_DIGITS = /(?<!\d)\d{9}(?!\d)/g;

/** Replaces every BSN in a text meant for people, logs or metrics. */
export function redactBsn(text: string): string {
  let out = text.replace(IN_XML, (_m, open: string) => `${open}${REDACTED_BSN}`);
  if (LIBXML_SUBJECT.test(out)) {
    for (const pattern of LIBXML_VALUES)
      out = out.replace(pattern, (_m, a: string, _v: string, b: string) => `${a}${REDACTED_BSN}${b}`);
  }
  out = out.replace(KEY_VALUE, (_m, key: string) => `${key}${REDACTED_BSN}`);
  return out.replace(NINE_DIGITS, REDACTED_BSN);
}

/**
 * An identifier of the gateway's own that every text shows as it is: `draw` is called again while its result holds
 * a nine-digit run, which `redactBsn` would mask as a BSN (a random UUID's last group does, a few times in a
 * hundred), so that the id a log or view shows is the id itself.
 */
export function drawUnredacted(draw: () => string): string {
  for (;;) {
    const id = draw();
    if (redactBsn(id) === id) return id;
  }
}
