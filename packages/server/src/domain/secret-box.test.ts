import { createCipheriv, randomBytes } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  isLegacySealed,
  isSealed,
  openLegacySecret,
  openSecret,
  parseEncryptionKey,
  sealSecret,
  SecretBoxError,
} from './secret-box.js';

const key = Buffer.alloc(32, 7);
const AAD = 'openai_api_key\nhttps://api.openai.com/v1';

/** The `enc:v1:` form written before associated data. */
function sealV1(plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `enc:v1:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

describe('sealSecret / openSecret', () => {
  it('round-trips any text with its associated data, and the sealed form never shows it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ maxLength: 100 }), (secret, aad) => {
        const sealed = sealSecret(key, secret, aad);
        expect(isSealed(sealed)).toBe(true);
        expect(sealed.startsWith('enc:v2:')).toBe(true);
        expect(openSecret(key, sealed, aad)).toBe(secret);
        if (secret.length >= 4) {
          expect(sealed).not.toContain(secret);
        }
      }),
    );
  });

  it('uses a fresh IV each time: the same secret seals differently', () => {
    expect(sealSecret(key, 'sk-same', AAD)).not.toBe(sealSecret(key, 'sk-same', AAD));
  });

  it('refuses other associated data: a value moved to another setting or URL does not open', () => {
    const sealed = sealSecret(key, 'sk-secret-value', AAD);
    expect(() => openSecret(key, sealed, 'anthropic_api_key\nhttps://api.openai.com/v1')).toThrow(SecretBoxError);
    expect(() => openSecret(key, sealed, 'openai_api_key\nhttps://elsewhere.example/v1')).toThrow(SecretBoxError);
    expect(() => openSecret(key, sealed, '')).toThrow(SecretBoxError);
  });

  it('refuses a wrong key, tampered data, truncated data, plain text and the old format', () => {
    const sealed = sealSecret(key, 'sk-secret-value', AAD);
    expect(() => openSecret(randomBytes(32), sealed, AAD)).toThrow(SecretBoxError);
    const raw = Buffer.from(sealed.slice('enc:v2:'.length), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => openSecret(key, `enc:v2:${raw.toString('base64')}`, AAD)).toThrow(SecretBoxError);
    expect(() => openSecret(key, 'enc:v2:AAAA', AAD)).toThrow('encrypted value is truncated');
    expect(() => openSecret(key, 'sk-plain', AAD)).toThrow('value is not encrypted');
    expect(() => openSecret(key, sealV1('sk-old'), AAD)).toThrow('value is in the old format');
  });

  it('needs a 32-byte key', () => {
    expect(() => sealSecret(Buffer.alloc(16), 'x', AAD)).toThrow('encryption key must be 32 bytes');
  });
});

describe('openLegacySecret', () => {
  it('opens the enc:v1 form written before associated data, and nothing else', () => {
    const old = sealV1('sk-from-before');
    expect(isLegacySealed(old)).toBe(true);
    expect(isSealed(old)).toBe(false);
    expect(openLegacySecret(key, old)).toBe('sk-from-before');
    expect(() => openLegacySecret(randomBytes(32), old)).toThrow(SecretBoxError);
    expect(() => openLegacySecret(key, sealSecret(key, 'sk-new', AAD))).toThrow('value is not in the old format');
  });
});

describe('parseEncryptionKey', () => {
  it('accepts 64 hex characters, base64 and base64url of 32 bytes', () => {
    const bytes = randomBytes(32);
    expect(parseEncryptionKey(bytes.toString('hex'))).toEqual(bytes);
    expect(parseEncryptionKey(` ${bytes.toString('hex').toUpperCase()}\n`)).toEqual(bytes);
    expect(parseEncryptionKey(bytes.toString('base64'))).toEqual(bytes);
    expect(parseEncryptionKey(bytes.toString('base64url'))).toEqual(bytes);
  });

  it('refuses other lengths', () => {
    expect(parseEncryptionKey('ab'.repeat(16))).toBeNull();
    expect(parseEncryptionKey(randomBytes(16).toString('base64'))).toBeNull();
    expect(parseEncryptionKey('')).toBeNull();
  });
});
