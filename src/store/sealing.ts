/**
 * What both stores encrypt at rest and how (issue 15 part 4; the cipher is security/body-cipher.ts): a row's
 * body (key id in `body_key`), its findings (each a sealed text in the JSON array, so counting them still works)
 * and the answers kept with its delivery attempts (key id in `answer_key`). Rows written before encryption
 * (`body_key` / `answer_key` null, findings as objects) stay readable; `schakel reencrypt` seals them.
 * The keyed-hash BSN index of a message is made here from its plain body, before sealing.
 */
import { BodyCipher, BodyKeyMissingError, BodyTamperedError } from '../security/body-cipher.ts';
import { bsnIndexHash, bsnIndexHashes } from '../security/bsn-index.ts';
import type { Finding } from '../validation/finding.ts';
import type { MessageValues } from './rules.ts';
import type { DeliveryAttempt, StoredMessage } from './types.ts';

/** A message row's values as stored: sealed, with the BSN index entries. */
export type SealedValues = MessageValues & { bodyKey: string; bsnHashes: string[] };

/** Where a store's body key came from; anything but `configured` is for development only. */
export type KeySource = 'configured' | 'key-file' | 'store-secret' | 'ephemeral';

/** The cipher and the BSN index key of one store. */
export class RowSealer {
  constructor(
    readonly cipher: BodyCipher,
    private readonly indexKey: Buffer,
  ) {}

  /** The row's body and findings sealed under the current key, and its BSN index entries. */
  seal(v: MessageValues): SealedValues {
    const { keyId, sealed } = this.cipher.seal(v.id, 'body', v.body);
    // Only fields `v` has (bodyKey and bsnHashes are null there): see MessageValues.
    return {
      ...v,
      body: sealed,
      bodyKey: keyId,
      findings: this.sealFindings(v.id, JSON.parse(v.findings) as unknown[]),
      bsnHashes: bsnIndexHashes(this.indexKey, v.body),
    };
  }

  /** The index entry a search for this BSN (nine digits) looks up. */
  bsnHash(bsn: string): string {
    return bsnIndexHash(this.indexKey, bsn);
  }

  /** The BSN index entries of a plain body. */
  bsnHashes(body: Buffer): string[] {
    return bsnIndexHashes(this.indexKey, body);
  }

  /** Findings as stored: each one a sealed text (findings stored before encryption are objects). */
  sealFindings(messageId: string, findings: unknown[]): string {
    return JSON.stringify(
      findings.map((f) => this.cipher.sealText(messageId, 'finding', typeof f === 'string' ? f : JSON.stringify(f))),
    );
  }

  /** A stored body in plain; a body stored before encryption (no key id) as it is. Throws for a missing key. */
  openBody(messageId: string, keyId: string | null, body: Buffer | null): Buffer | null {
    if (body === null) return null;
    return keyId === null ? body : this.cipher.open(messageId, 'body', keyId, body);
  }

  /** For delivery: a body whose key is missing or that does not decrypt is no body (the attempt fails). */
  openBodyForDelivery(messageId: string, keyId: string | null, body: Buffer | null): Buffer | null {
    try {
      return this.openBody(messageId, keyId, body);
    } catch (e) {
      if (e instanceof BodyKeyMissingError || e instanceof BodyTamperedError) {
        process.emitWarning(`message ${messageId}: ${e.message}`);
        return null;
      }
      throw e;
    }
  }

  /** The message with its findings in plain; a finding under a missing key says so instead of its text. */
  openStored<T extends Pick<StoredMessage, 'id' | 'findings'>>(m: T): T {
    const findings = (m.findings as unknown[]).map((f): Finding => {
      if (typeof f !== 'string') return f as Finding;
      const text = this.cipher.openTextOrNotice(m.id, 'finding', f);
      return text.startsWith('[')
        ? { level: 'rule', code: 'UNREADABLE', retourcode: null, line: null, column: null, path: null, text }
        : (JSON.parse(text) as Finding);
    });
    return { ...m, findings };
  }

  /** An answer excerpt as stored, with its key id. */
  sealAnswer(messageId: string, excerpt: string | null): { excerpt: string | null; key: string | null } {
    if (excerpt === null) return { excerpt: null, key: null };
    return { excerpt: this.cipher.sealText(messageId, 'answer', excerpt), key: this.cipher.current };
  }

  openAttempt(a: DeliveryAttempt): DeliveryAttempt {
    return a.answerExcerpt === null
      ? a
      : { ...a, answerExcerpt: this.cipher.openTextOrNotice(a.messageId, 'answer', a.answerExcerpt) };
  }
}

/** A stored row `schakel reencrypt` seals again under the current key. */
export interface ResealRow {
  id: string;
  body: Buffer | null;
  body_key: string | null;
  findings: string;
}

/** What re-sealing one row writes; `indexed` when the row was plain and gets its BSN index now. */
export interface Resealed {
  id: string;
  body: Buffer | null;
  bodyKey: string;
  findings: string;
  bsnHashes: string[] | null;
}

/** The row under the current key; throws BodyKeyMissingError when its key is not configured. */
export function reseal(sealer: RowSealer, r: ResealRow): Resealed {
  const plain = sealer.openBody(r.id, r.body_key, r.body);
  const findings = (JSON.parse(r.findings) as unknown[]).map((f) =>
    typeof f === 'string' ? sealer.cipher.openText(r.id, 'finding', f) : f,
  );
  return {
    id: r.id,
    body: plain === null ? null : sealer.cipher.seal(r.id, 'body', plain).sealed,
    bodyKey: sealer.cipher.current,
    findings: sealer.sealFindings(r.id, findings),
    bsnHashes: r.body_key === null && plain !== null ? sealer.bsnHashes(plain) : null,
  };
}

/** An attempt's answer under the current key. */
export function resealAnswer(sealer: RowSealer, messageId: string, excerpt: string): string {
  return sealer.cipher.sealText(messageId, 'answer', sealer.cipher.openText(messageId, 'answer', excerpt));
}

/** What one `reencryptBatch` did (counts only). */
export interface ReencryptBatch {
  /** Message rows sealed again (or for the first time). */
  messages: number;
  /** Attempt answers sealed again. */
  answers: number;
  /** Plain rows that got their BSN index now. */
  indexed: number;
  /** Rows left as they are because their key is not configured, per key id. */
  missingKeys: Record<string, number>;
  /** The last message id of this batch: the next batch starts after it; null when none was left. */
  after: string | null;
}

export { BodyCipher };
