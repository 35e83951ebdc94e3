import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import {
  BodyCipher,
  BodyKeyMissingError,
  BodyTamperedError,
  newKeyText,
  parseKey,
} from '../../src/security/body-cipher.ts';
import { bodyCipherFromConfig, localKeyFile } from '../../src/security/body-keys.ts';
import { bsnIndexHash, bsnIndexHashes, bsnIndexKey, bsnsIn, normaliseBsn } from '../../src/security/bsn-index.ts';

const K1 = Buffer.alloc(32, 1);
const K2 = Buffer.alloc(32, 2);
const body = Buffer.from('<Client><Bsn>999900006</Bsn></Client>');

describe('body cipher (AES-256-GCM)', () => {
  const c1 = new BodyCipher([{ id: 'k1', key: K1 }], 'k1');

  it('seals under the current key with a fresh nonce each time, and opens what it sealed', () => {
    const a = c1.seal('m1', 'body', body);
    const b = c1.seal('m1', 'body', body);
    expect(a.keyId).toBe('k1');
    expect(a.sealed.equals(b.sealed)).toBe(false);
    expect(a.sealed.includes(Buffer.from('999900006'))).toBe(false);
    expect(a.sealed.length).toBe(body.length + 12 + 16);
    expect(c1.open('m1', 'body', 'k1', a.sealed).equals(body)).toBe(true);
  });

  it('keeps every sealed value intact while many are sealed one after another, of any size', () => {
    // Sealed values share slabs: none may overlap another, also across a slab's end and for large values.
    const sizes = [7072, 7072, 1, 16_000, 30_000, 7072, 0, 65_536, 7072, 3, 12_345, 7072, 7072, 7072, 7072, 7072];
    const plains = sizes.map((n, i) => Buffer.alloc(n, i + 1));
    const sealed = plains.map((p, i) => c1.seal(`m${i}`, 'body', p).sealed);
    sealed.forEach((s, i) => {
      expect(s.length).toBe(sizes[i]! + 12 + 16);
      expect(c1.open(`m${i}`, 'body', 'k1', s).equals(plains[i]!)).toBe(true);
    });
  });

  it('refuses a tampered value, another message id (AAD), another purpose and another key id', () => {
    const { sealed } = c1.seal('m1', 'body', body);
    for (const at of [0, 12, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] = bad[at]! ^ 0x01;
      expect(() => c1.open('m1', 'body', 'k1', bad)).toThrow(BodyTamperedError);
    }
    expect(() => c1.open('m2', 'body', 'k1', sealed)).toThrow(BodyTamperedError);
    expect(() => c1.open('m1', 'finding', 'k1', sealed)).toThrow(BodyTamperedError);
    expect(() => c1.open('m1', 'body', 'k1', sealed.subarray(0, 20))).toThrow(BodyTamperedError);
    const both = new BodyCipher(
      [
        { id: 'k1', key: K1 },
        { id: 'k2', key: K1 },
      ],
      'k2',
    );
    // The same key bytes under another id: the key id is bound too.
    expect(() => both.open('m1', 'body', 'k2', sealed)).toThrow(BodyTamperedError);
  });

  it('rotation: a new current key seals, the old one still opens; a missing key is named', () => {
    const old = c1.seal('m1', 'body', body);
    const rotated = new BodyCipher(
      [
        { id: 'k1', key: K1 },
        { id: 'k2', key: K2 },
      ],
      'k2',
    );
    expect(rotated.open('m1', 'body', 'k1', old.sealed).equals(body)).toBe(true);
    const fresh = rotated.seal('m1', 'body', body);
    expect(fresh.keyId).toBe('k2');
    const onlyNew = new BodyCipher([{ id: 'k2', key: K2 }], 'k2');
    expect(onlyNew.open('m1', 'body', 'k2', fresh.sealed).equals(body)).toBe(true);
    expect(() => onlyNew.open('m1', 'body', 'k1', old.sealed)).toThrow(BodyKeyMissingError);
    expect(() => onlyNew.open('m1', 'body', 'k1', old.sealed)).toThrow('body key k1 not configured');
  });

  it('seals texts as one string; a plain (older) text reads as it is; a missing key reads as a notice', () => {
    const t = c1.sealText('m1', 'finding', 'Bsn 999900006 fails');
    expect(t).toMatch(/^s1:k1:[A-Za-z0-9+/=]+$/);
    expect(t).not.toContain('999900006');
    expect(c1.openText('m1', 'finding', t)).toBe('Bsn 999900006 fails');
    expect(c1.openText('m1', 'finding', 'plain text')).toBe('plain text');
    const other = new BodyCipher([{ id: 'k9', key: K2 }], 'k9');
    expect(other.openTextOrNotice('m1', 'finding', t)).toBe('[body key k1 not configured]');
    expect(() => c1.openText('m2', 'finding', t)).toThrow(BodyTamperedError);
  });

  it('reads keys as 64 hex digits or base64 of 32 bytes and refuses other lengths with the specifics', () => {
    expect(parseKey(K1.toString('hex'), 'k').equals(K1)).toBe(true);
    expect(parseKey(K1.toString('base64'), 'k').equals(K1)).toBe(true);
    expect(parseKey(newKeyText(), 'k')).toHaveLength(32);
    expect(() => parseKey(Buffer.alloc(16).toString('hex'), 'key k1')).toThrow(
      /32 bytes \(64 hex digits\); this one has 32 hex digits/,
    );
    expect(() => parseKey(Buffer.alloc(24, 0xff).toString('base64'), 'key k1')).toThrow(/24 bytes/);
    expect(() => parseKey('not a key!', 'key k1')).toThrow(/64 hex digits or as base64/);
    expect(() => new BodyCipher([{ id: 'k1', key: K1 }], 'k2')).toThrow(/current body key k2/);
  });
});

describe('body keys from the configuration', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'schakel-keys-'));
    dirs.push(d);
    return d;
  };

  it('takes keys from the environment and from key files, and refuses a wrong length as a config error', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'old.key'), `${K1.toString('hex')}\n`, { mode: 0o600 });
    const yaml = `store:
  kind: sqlite
  encryption:
    current: k2
    keys:
      - { id: k1, file: old.key }
      - { id: k2, key: "\${ENV:SCHAKEL_BODY_KEY_2}" }
`;
    const config = parseConfig(yaml, join(dir, 'c.yaml'), { env: { SCHAKEL_BODY_KEY_2: K2.toString('base64') } });
    const cipher = bodyCipherFromConfig(config.store.encryption!);
    expect(cipher.current).toBe('k2');
    const sealed = new BodyCipher([{ id: 'k1', key: K1 }], 'k1').seal('m', 'body', body);
    expect(cipher.open('m', 'body', 'k1', sealed.sealed).equals(body)).toBe(true);
    expect(() =>
      parseConfig(yaml, join(dir, 'c.yaml'), { env: { SCHAKEL_BODY_KEY_2: Buffer.alloc(31).toString('hex') } }),
    ).toThrow(/store\.encryption\.keys\[1\]\.key.*62 hex digits/s);
    expect(() =>
      parseConfig(yaml.replace('current: k2', 'current: k3'), join(dir, 'c.yaml'), {
        env: { SCHAKEL_BODY_KEY_2: K2.toString('hex') },
      }),
    ).toThrow(/no key with id k3/);
    rmSync(join(dir, 'old.key'));
    expect(() => bodyCipherFromConfig(config.store.encryption!)).toThrow(/key k1: cannot read .*old\.key \(ENOENT\)/);
  });

  it('without configured keys: a key file is generated once (0600) and read again', () => {
    const file = join(tmp(), 'body.key');
    const first = localKeyFile(file);
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const sealed = first.cipher.seal('m', 'body', body);
    const again = localKeyFile(file);
    expect(again.created).toBe(false);
    expect(again.cipher.open('m', 'body', 'local', sealed.sealed).equals(body)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toHaveLength(44);
  });
});

describe('BSN index', () => {
  it('finds the BSNs of the standards BSN elements (and inside a GGK envelope), each once', () => {
    const jz = Buffer.from('<BG:inp.bsn StUF:exact="true">123456782</BG:inp.bsn><ZKN:nr>999900006</ZKN:nr>');
    const inner = Buffer.from('<iwmo:Bsn>999999990</iwmo:Bsn>').toString('base64');
    const ggk = Buffer.from(`<ggk:parameters><ggk:bericht>${inner}</ggk:bericht></ggk:parameters>`);
    expect(bsnsIn(Buffer.concat([body, body, jz])).sort()).toEqual(['123456782', '999900006']);
    expect(bsnsIn(ggk)).toEqual(['999999990']);
    expect(normaliseBsn('99990000')).toBe('099990000');
    expect(normaliseBsn('0999900006')).toBe('999900006');
    expect(normaliseBsn('999 900 006')).toBe('999900006');
    expect(normaliseBsn('12')).toBeNull();
  });

  it('hashes under a purpose-derived key: not the plain HMAC of the secret, and stable', () => {
    const secret = Buffer.alloc(32, 7);
    const key = bsnIndexKey(secret);
    expect(key.equals(secret)).toBe(false);
    expect(bsnIndexHashes(key, body)).toEqual([bsnIndexHash(key, '999900006')]);
    expect(bsnIndexHash(key, '999900006')).not.toBe(bsnIndexHash(bsnIndexKey(Buffer.alloc(32, 8)), '999900006'));
  });
});
