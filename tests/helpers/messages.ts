/** Messages as the store takes them (`NewMessage`), for store, transport and beheer tests. */
import type { NewMessage } from '../../src/store/types.ts';

/** A BSN that passes the elfproef, so masking has something real to find. */
export const BSN = '123456782';

export function wmo301(overrides: Partial<NewMessage> = {}): NewMessage {
  const identificatie = overrides.berichtIdentificatie ?? 'ID-0001';
  return {
    standard: 'iwmo',
    release: '3.2',
    messageName: 'WMO301',
    direction: 'heen',
    afzender: '0363',
    ontvanger: '42420001',
    berichtIdentificatie: identificatie,
    dagtekening: '2026-01-15',
    berichtcode: '414',
    dedup: { scope: 'istd', sender: overrides.afzender ?? '0363', identificatie },
    body: `<Bericht><Header><Identificatie>${identificatie}</Identificatie></Header><Client><Bsn>${BSN}</Bsn></Client></Bericht>`,
    source: { kind: 'caller', id: 'demo-wijkteam' },
    status: 'queued',
    destination: 'dest-a',
    ...overrides,
  };
}

export function stufDi01(overrides: Partial<NewMessage> = {}): NewMessage {
  const referentienummer = overrides.referentienummer ?? '6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e';
  return {
    standard: 'stuf-jz',
    release: '1.0.9',
    messageName: 'vtoDi01',
    direction: 'heen',
    afzender: '0363',
    ontvanger: 'RC0329',
    referentienummer,
    berichtcode: 'Di01',
    dedup: { scope: 'stuf', zender: overrides.afzender ?? '0363', referentienummer },
    body: '<vtoDi01><stuurgegevens/></vtoDi01>',
    source: { kind: 'caller', id: 'demo-wijkteam' },
    status: 'queued',
    destination: 'corv',
    ...overrides,
  };
}
