/**
 * The berichten the fuzz test mutates. With the reference data: the 28 official iWmo/iJw 3.2 examples (whose
 * mutants are also judged by the official XSD) and a GGK envelope around the official WMO301. Always: berichten
 * the project's own test builders make (StUF-Jeugdzorg, iEb, iPgb), which are fuzzed for robustness only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build as buildModelled, MODELLED_MESSAGES } from '../../src/examples/ieb-ipgb.ts';
import { build as buildStufJz, MESSAGES as STUF_JZ_MESSAGES } from '../../src/examples/stuf-jz.ts';
import { wrap } from '../../src/stuf/ggk-envelope.ts';
import { KEYS } from '../helpers/gateway.ts';
import { istandaardExamples } from '../helpers/official.ts';
import { hasReference, referenceDir } from '../helpers/reference.ts';

/** Where a bericht is handed in, and with which key (tests/helpers/gateway.ts's test configuration). */
export interface Target {
  path: string;
  key: string;
}

export interface FuzzSeed {
  name: string;
  xml: string;
  /** The official XSD (relative to the reference folder) whose verdict the gateway's must equal; null: robustness only. */
  officialXsd: string | null;
  target: Target;
}

const CALLER: Target = { path: '/berichten', key: KEYS.wijkteam };
const CALLER_0363: Target = { path: '/berichten', key: KEYS.andereGemeente };
const INBOUND_ZORG: Target = { path: '/inbound/zorg', key: KEYS.zorg };

/**
 * A caller that may send any message as any Afzender (fuzz.test.ts configures it). Authorisation comes before any
 * judgement of the content (standards.md §5), so the official examples, whose mutants are compared with the
 * official XSD's verdict, go in here: a party's 403 would say nothing about level 1.
 */
export const ANY_SENDER_KEY = 'test-key-fuzz-any-sender';
const ANY_SENDER: Target = { path: '/berichten', key: ANY_SENDER_KEY };

export function officialSeeds(): FuzzSeed[] {
  if (!hasReference) return [];
  return istandaardExamples().map((ex) => {
    const xml = fs.readFileSync(path.join(referenceDir, ex.xml), 'utf8');
    return { name: ex.name, xml, officialXsd: ex.xsd, target: ANY_SENDER };
  });
}

export function envelopeSeeds(official: readonly FuzzSeed[]): FuzzSeed[] {
  const wmo301 = official.find((s) => s.name === 'WMO301');
  if (!wmo301) return [];
  const xml = wrap(Buffer.from(wmo301.xml), {
    zender: { organisatie: '0384', applicatie: 'Wmo Applicatie' },
    ontvanger: { organisatie: '42420001' },
    functie: 'WMO301',
    referentienummer: '9c0f7b90-5c69-41e5-a837-0800200c9a66',
    tijdstip: new Date('2026-10-15T09:30:00Z'),
    versions: {
      applicatieVersie: '0003',
      applicatieSubversie: '0002',
      functieVersie: '0003',
      functieSubversie: '0002',
    },
  });
  return [{ name: 'ggk_Di01(WMO301)', xml, officialXsd: null, target: CALLER }];
}

/** A SOAP 1.1 request around the official WMO315, as an aanbieder's system could post it inbound (src/http/soap-inbound.ts). */
export function soapSeeds(official: readonly FuzzSeed[]): FuzzSeed[] {
  const wmo315 = official.find((s) => s.name === 'WMO315');
  if (!wmo315) return [];
  const inner = wmo315.xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">\n' +
    `<soapenv:Header/>\n<soapenv:Body>\n${inner}</soapenv:Body>\n</soapenv:Envelope>\n`;
  return [{ name: 'SOAP(WMO315)', xml, officialXsd: null, target: INBOUND_ZORG }];
}

export function builtSeeds(): FuzzSeed[] {
  return [
    ...STUF_JZ_MESSAGES.map((m) => ({ name: m.name, xml: buildStufJz(m.name), officialXsd: null, target: CALLER })),
    ...MODELLED_MESSAGES.map((name) => ({ name, xml: buildModelled(name), officialXsd: null, target: CALLER_0363 })),
  ];
}

/** Also send this share of the caller's mutants to an inbound endpoint (another sender's permissions, rejected heenberichten answered with a stored retour). */
export const ALTERNATE_TARGET = INBOUND_ZORG;
