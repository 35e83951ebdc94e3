/**
 * The bytes of an XML document from its root element's start tag on: what goes into a SOAP Body or detail.
 * Only the prolog is skipped (a UTF-8 BOM, the XML declaration, whitespace, comments and processing
 * instructions); the element itself is kept byte for byte. A DOCTYPE cannot be embedded and is refused (the
 * gateway never accepts one in a bericht anyway).
 */
export function documentElement(document: Uint8Array | string): Buffer {
  const buf =
    typeof document === 'string'
      ? Buffer.from(document)
      : Buffer.from(document.buffer, document.byteOffset, document.byteLength);
  let i = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  for (;;) {
    while (i < buf.length && isXmlSpace(buf[i]!)) i++;
    if (startsWith(buf, i, '<?')) i = after(buf, i, '?>');
    else if (startsWith(buf, i, '<!--')) i = after(buf, i, '-->');
    else if (startsWith(buf, i, '<!'))
      throw new Error('a document with a DOCTYPE cannot be embedded in a SOAP message');
    else break;
  }
  if (buf[i] !== 0x3c) throw new Error('the document has no root element');
  return buf.subarray(i);
}

function isXmlSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function startsWith(buf: Buffer, at: number, s: string): boolean {
  return buf.length >= at + s.length && buf.toString('latin1', at, at + s.length) === s;
}

function after(buf: Buffer, from: number, end: string): number {
  const at = buf.indexOf(end, from, 'latin1');
  if (at < 0) throw new Error('the document prolog is not closed');
  return at + end.length;
}
