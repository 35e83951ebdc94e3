import { GGK_NS, JZ0100_NS, STUF0301_NS } from '../../src/catalogue/data/stuf.ts';

/**
 * The WSDL operation and SOAPAction of each message the gateway sends in SOAP.
 *
 * - GGK envelope (C, ggk0310_OntvangAsynchroon.wsdl): `…/sectormodel/ggk/0210/ggk_Di01`, `…/ggk_Du01`, and
 *   `http://www.egem.nl/StUF/StUF0301/Fo01`.
 * - StUF service messages (Bv01, Fo01 …): `http://www.egem.nl/StUF/StUF0301/<code>`, as the GGK WSDL binds Fo01.
 * - StUF-Jeugdzorg (M): the normative JZ WSDL is not in the reference pack. The StUF convention of the GGK WSDL
 *   (target namespace + "/" + operation, the operation named after the message) gives
 *   `http://www.stufstandaarden.nl/koppelvlak/jz0100/<root>` (vtoDi01, zorgmeldingDi01, …). A CORV destination
 *   can override the action per message (`soapActions`) once Justid's WSDL says otherwise.
 */

export interface SoapOperation {
  /** The WSDL operation name; also the ebMS Action when an ebMS2 adapter carries the message. */
  operation: string;
  soapAction: string;
}

const SERVICE_MESSAGES = new Set(['Bv01', 'Bv02', 'Bv03', 'Bv04', 'Fo01', 'Fo02', 'Fo03', 'Tr01']);

/** The operation of a GGK envelope (ggk_Di01, ggk_Du01) or of a StUF Fo01 sent to the GGK. */
export function ggkOperation(operation: 'ggk_Di01' | 'ggk_Du01' | 'Fo01'): SoapOperation {
  return operation === 'Fo01' ? stufServiceOperation('Fo01') : { operation, soapAction: `${GGK_NS}/${operation}` };
}

export function stufServiceOperation(code: string): SoapOperation {
  return { operation: code, soapAction: `${STUF0301_NS}/${code}` };
}

/** The operation of a message sent to CORV: a jz0100 root (vtoDi01 …) or a StUF service message (Bv01, Fo01). */
export function corvOperation(messageName: string, overrides: Readonly<Record<string, string>> = {}): SoapOperation {
  const base = SERVICE_MESSAGES.has(messageName)
    ? stufServiceOperation(messageName)
    : { operation: messageName, soapAction: `${JZ0100_NS}/${messageName}` };
  const override = overrides[messageName];
  return override === undefined ? base : { ...base, soapAction: override };
}
