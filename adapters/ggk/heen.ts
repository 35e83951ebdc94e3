import { GGK_NS } from '../../src/catalogue/data/stuf.ts';
import type { MessageStore } from '../../src/store/types.ts';
import { parseToTree, XmlInputError } from '../../src/xml/parse.ts';
import { textAt } from '../../src/xml/tree.ts';

/**
 * The GGK referentienummer of the Di01 envelope a heenbericht arrived in: a Du01 that carries the retour names it
 * as its crossRefnummer (§4.6). Undefined when it is not known (the heenbericht did not arrive in an envelope, or
 * its body is gone).
 */
export type HeenReferentienummer = (heenId: string) => Promise<string | undefined>;

/** Reads it from the stored heenbericht: an inbound GGK heenbericht is stored as the envelope it came in. */
export function storedHeenReferentienummer(store: Pick<MessageStore, 'getBody'>): HeenReferentienummer {
  return async (heenId) => {
    const body = await store.getBody(heenId);
    return body ? di01Referentienummer(body) : undefined;
  };
}

/** The stuurgegevens/referentienummer of a ggk_Di01 envelope (as it came, whatever its form); undefined for any other document. */
export function di01Referentienummer(document: Uint8Array): string | undefined {
  try {
    const root = parseToTree(document);
    if (root.ns !== GGK_NS || root.name !== 'envelopHeenbericht-ggk_Di01') return undefined;
    const ref = textAt(root, 'stuurgegevens/referentienummer');
    return ref && ref.length <= 40 ? ref : undefined;
  } catch (e) {
    if (e instanceof XmlInputError) return undefined;
    throw e;
  }
}
