import { z } from 'zod';
import { KEY_ID, parseKey } from '../security/body-cipher.ts';

/**
 * Issue 15 part 4: the keys that encrypt bodies, findings and kept answers at rest (AES-256-GCM,
 * src/security/body-cipher.ts). Absent: SQLite keeps a generated key file next to its database, PostgreSQL a
 * generated key in its own store_secrets (development only; see docs/encryption.md).
 */
const bodyKeyEntry = z
  .strictObject({
    id: z
      .string()
      .regex(KEY_ID, 'must be 1-32 letters, digits, "_" or "-"')
      .describe('Key id, stored with every value it encrypts'),
    key: z
      .string()
      .min(1)
      .optional()
      .describe('The key: 32 bytes as 64 hex digits or base64; use ${ENV:NAME} so it stays out of the file'),
    file: z.string().min(1).optional().describe('Or a file holding the key (hex or base64), relative to this file'),
  })
  .superRefine((k, ctx) => {
    if ((k.key === undefined) === (k.file === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'give key or file, exactly one' });
    } else if (k.key !== undefined) {
      try {
        parseKey(k.key, `key ${k.id}`);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['key'], message: (e as Error).message });
      }
    }
  });

export const bodyEncryption = z
  .strictObject({
    current: z
      .string()
      .regex(KEY_ID, 'must be 1-32 letters, digits, "_" or "-"')
      .describe('The key new values are encrypted with; the others only decrypt'),
    keys: z.array(bodyKeyEntry).min(1).describe('Every key that may have encrypted a stored value'),
  })
  .superRefine((e, ctx) => {
    const ids = e.keys.map((k) => k.id);
    ids.forEach((v, i) => {
      if (ids.indexOf(v) !== i) ctx.addIssue({ code: 'custom', path: ['keys', i, 'id'], message: `key id ${v} twice` });
    });
    if (!ids.includes(e.current)) {
      ctx.addIssue({ code: 'custom', path: ['current'], message: `no key with id ${e.current} in keys` });
    }
  })
  .optional()
  .describe('Keys that encrypt bodies at rest (AES-256-GCM); absent: a generated key (development only)');
