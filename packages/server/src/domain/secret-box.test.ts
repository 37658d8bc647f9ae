import { randomBytes } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isSealed, openSecret, parseEncryptionKey, sealSecret, SecretBoxError } from './secret-box.js';

const key = Buffer.alloc(32, 7);

describe('sealSecret / openSecret', () => {
  it('round-trips any text, and the sealed form never shows it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (secret) => {
        const sealed = sealSecret(key, secret);
        expect(isSealed(sealed)).toBe(true);
        expect(sealed.startsWith('enc:v1:')).toBe(true);
        expect(openSecret(key, sealed)).toBe(secret);
        if (secret.length >= 4) {
          expect(sealed).not.toContain(secret);
        }
      }),
    );
  });

  it('uses a fresh IV each time: the same secret seals differently', () => {
    expect(sealSecret(key, 'sk-same')).not.toBe(sealSecret(key, 'sk-same'));
  });

  it('refuses a wrong key, tampered data, truncated data and plain text', () => {
    const sealed = sealSecret(key, 'sk-secret-value');
    expect(() => openSecret(randomBytes(32), sealed)).toThrow(SecretBoxError);
    const raw = Buffer.from(sealed.slice('enc:v1:'.length), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => openSecret(key, `enc:v1:${raw.toString('base64')}`)).toThrow(SecretBoxError);
    expect(() => openSecret(key, 'enc:v1:AAAA')).toThrow('encrypted value is truncated');
    expect(() => openSecret(key, 'sk-plain')).toThrow('value is not encrypted');
  });

  it('needs a 32-byte key', () => {
    expect(() => sealSecret(Buffer.alloc(16), 'x')).toThrow('encryption key must be 32 bytes');
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
