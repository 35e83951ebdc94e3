import { describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey, verifyApiKey } from '../../src/security/api-keys.ts';

describe('API keys', () => {
  it('hashes to sha256:<hex> without keeping the key', () => {
    const h = hashApiKey('geheim');
    expect(h).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(h).not.toContain('geheim');
    expect(hashApiKey('geheim')).toBe(h);
    expect(hashApiKey('Geheim')).not.toBe(h);
  });

  it('matches the known SHA-256 of a key', () => {
    expect(hashApiKey('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('verifies a key against any of several hashes', () => {
    const key = generateApiKey();
    const hashes = [hashApiKey('old key'), hashApiKey(key)];
    expect(verifyApiKey(key, hashes)).toBe(true);
    expect(verifyApiKey(key, [...hashes].reverse())).toBe(true);
    expect(verifyApiKey(key, [hashes[0]!])).toBe(false);
    expect(verifyApiKey('', hashes)).toBe(false);
    expect(verifyApiKey(key, [])).toBe(false);
  });

  it('never matches malformed stored hashes, including the plaintext key itself', () => {
    const key = 'plain-key';
    expect(
      verifyApiKey(key, [key, 'sha256:', 'sha256:zz', hashApiKey(key).slice(0, 40), `md5:${'0'.repeat(64)}`]),
    ).toBe(false);
  });

  it('generates long random keys', () => {
    const a = generateApiKey();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateApiKey()).not.toBe(a);
  });
});
