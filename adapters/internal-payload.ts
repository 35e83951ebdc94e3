import { envelopePayload } from '../src/stuf/ggk-envelope.ts';
import { parseToTree } from '../src/xml/parse.ts';
import { textAt } from '../src/xml/tree.ts';

/** What an internal system receives for a stored bericht, and the envelope facts that travel beside it. */
export interface InternalPayload {
  body: Buffer;
  /** Headers describing the envelope it arrived in (none for a bericht that came without one). */
  headers: Record<string, string>;
}

/** The GGK envelope roots, in the first bytes of a document (a cheap look before any parsing). */
const ENVELOPE_ROOT = /<(?:[A-Za-z_][\w.-]*:)?envelop(?:Heen|Retour)bericht-ggk_D[iu]01[\s>/]/;

/** In every envelope root's name; a body without it near its start is no envelope (a search, no string made). */
const ENVELOPE_MARK = Buffer.from('bericht-ggk_D', 'latin1');
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Internal systems (webhook, AMQP) get the bericht itself: a WMO302 that came back from the GGK inside a
 * ggk_Du01 is handed on as the WMO302, with the envelope's referentienummer and crossRefnummer as headers. The
 * stored body stays the exact envelope received. A document that only looks like an envelope goes as it is.
 */
export function internalPayload(body: Buffer): InternalPayload {
  const start = body.subarray(0, 1024);
  if (start.indexOf(ENVELOPE_MARK) < 0 || !ENVELOPE_ROOT.test(start.toString('latin1'))) {
    return { body, headers: NO_HEADERS };
  }
  try {
    // Validated against the envelope schema when it came in: here it is only read, not judged again.
    const root = parseToTree(body);
    const payload = envelopePayload(root);
    if (!payload || payload.length === 0) return { body, headers: NO_HEADERS };
    const referentienummer = textAt(root, 'stuurgegevens/referentienummer');
    const crossRefnummer = textAt(root, 'stuurgegevens/crossRefnummer');
    return {
      body: payload,
      headers: {
        'x-schakel-envelope': root.name.includes('ggk_Du01') ? 'ggk_Du01' : 'ggk_Di01',
        ...(referentienummer ? { 'x-schakel-envelope-referentienummer': referentienummer } : {}),
        ...(crossRefnummer ? { 'x-schakel-envelope-crossrefnummer': crossRefnummer } : {}),
      },
    };
  } catch {
    return { body, headers: NO_HEADERS };
  }
}
