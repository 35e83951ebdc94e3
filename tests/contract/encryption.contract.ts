import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reencrypt } from '../../src/cli/reencrypt.ts';
import { BodyCipher, BodyKeyMissingError, BodyTamperedError } from '../../src/security/body-cipher.ts';
import type { MessageStore } from '../../src/store/types.ts';
import type { Finding } from '../../src/validation/finding.ts';
import { BSN, wmo301 } from '../helpers/messages.ts';

/** What a row holds at rest, read with plain SQL. */
export interface RawRow {
  body: Buffer | null;
  body_key: string | null;
  findings: string;
}

/** One storage (a SQLite file, a PostgreSQL schema) that stores open with the cipher a test gives. */
export interface EncryptionHarness {
  /** Empties the storage. */
  reset(): Promise<void>;
  /** A store on the storage, sealing with `cipher`; closed by `closeAll`. */
  open(cipher: BodyCipher): Promise<MessageStore>;
  closeAll(): Promise<void>;
  raw(id: string): Promise<RawRow>;
  rawAnswers(id: string): Promise<{ answer_excerpt: string | null; answer_key: string | null }[]>;
  /** Writes the row's columns as given (a row from before encryption, or a tampered one); drops its BSN index. */
  setRaw(id: string, row: RawRow, dropIndex: boolean): Promise<void>;
  /** Makes the row's answers plain again (as stored before encryption). */
  setRawAnswer(id: string, excerpt: string): Promise<void>;
}

const key = (n: number) => ({ id: `k${n}`, key: Buffer.alloc(32, n) });
const K1 = new BodyCipher([key(1)], 'k1');
const K12 = new BodyCipher([key(1), key(2)], 'k2');
const K2 = new BodyCipher([key(2)], 'k2');

const finding: Finding = {
  level: 'xsd',
  code: 'XSD',
  retourcode: null,
  line: 3,
  column: 7,
  path: '/Bericht/Client/ProductCode',
  text: "The value '07A99' is not an element of the set",
};

/** Encryption at rest: the behaviour both stores must show (issue 15 part 4). */
export function encryptionContract(name: string, h: EncryptionHarness): void {
  describe(`encryption at rest: ${name}`, () => {
    beforeEach(async () => {
      await h.reset();
    });
    afterEach(async () => {
      await h.closeAll();
    });

    async function stored(store: MessageStore, n: number, extra = {}): Promise<string> {
      const r = await store.insertMessage(
        wmo301({ berichtIdentificatie: `ENC-${n}`, findings: [finding], ...extra }),
        'test',
      );
      if (r.kind !== 'inserted') throw new Error(r.kind);
      return r.id;
    }

    it('keeps body, findings and kept answers sealed at rest and gives them back in plain', async () => {
      const store = await h.open(K1);
      const id = await stored(store, 1);
      const raw = await h.raw(id);
      expect(raw.body_key).toBe('k1');
      for (const text of [BSN, '<Bsn>', 'Client', 'ENC-1']) expect(raw.body!.includes(Buffer.from(text))).toBe(false);
      expect(raw.findings).not.toContain('07A99');
      expect(raw.findings).not.toContain('ProductCode');
      expect((await store.getBody(id))!.toString()).toContain(`<Bsn>${BSN}</Bsn>`);
      expect((await store.getMessage(id))!.findings).toEqual([finding]);
      const [lease] = await store.leaseDue('w', 1, 60_000);
      expect(lease!.message.body!.toString()).toContain(`<Bsn>${BSN}</Bsn>`);
      const answer = `<Retour><Bsn>${BSN}</Bsn><Foutcode>0200</Foutcode></Retour>`;
      const at = new Date();
      await store.completeDelivery(
        lease!,
        { startedAt: at, finishedAt: at, outcome: 'delivered', answer },
        { kind: 'delivered' },
      );
      const [rawAnswer] = await h.rawAnswers(id);
      expect(rawAnswer!.answer_key).toBe('k1');
      expect(rawAnswer!.answer_excerpt).not.toContain('Retour');
      expect(rawAnswer!.answer_excerpt).not.toContain('Foutcode');
      expect((await store.deliveryAttempts(id))[0]!.answerExcerpt).toContain('<Foutcode>0200</Foutcode>');
    });

    it('refuses a body that was altered or moved to another message', async () => {
      const store = await h.open(K1);
      const a = await stored(store, 1);
      const b = await stored(store, 2);
      const raw = await h.raw(a);
      const flipped = Buffer.from(raw.body!);
      flipped[20] = flipped[20]! ^ 1;
      await h.setRaw(a, { ...raw, body: flipped }, false);
      await expect(store.getBody(a)).rejects.toBeInstanceOf(BodyTamperedError);
      await h.setRaw(b, { ...(await h.raw(b)), body: raw.body }, false);
      await expect(store.getBody(b)).rejects.toBeInstanceOf(BodyTamperedError);
    });

    it('finds berichten by exact BSN through the index, with the other filters', async () => {
      const store = await h.open(K1);
      const a = await stored(store, 1);
      await stored(store, 2, { body: '<Bericht><Client><Bsn>999999990</Bsn></Client></Bericht>' });
      const c = await stored(store, 3, { afzender: '0599' });
      const page = await store.listMessages({ bsn: BSN });
      expect(page.items.map((m) => m.id).sort()).toEqual([a, c].sort());
      expect(page.total).toBe(2);
      expect((await store.listMessages({ bsn: BSN, afzender: '0599' })).items.map((m) => m.id)).toEqual([c]);
      expect((await store.listMessages({ bsn: '111222333' })).total).toBe(0);
    });

    it('rotation: old rows stay readable under a new current key; reencrypt moves all; a missing key is named', async () => {
      const first = await h.open(K1);
      const old = await stored(first, 1);
      const [lease] = await first.leaseDue('w', 1, 60_000);
      const at = new Date();
      await first.completeDelivery(
        lease!,
        { startedAt: at, finishedAt: at, outcome: 'delivered', answer: '<Retour/>' },
        { kind: 'delivered' },
      );
      const rotated = await h.open(K12);
      const fresh = await stored(rotated, 2);
      expect((await h.raw(fresh)).body_key).toBe('k2');
      expect((await rotated.getBody(old))!.toString()).toContain(BSN);
      expect((await rotated.getMessage(old))!.findings).toEqual([finding]);

      // Without k1, the old row is named, not a crash; its findings say why they cannot be shown.
      const onlyNew = await h.open(K2);
      await expect(onlyNew.getBody(old)).rejects.toThrow(BodyKeyMissingError);
      await expect(onlyNew.getBody(old)).rejects.toThrow('body key k1 not configured');
      expect((await onlyNew.getMessage(old))!.findings[0]!.text).toBe('[body key k1 not configured]');
      expect((await onlyNew.deliveryAttempts(old))[0]!.answerExcerpt).toBe('[body key k1 not configured]');
      const stuck = await reencrypt(onlyNew, 10);
      expect(stuck).toMatchObject({ messages: 0, answers: 0, missingKeys: { k1: 2 } });

      const totals = await reencrypt(rotated, 1);
      expect(totals).toMatchObject({ messages: 1, answers: 1, indexed: 0, missingKeys: {} });
      expect((await h.raw(old)).body_key).toBe('k2');
      expect((await h.rawAnswers(old))[0]!.answer_key).toBe('k2');
      expect((await onlyNew.getBody(old))!.toString()).toContain(BSN);
      expect((await onlyNew.getMessage(old))!.findings).toEqual([finding]);
      expect((await onlyNew.deliveryAttempts(old))[0]!.answerExcerpt).toBe('<Retour/>');
      // Nothing left: a second run does nothing.
      expect(await reencrypt(rotated, 10)).toMatchObject({ messages: 0, answers: 0 });
      const audit = await rotated.listAudit({ actor: 'cli:reencrypt' });
      expect(audit.map((e) => e.action)).toContain('store.reencrypt-finished');
      expect(JSON.stringify(audit)).not.toContain(BSN);
    });

    it('rows stored before encryption are readable, then sealed and indexed by reencrypt', async () => {
      const store = await h.open(K1);
      const id = await stored(store, 1);
      const plainBody = Buffer.from(wmo301({ berichtIdentificatie: 'ENC-1' }).body as string);
      await h.setRaw(id, { body: plainBody, body_key: null, findings: JSON.stringify([finding]) }, true);
      const [lease] = await store.leaseDue('w', 1, 60_000);
      const at = new Date();
      await store.completeDelivery(
        lease!,
        { startedAt: at, finishedAt: at, outcome: 'delivered', answer: 'Fo01 plain' },
        { kind: 'delivered' },
      );
      await h.setRawAnswer(id, 'Fo01 plain');
      expect(lease!.message.body!.equals(plainBody)).toBe(true);
      expect((await store.getBody(id))!.equals(plainBody)).toBe(true);
      expect((await store.getMessage(id))!.findings).toEqual([finding]);
      expect((await store.listMessages({ bsn: BSN })).total).toBe(0);

      expect(await reencrypt(store, 100)).toMatchObject({ messages: 1, answers: 1, indexed: 1 });
      const raw = await h.raw(id);
      expect(raw.body_key).toBe('k1');
      expect(raw.body!.includes(Buffer.from(BSN))).toBe(false);
      expect(raw.findings).not.toContain('07A99');
      expect((await h.rawAnswers(id))[0]!.answer_excerpt).not.toContain('Fo01');
      expect((await store.getBody(id))!.equals(plainBody)).toBe(true);
      expect((await store.deliveryAttempts(id))[0]!.answerExcerpt).toBe('Fo01 plain');
      expect((await store.listMessages({ bsn: BSN })).items.map((m) => m.id)).toEqual([id]);
    });
  });
}
