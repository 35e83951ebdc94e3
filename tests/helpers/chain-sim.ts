/**
 * A simulated GGK and CORV for chain tests: one real HTTP server on a random local port with two SOAP 1.1
 * endpoints, `/ggk` (OntvangAsynchroon) and `/corv` (JUBES). Every message it receives is checked against the
 * OFFICIAL schemas in ../shared/reference, compiled by libxml2 from disk (not the project's packs):
 *
 * - GGK envelopes (ggk_Di01, ggk_Du01): stuf-ggk0310/ggk0310_21/ggkberichten/ggk0310_msg.xsd, and the bericht
 *   they carry: iWmo/iJw against istandaarden-3.2/{wmo,jw}/<functie>.xsd. iEb and iPgb have no official schema in
 *   the reference (their packs are MODELLED, standards.md §4.4): those payloads are checked with the project's
 *   pack instead, and the record says so (`payloadSchema`).
 * - StUF service messages to the GGK (Fo01): stuf-ggk0310/0301/stuf0301.xsd (the GGK's StUF0301).
 * - StUF-JZ messages to CORV: the official resolved schema of their group; service messages (Bv01, Fo01 …)
 *   the jz group's StUF schema.
 *
 * It answers as the real party would: a Bv03 for a valid message, a SOAP fault with Fo03 StUF055 for one that is
 * not. A test asserts at the end that `invalid()` is empty.
 */
import { createServer, type Server } from 'node:http';
import { ParseOption, XmlDocument } from 'libxml2-wasm';
import { GGK_NS, JZ0100_NS, STUF0301_NS } from '../../src/catalogue/data/stuf.ts';
import { type MessageName, specOf } from '../../src/examples/stuf-jz.ts';
import { type EnvelopeVersions, wrap } from '../../src/stuf/ggk-envelope.ts';
import { answeredFrom, buildBv03, buildFo03 } from '../../src/stuf/replies.ts';
import { buildSoapEnvelope, buildSoapFault } from '../../src/stuf/soap.ts';
import { readSoapRequest } from '../../src/stuf/soap-request.ts';
import { BerichtValidator } from '../../src/validation/validator.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { textAt, type XNode } from '../../src/xml/tree.ts';
import { officialSchema } from './official.ts';

export type SimChannel = 'ggk' | 'corv';

/** One message the simulated party received. */
export interface SimReceived {
  channel: SimChannel;
  soapAction: string | undefined;
  /** The root element's local name (envelopHeenbericht-ggk_Di01, Fo01Bericht, vtoDi01 …). */
  root: string;
  message: XNode;
  raw: Buffer;
  /** GGK envelope: functie, referentienummer, crossRefnummer and the carried bericht. */
  functie?: string;
  referentienummer?: string;
  crossRefnummer?: string;
  payload?: Buffer;
  payloadRoot?: XNode;
  /** Which schema judged the payload: `official <path>` or `project pack (MODELLED, no official schema)`. */
  payloadSchema?: string;
  /** Official-schema errors of the message and of its payload; empty when both are valid. */
  schemaErrors: string[];
}

export interface ChainSim {
  url: string;
  ggkUrl: string;
  corvUrl: string;
  received: SimReceived[];
  /** The received messages that failed their schema. */
  invalid(): SimReceived[];
  close(): Promise<void>;
}

const GGK_ENVELOPE_XSD = 'stuf-ggk0310/ggk0310_21/ggkberichten/ggk0310_msg.xsd';
const GGK_STUF_XSD = 'stuf-ggk0310/0301/stuf0301.xsd';
const JZ = 'stuf-jeugdzorg-1.0.9';
const JZ_GROUP_XSD = {
  jz: `${JZ}/jzberichten/jz0100_msg_jzberichten_resolved2025.xsd`,
  vt: `${JZ}/vtberichten/jz0100_msg_vtberichten_resolved2025.xsd`,
  vv: `${JZ}/vvberichten/jz0100_msg_vvberichten_resolved2025.xsd`,
  gm: `${JZ}/gmberichten/jz0100_msg_gmberichten_resolved2025.xsd`,
} as const;
const JZ_STUF_XSD = `${JZ}/jzberichten/jz0100_msg_stuf_jzberichten_resolved2025.xsd`;

/** libxml2's messages for a document against an official schema; [] when it is valid. */
export function officialErrors(relativeXsd: string, xml: Uint8Array): string[] {
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromBuffer(Buffer.from(xml), {
      option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE,
    });
  } catch (e) {
    return [`${relativeXsd}: not well-formed: ${(e as Error).message}`];
  }
  try {
    officialSchema(relativeXsd).validate(doc);
    return [];
  } catch (e) {
    const details = (e as { details?: { line: number; message: string }[] }).details;
    return details?.length
      ? details.map((d) => `${relativeXsd}:${d.line}: ${d.message.trim()}`)
      : [`${relativeXsd}: ${String(e)}`];
  } finally {
    doc.dispose();
  }
}

let projectValidator: BerichtValidator | undefined;

/** The official schema of an iWmo/iJw bericht, or the project's (modelled) pack for iEb/iPgb. */
function payloadErrors(functie: string, payload: Buffer): { schema: string; errors: string[] } {
  const istd = /^(WMO|JW)(3\d\d)$/.exec(functie);
  if (istd) {
    const xsd = `istandaarden-3.2/${istd[1] === 'WMO' ? 'wmo' : 'jw'}/${functie}.xsd`;
    return { schema: `official ${xsd}`, errors: officialErrors(xsd, payload) };
  }
  projectValidator ??= new BerichtValidator(SchemaPacks.load());
  const v = projectValidator.validate(payload);
  const errors =
    v.message === functie && v.xsdValid
      ? []
      : [`${functie}: ${v.message ?? 'not recognised'}: ${v.findings.map((f) => f.text).join('; ')}`];
  return { schema: 'project pack (MODELLED, no official schema in the reference)', errors };
}

function judge(channel: SimChannel, message: XNode, raw: Buffer): Omit<SimReceived, 'channel' | 'soapAction'> {
  const out: Omit<SimReceived, 'channel' | 'soapAction'> = { root: message.name, message, raw, schemaErrors: [] };
  if (message.ns === GGK_NS) {
    out.schemaErrors.push(...officialErrors(GGK_ENVELOPE_XSD, raw));
    const functie = textAt(message, 'stuurgegevens/functie');
    const ref = textAt(message, 'stuurgegevens/referentienummer');
    const cross = textAt(message, 'stuurgegevens/crossRefnummer');
    if (functie) out.functie = functie;
    if (ref) out.referentienummer = ref;
    if (cross) out.crossRefnummer = cross;
    const encoded = textAt(message, 'parameters/bericht');
    if (encoded && functie) {
      out.payload = Buffer.from(encoded.replace(/\s+/g, ''), 'base64');
      out.payloadRoot = parseToTree(out.payload);
      const p = payloadErrors(functie, out.payload);
      out.payloadSchema = p.schema;
      out.schemaErrors.push(...p.errors);
    } else {
      out.schemaErrors.push('the envelope carries no bericht with a functie');
    }
    if (channel !== 'ggk') out.schemaErrors.push('a GGK envelope was sent to CORV');
    return out;
  }
  if (message.ns === STUF0301_NS) {
    out.schemaErrors.push(...officialErrors(channel === 'ggk' ? GGK_STUF_XSD : JZ_STUF_XSD, raw));
  } else if (message.ns === JZ0100_NS && channel === 'corv') {
    const group = specOf(message.name as MessageName).group;
    out.schemaErrors.push(...officialErrors(JZ_GROUP_XSD[group], raw));
  } else {
    out.schemaErrors.push(
      `{${message.ns}}${message.name} is not a message the ${channel === 'ggk' ? 'GGK' : 'CORV'} takes`,
    );
  }
  const ref = textAt(message, 'stuurgegevens/referentienummer');
  const cross = textAt(message, 'stuurgegevens/crossRefnummer');
  if (ref) out.referentienummer = ref;
  if (cross) out.crossRefnummer = cross;
  return out;
}

/** Starts the simulated GGK (`/ggk`) and CORV (`/corv`). */
export async function startChainSim(): Promise<ChainSim> {
  const received: SimReceived[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const channel: SimChannel | undefined = req.url === '/ggk' ? 'ggk' : req.url === '/corv' ? 'corv' : undefined;
      if (!channel || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      let reply: { status: number; body: Buffer };
      try {
        const request = readSoapRequest(Buffer.concat(chunks), { maxBytes: 30 * 1024 * 1024 })!;
        const message = request.root;
        const record: SimReceived = {
          channel,
          soapAction: req.headers.soapaction as string | undefined,
          ...judge(channel, message, request.message),
        };
        received.push(record);
        const answered = answeredFrom(message);
        reply = record.schemaErrors.length
          ? {
              status: 500,
              body: buildSoapFault(
                {
                  side: 'client',
                  text: 'StUF055: not valid against the schema',
                  detail: buildFo03(answered, {
                    code: 'StUF055',
                    plek: 'client',
                    omschrijving: 'Bericht voldoet niet aan het schema',
                  }),
                },
                '1.1',
              ),
            }
          : { status: 200, body: buildSoapEnvelope(buildBv03(answered)) };
      } catch (e) {
        received.push({
          channel,
          soapAction: undefined,
          root: '(unreadable)',
          message: { name: '', ns: '', children: [] } as unknown as XNode,
          raw: Buffer.concat(chunks),
          schemaErrors: [`unreadable SOAP request: ${(e as Error).message}`],
        });
        reply = { status: 500, body: buildSoapFault({ side: 'client', text: 'unreadable SOAP request' }, '1.1') };
      }
      res.writeHead(reply.status, { 'content-type': 'text/xml; charset=utf-8' }).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    ggkUrl: `${url}/ggk`,
    corvUrl: `${url}/corv`,
    received,
    invalid: () => received.filter((r) => r.schemaErrors.length > 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const VERSIONS: EnvelopeVersions = {
  applicatieVersie: '0001',
  applicatieSubversie: '0000',
  functieVersie: '0003',
  functieSubversie: '0002',
};

export interface GgkSend {
  /** The real sender and receiver of the bericht (an AGB, gemeentecode, CAK or SVB). */
  zender: string;
  ontvanger: string;
  functie: string;
  referentienummer?: string;
  /** Du01: the Di01's referentienummer this retour answers. */
  crossRefnummer?: string;
  crossRefnummerBericht?: string;
}

/** A bericht as the GGK delivers it: in a ggk_Di01 (or Du01) in a SOAP 1.1 envelope. */
export function ggkSoap(
  bericht: string | Uint8Array,
  s: GgkSend,
): { soap: Buffer; envelope: string; referentienummer: string } {
  const envelope = wrap(typeof bericht === 'string' ? Buffer.from(bericht) : bericht, {
    zender: { organisatie: s.zender, applicatie: 'GGk' },
    ontvanger: { organisatie: s.ontvanger },
    functie: s.functie,
    versions: VERSIONS,
    ...(s.referentienummer ? { referentienummer: s.referentienummer } : {}),
    ...(s.crossRefnummer ? { crossRefnummer: s.crossRefnummer } : {}),
    ...(s.crossRefnummerBericht ? { crossRefnummerBericht: s.crossRefnummerBericht } : {}),
  });
  return {
    soap: buildSoapEnvelope(envelope),
    envelope,
    referentienummer: textAt(parseToTree(envelope), 'stuurgegevens/referentienummer')!,
  };
}
