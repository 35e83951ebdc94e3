import type { ErrorDetail, XsdValidator } from 'libxml2-wasm';
import {
  error as errorCollector,
  xmlSchemaFreeValidCtxt,
  xmlSchemaNewValidCtxt,
  xmlSchemaSetValidStructuredErrors,
  xmlSchemaValidateDoc,
} from 'libxml2-wasm/lib/libxml2.mjs';
import type { ParsedXml } from './parse.ts';

type Ptr = { _ptr: number };

/**
 * libxml2 gave up on the document without judging it (an internal limit, such as its pattern matcher's, or its
 * memory). The document is not known to be valid, so it is refused as such, with this reason.
 */
export class XsdLimitError extends Error {
  override readonly name = 'XsdLimitError';
  constructor() {
    super(
      'libxml2 could not complete the schema validation of this document (a value exceeds its limits); it was not accepted',
    );
  }
}

/**
 * XSD validation of parsed documents against compiled schemas, keeping one libxml2 validation context per
 * schema (per thread) instead of creating and freeing one for every document.
 */
export class XsdEngine {
  private readonly contexts = new Map<XsdValidator, number>();
  private readonly slot = errorCollector.storage.allocate([]);

  /** The schema errors of the document: empty when it is valid. */
  validate(schema: XsdValidator, doc: ParsedXml): ErrorDetail[] {
    const details = errorCollector.storage.get(this.slot);
    details.length = 0;
    const ret = xmlSchemaValidateDoc(this.context(schema), doc.ptr);
    const found = details.splice(0);
    if (ret < 0) throw new XsdLimitError();
    if (ret > 0 && found.length === 0)
      found.push({ message: 'the document is not valid against its schema', level: 2, line: 0, col: 0 });
    return found;
  }

  private context(schema: XsdValidator): number {
    let ctxt = this.contexts.get(schema);
    if (!ctxt) {
      ctxt = xmlSchemaNewValidCtxt((schema as unknown as Ptr)._ptr) as number;
      xmlSchemaSetValidStructuredErrors(ctxt, errorCollector.errorCollector, this.slot);
      this.contexts.set(schema, ctxt);
    }
    return ctxt;
  }

  dispose(): void {
    for (const c of this.contexts.values()) xmlSchemaFreeValidCtxt(c);
    this.contexts.clear();
    errorCollector.storage.free(this.slot);
  }
}
