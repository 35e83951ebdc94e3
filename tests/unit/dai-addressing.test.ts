/**
 * Digikoppeling Adapter Intern 1.0 WS-Addressing (src/stuf/dai-addressing.ts): the worked ebMS examples of
 * Appendix C, read from the standard's own text in ../shared/reference, reproduced header by header in both
 * directions:
 *
 * - outbound (koppelend systeem → adapter → ebMS): the headers Schakel writes for the eb:Service, eb:Action,
 *   eb:MessageId and eb:ConversationId the adapter then sends are the example's, and what the adapter reads back
 *   from the example's headers are the example's ebMS values;
 * - inbound (ebMS → adapter → koppelend systeem): the headers an adapter gives the received ebMS message are the
 *   example's, and Schakel reads each of them from the example's SOAP Header.
 *
 * Then the Appendix B binding for StUF berichten (To/From, Action, MessageID, RelatesTo, ConversationId from the
 * stuurgegevens) with hand-computed values, empty organisatie/administratie, and RFC 2141 escaping.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addressingProblem } from '../../src/http/dai-inbound.ts';
import {
  type Addressing,
  addressingOfEbms,
  ebmsAction,
  ebmsOf,
  escapeUrn,
  stufAddress,
  stufAddressing,
  stufDomain,
  stufEbmsAction,
  stufMessageId,
  stufRelatesTo,
} from '../../src/stuf/dai-addressing.ts';
import {
  AddressingError,
  addressingHeader,
  buildDaiEnvelope,
  readAddressing,
  readDaiRequest,
} from '../../src/stuf/dai-envelope.ts';
import { readSoap } from '../../src/stuf/soap.ts';
import { SoapRequestError } from '../../src/stuf/soap-request.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { child, textAt, type XNode } from '../../src/xml/tree.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

const STANDARD = path.join(referenceDir, 'digikoppeling-adapter-intern/DigikoppelingInternStandaardv1.0.txt');
const hasStandard = hasReference && fs.existsSync(STANDARD);
if (!hasStandard) {
  if (process.env.CI === 'true') throw new Error(`the DAI standard is needed in CI: ${skipReason}`);
  console.warn(`SKIPPED unit/dai-addressing Appendix C: ${skipReason}`);
}

/**
 * The SOAP envelope that follows `caption` in the text of Appendix C (the ebMS transaction comes first), with the
 * PDF's line continuations ("É" at the end of a line) joined again.
 */
function appendixC(caption: string): XNode {
  const text = fs.readFileSync(STANDARD, 'utf8');
  const from = text.indexOf(caption, text.indexOf('Appendix C            Voorbeelden'));
  expect(from, caption).toBeGreaterThan(0);
  const start = text.indexOf('<soap:Envelope', from);
  const end = text.indexOf('</soap:Envelope>', start) + '</soap:Envelope>'.length;
  const xml = text.slice(start, end).replace(/É\s*\n\s*/g, '');
  return parseToTree(xml);
}

const LIMITS = { maxBytes: 1 << 20 };
const headerOf = (envelope: XNode) => readSoap(envelope)!.headerBlocks;
/** The eb:MessageHeader values of an ebMS example. */
function ebms(envelope: XNode) {
  const h = headerOf(envelope).find((b) => b.name === 'MessageHeader')!;
  return {
    service: textAt(h, 'Service')!,
    action: textAt(h, 'Action')!,
    messageId: textAt(h, 'MessageData/MessageId')!,
    conversationId: textAt(h, 'ConversationId')!,
    refToMessageId: textAt(h, 'MessageData/RefToMessageId'),
  };
}

describe.skipIf(!hasStandard)(
  'Appendix C, ebMS transaction, outbound: koppelend systeem → Digikoppeling adapter',
  () => {
    const dai = () => appendixC('Voorbeeldbericht van koppelend systeem naar Digikoppeling adapter:');
    const sent = () => appendixC('Bijbehorend door Digikoppeling adapter verstuurd bericht :');
    const example = () => readAddressing(headerOf(dai()));

    it('reads the example headers (wsa:From through its wsa:Address)', () => {
      expect(example()).toEqual({
        to: 'urn:dkintern:wrdkmr',
        from: 'urn:dkintern:gemcode:0546',
        action: 'urn:dkintern:nl:voorbeeld:Service:DoEenActie',
        messageId: 'urn:dkintern:98824819dade17163w1r26g5252@ks.voorbeeld.nl',
        conversationId: 'urn:dkintern:vb-convid-1',
      });
    });

    it('wsa:Action = urn:dkintern: + the eb:Service + ":" + the eb:Action the adapter sends', () => {
      const eb = ebms(sent());
      expect(ebmsAction(eb.service, eb.action)).toBe(example().action);
    });

    it('wsa:MessageID = urn:dkintern: + the eb:MessageId the adapter sends', () => {
      expect(`urn:dkintern:${ebms(sent()).messageId}`).toBe(example().messageId);
    });

    it('wsa:RelatesTo ConversationId = urn:dkintern: + the eb:ConversationId the adapter sends', () => {
      expect(`urn:dkintern:${ebms(sent()).conversationId}`).toBe(example().conversationId);
    });

    it('no wsa:RelatesTo without RelationshipType on a message that answers nothing', () => {
      expect(example().relatesTo).toBeUndefined();
    });

    it('what the adapter reads from the headers is the ebMS message it sends: Service, Action, MessageId, ConversationId', () => {
      const eb = ebms(sent());
      expect(ebmsOf(example(), eb.service)).toEqual({
        service: eb.service,
        action: eb.action,
        messageId: eb.messageId,
        conversationId: eb.conversationId,
      });
      expect(ebmsOf(example(), 'nl:ander:Service')).toBeUndefined();
    });

    it('Schakel writes the same headers, in the order of §3.1, and reads them back', () => {
      const a = example();
      const ours = parseToTree(buildDaiEnvelope(a, '<x:iets xmlns:x="urn:x"/>'));
      const blocks = headerOf(ours);
      expect(blocks.map((b) => b.name)).toEqual(headerOf(dai()).map((b) => b.name));
      expect(child(blocks[1], 'Address')?.text).toBe('urn:dkintern:gemcode:0546');
      expect(readAddressing(blocks)).toEqual(a);
      expect(addressingHeader(a)).toContain(
        '<wsa:RelatesTo RelationshipType="urn:dkintern:ConversationId">urn:dkintern:vb-convid-1</wsa:RelatesTo>',
      );
    });
  },
);

describe.skipIf(!hasStandard)(
  'Appendix C, ebMS transaction, inbound: Digikoppeling adapter → koppelend systeem',
  () => {
    const received = () => appendixC('Voorbeeldbericht door Digikoppeling adapter ontvangen:');
    const dai = () => appendixC('Bijbehorend bericht van Digikoppeling adapter naar koppelend systeem:');
    const example = () => readAddressing(headerOf(dai()));
    /** The headers the adapter builds from the received ebMS message, with wsa:To/From as it is configured. */
    const built = (): Addressing =>
      addressingOfEbms(ebms(received()) as Parameters<typeof addressingOfEbms>[0], {
        to: 'urn:dkintern:gemcode:0546',
        from: 'urn:dkintern:wrdkmr',
      });

    it('wsa:To and wsa:From: the configured ends, the other way round from the outbound example', () => {
      expect([example().to, example().from]).toEqual(['urn:dkintern:gemcode:0546', 'urn:dkintern:wrdkmr']);
      expect([built().to, built().from]).toEqual([example().to, example().from]);
    });

    it('wsa:Action = urn:dkintern: + eb:Service + ":" + eb:Action of the received message', () => {
      expect(built().action).toBe('urn:dkintern:nl:voorbeeld:Service:AntwoordVanEenActie');
      expect(example().action).toBe(built().action);
    });

    it('wsa:MessageID = urn:dkintern: + eb:MessageId of the received message', () => {
      expect(built().messageId).toBe('urn:dkintern:etd526267ay177a1608s0a@dka4.voorbeeld.nl');
      expect(example().messageId).toBe(built().messageId);
    });

    it('wsa:RelatesTo = urn:dkintern: + eb:RefToMessageId: the MessageID of the outbound example', () => {
      expect(built().relatesTo).toBe('urn:dkintern:98824819dade17163w1r26g5252@ks.voorbeeld.nl');
      expect(example().relatesTo).toBe(built().relatesTo);
      const outbound = readAddressing(
        headerOf(appendixC('Voorbeeldbericht van koppelend systeem naar Digikoppeling adapter:')),
      );
      expect(example().relatesTo).toBe(outbound.messageId);
    });

    it('wsa:RelatesTo ConversationId = urn:dkintern: + eb:ConversationId, the same conversation as outbound', () => {
      expect(built().conversationId).toBe('urn:dkintern:vb-convid-1');
      expect(example().conversationId).toBe(built().conversationId);
    });

    it('Schakel reads the whole example as a DAI request: the headers and the dai:bericht', () => {
      const text = fs.readFileSync(STANDARD, 'utf8');
      const from = text.indexOf('Bijbehorend bericht van Digikoppeling adapter naar koppelend systeem:');
      const start = text.indexOf('<soap:Envelope', from);
      const xml = text
        .slice(start, text.indexOf('</soap:Envelope>', start) + 16)
        .replace(/É\s*\n\s*/g, '')
        .replace('....', '<x:antwoord xmlns:x="urn:voorbeeld"/>');
      const request = readDaiRequest(Buffer.from(xml), LIMITS);
      expect(request.addressing).toEqual(built());
      expect(request.root.name).toBe('antwoord');
    });
  },
);

describe('Appendix B: the headers of a StUF bericht from its stuurgegevens', () => {
  const gemeente = { organisatie: '0363', applicatie: 'Schakel' };
  const aanbieder = { organisatie: '42420001', applicatie: 'GGk' };
  const REF = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
  const CROSS = '0b8a7f6e-5d4c-4b3a-9f1e-2d3c4b5a6f7e';

  it('wsa:To / wsa:From = urn:dkintern: + organisatie + ":" + applicatie + ":" + administratie, empty parts empty', () => {
    expect(stufAddress(gemeente)).toBe('urn:dkintern:0363:Schakel:');
    expect(stufAddress({ ...gemeente, administratie: 'sociaal-domein' })).toBe(
      'urn:dkintern:0363:Schakel:sociaal-domein',
    );
    expect(stufAddress({ applicatie: 'CORV' })).toBe('urn:dkintern::CORV:');
    expect(stufAddress({ organisatie: '', applicatie: 'CORV', administratie: '' })).toBe('urn:dkintern::CORV:');
  });

  it('escapes what a URN does not allow (RFC 2141), and keeps what it does', () => {
    expect(escapeUrn("a-z.A_Z:0(9)+,=@;$!*'/")).toBe("a-z.A_Z:0(9)+,=@;$!*'/");
    expect(escapeUrn('Gemeente Één 100%?#')).toBe('Gemeente%20%C3%89%C3%A9n%20100%25%3F%23');
    expect(stufAddress({ organisatie: 'Gemeente Proefdorp', applicatie: 'Zaak systeem' })).toBe(
      'urn:dkintern:Gemeente%20Proefdorp:Zaak%20systeem:',
    );
  });

  it('the domain: organisatie. (left out when empty) + applicatie. + administratie. (just "." when empty) + dkintern.nl', () => {
    expect(stufDomain(gemeente)).toBe('0363.Schakel..dkintern.nl');
    expect(stufDomain({ ...gemeente, administratie: 'sd' })).toBe('0363.Schakel.sd.dkintern.nl');
    expect(stufDomain({ applicatie: 'CORV' })).toBe('CORV..dkintern.nl');
  });

  it('wsa:MessageID = urn:dkintern: + referentienummer + "@" + the zender domain', () => {
    expect(stufMessageId(REF, gemeente)).toBe(`urn:dkintern:${REF}@0363.Schakel..dkintern.nl`);
  });

  it('wsa:RelatesTo = urn:dkintern: + crossRefnummer + "@" + the ontvanger domain: the MessageID of the answered bericht', () => {
    expect(stufRelatesTo(CROSS, gemeente)).toBe(`urn:dkintern:${CROSS}@0363.Schakel..dkintern.nl`);
    // The heen went from the gemeente; the answer goes to it, so its RelatesTo is the heen's MessageID.
    expect(stufRelatesTo(CROSS, gemeente)).toBe(stufMessageId(CROSS, gemeente));
  });

  it('wsa:Action with the ebMS Action = namespace + "/" + element name', () => {
    expect(stufEbmsAction('http://www.stufstandaarden.nl/koppelvlak/jz0100', 'vtoDi01')).toBe(
      'http://www.stufstandaarden.nl/koppelvlak/jz0100/vtoDi01',
    );
    expect(ebmsAction('urn:nl:jubes', stufEbmsAction('http://www.egem.nl/StUF/StUF0301', 'Bv01Bericht'))).toBe(
      'urn:dkintern:urn:nl:jubes:http://www.egem.nl/StUF/StUF0301/Bv01Bericht',
    );
  });

  it('a heenbericht: no RelatesTo, ConversationId = MessageID; an answer: RelatesTo, ConversationId = RelatesTo', () => {
    const heen = stufAddressing(
      { zender: gemeente, ontvanger: aanbieder, referentienummer: REF },
      { service: 'urn:nl:ggk', action: 'x' },
    );
    expect(heen).toEqual({
      to: 'urn:dkintern:42420001:GGk:',
      from: 'urn:dkintern:0363:Schakel:',
      action: 'urn:dkintern:urn:nl:ggk:x',
      messageId: `urn:dkintern:${REF}@0363.Schakel..dkintern.nl`,
      conversationId: `urn:dkintern:${REF}@0363.Schakel..dkintern.nl`,
    });
    const answer = stufAddressing(
      { zender: aanbieder, ontvanger: gemeente, referentienummer: CROSS, crossRefnummer: REF },
      { service: 'urn:nl:ggk', action: 'y' },
    );
    expect(answer.messageId).toBe(`urn:dkintern:${CROSS}@42420001.GGk..dkintern.nl`);
    expect(answer.relatesTo).toBe(heen.messageId);
    expect(answer.conversationId).toBe(heen.conversationId);
  });
});

describe('reading DAI headers and requests', () => {
  const a: Addressing = {
    to: 'urn:dkintern:0363:Schakel:',
    from: 'urn:dkintern::CORV:',
    action: 'urn:dkintern:s:a',
    messageId: 'urn:dkintern:1@CORV..dkintern.nl',
  };
  const envelope = (
    header: string,
    body = '<dai:bericht xmlns:dai="http://www.stufstandaarden.nl/koppelvlak/dai0100"><x:b xmlns:x="urn:x"/></dai:bericht>',
  ) =>
    Buffer.from(
      `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`,
    );
  const problem = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e instanceof AddressingError
        ? e.code
        : e instanceof SoapRequestError
          ? e.fault.text.split(':')[0]
          : String(e);
    }
    return 'none';
  };

  it('refuses a missing or doubled header, another SOAP header, and a Body without exactly one dai:bericht', () => {
    expect(readDaiRequest(envelope(addressingHeader(a)), LIMITS).addressing).toEqual(a);
    expect(
      problem(() => readDaiRequest(envelope(addressingHeader(a).replace(/<wsa:Action>.*?<\/wsa:Action>/, '')), LIMITS)),
    ).toBe('WSA_MISSING');
    expect(problem(() => readDaiRequest(envelope(`${addressingHeader(a)}<wsa:To>urn:x</wsa:To>`), LIMITS))).toBe(
      'WSA_DUPLICATE',
    );
    expect(
      problem(() => readDaiRequest(envelope(`${addressingHeader(a)}<o:Security xmlns:o="urn:wsse"/>`), LIMITS)),
    ).toBe('WSA_FOREIGN_HEADER');
    expect(problem(() => readDaiRequest(envelope(addressingHeader(a), '<x:b xmlns:x="urn:x"/>'), LIMITS))).toBe(
      'DAI_NO_BERICHT',
    );
    expect(
      problem(() =>
        readDaiRequest(
          envelope(addressingHeader(a), '<dai:bericht xmlns:dai="http://www.stufstandaarden.nl/koppelvlak/dai0100"/>'),
          LIMITS,
        ),
      ),
    ).toBe('DAI_BERICHT_CONTENT');
    expect(problem(() => readDaiRequest(Buffer.from('<x:b xmlns:x="urn:x"/>'), LIMITS))).toBe('DAI_NOT_SOAP');
  });

  it('takes the bericht out with the namespaces in scope declared on it', () => {
    const r = readDaiRequest(
      envelope(
        addressingHeader(a),
        '<dai:bericht xmlns:dai="http://www.stufstandaarden.nl/koppelvlak/dai0100" xmlns:x="urn:x"><x:b><x:c>1</x:c></x:b></dai:bericht>',
      ),
      LIMITS,
    );
    expect(parseToTree(r.message)).toMatchObject({ name: 'b', ns: 'urn:x' });
    expect(r.message.toString('utf8')).toContain('xmlns:x="urn:x"');
  });
});

describe("the DAI endpoint's check of the headers against the party and the stuurgegevens (src/http/dai-inbound.ts)", () => {
  const REF = '3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a';
  const CROSS = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
  const bv01 = parseToTree(
    `<StUF:Bv01Bericht xmlns:StUF="http://www.egem.nl/StUF/StUF0301"><StUF:stuurgegevens><StUF:berichtcode>Bv01</StUF:berichtcode>` +
      `<StUF:zender><StUF:organisatie>CORV</StUF:organisatie><StUF:applicatie>JUBES</StUF:applicatie></StUF:zender>` +
      `<StUF:ontvanger><StUF:organisatie>0384</StUF:organisatie><StUF:applicatie>Schakel</StUF:applicatie><StUF:administratie>jeugd</StUF:administratie></StUF:ontvanger>` +
      `<StUF:referentienummer>${REF}</StUF:referentienummer><StUF:tijdstipBericht>20261101120000</StUF:tijdstipBericht><StUF:crossRefnummer>${CROSS}</StUF:crossRefnummer></StUF:stuurgegevens></StUF:Bv01Bericht>`,
  );
  const good: Addressing = {
    to: 'urn:dkintern:0384:Schakel:jeugd',
    from: 'urn:dkintern:CORV:JUBES:',
    action: 'urn:dkintern:s:a',
    messageId: `urn:dkintern:${REF}@CORV.JUBES..dkintern.nl`,
    relatesTo: `urn:dkintern:${CROSS}@0384.Schakel.jeugd.dkintern.nl`,
    conversationId: `urn:dkintern:${CROSS}@0384.Schakel.jeugd.dkintern.nl`,
  };
  const check = (a: Partial<Addressing>, from?: string[]) =>
    addressingProblem({ addressing: { ...good, ...a }, root: bv01 }, { dai: from ? { from } : {} });

  it('takes headers that agree with the stuurgegevens, from an allowed address (exact or prefix*)', () => {
    expect(check({})).toBeUndefined();
    expect(check({}, ['urn:dkintern:CORV:JUBES:'])).toBeUndefined();
    expect(check({}, ['urn:dkintern:CORV:*'])).toBeUndefined();
  });

  it('IB002 for a wsa:From the party may not use; WSA002 naming each header that disagrees', () => {
    expect(check({}, ['urn:dkintern:RVDK:*'])?.code).toBe('IB002');
    expect(check({ to: 'urn:dkintern:0384:Schakel:' })).toEqual({
      code: 'WSA002',
      text: expect.stringContaining('wsa:To is urn:dkintern:0384:Schakel:, expected urn:dkintern:0384:Schakel:jeugd'),
    });
    expect(check({ relatesTo: undefined })?.text).toContain(
      `wsa:RelatesTo is (absent), expected urn:dkintern:${CROSS}@0384.Schakel.jeugd.dkintern.nl`,
    );
    const both = check({ from: 'urn:dkintern:CORV:Ander:', messageId: 'urn:dkintern:x@y' })!.text;
    expect(both).toContain('wsa:From is urn:dkintern:CORV:Ander:');
    expect(both).toContain('wsa:MessageID is urn:dkintern:x@y');
  });
});
