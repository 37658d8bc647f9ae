import { createHash } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  digestMatches,
  fingerprintOfDigest,
  generateApiKey,
  hashApiKey,
  keyDigest,
  keyFingerprint,
  keyMatchesHash,
  parseKeyHash,
} from './api-key.js';

describe('hashApiKey and keyFingerprint', () => {
  it('hashes with SHA-256, lower-case hex (v1 vector)', () => {
    expect(hashApiKey('rotated-api-key')).toBe('8b2ee6974f6d463c493f6bccf901d7972efd78bfc0ea30ee09bfd2bb4dd94fb1');
    expect(hashApiKey('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes non-ASCII keys as UTF-8', () => {
    expect(hashApiKey('clé🔑')).toBe(createHash('sha256').update(Buffer.from('clé🔑', 'utf8')).digest('hex'));
  });

  it('names a key by the first 8 hex characters of its hash, never by part of the key', () => {
    expect(keyFingerprint('rotated-api-key')).toBe('8b2ee697');
    fc.assert(
      fc.property(fc.string({ minLength: 8, maxLength: 80 }), (key) => {
        const fp = keyFingerprint(key);
        expect(fp).toMatch(/^[0-9a-f]{8}$/);
        expect(fp).toBe(hashApiKey(key).slice(0, 8));
      }),
    );
  });
});

describe('keyMatchesHash', () => {
  const key = 'rotated-api-key';
  const hash = '8b2ee6974f6d463c493f6bccf901d7972efd78bfc0ea30ee09bfd2bb4dd94fb1';

  it('matches the key and nothing else', () => {
    expect(keyMatchesHash(key, hash)).toBe(true);
    for (const other of ['', 'rotated-api-ke', 'rotated-api-keyy', 'Rotated-api-key', ' rotated-api-key', hash]) {
      expect(keyMatchesHash(other, hash)).toBe(false);
    }
  });

  it('treats a malformed expected digest as a mismatch, without throwing', () => {
    for (const expected of [
      '',
      'abc',
      hash.toUpperCase(),
      hash.slice(0, 63),
      `${hash}0`,
      `${hash.slice(0, 63)}g`,
      ' '.repeat(64),
    ]) {
      expect(keyMatchesHash(key, expected)).toBe(false);
    }
  });

  it('never throws on odd lengths or non-ASCII input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 2000 }),
        fc.string({ maxLength: 100 }),
        (presented, expected) => {
          expect(typeof keyMatchesHash(presented, expected)).toBe('boolean');
          expect(keyMatchesHash(presented, hashApiKey(presented))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('generateApiKey', () => {
  it('returns 32 random bytes as 43 base64url characters without padding', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const key = generateApiKey(32);
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(key, 'base64url')).toHaveLength(32);
      keys.add(key);
    }
    expect(keys.size).toBe(1000);
  });

  it('honours another byte count', () => {
    expect(generateApiKey(48)).toMatch(/^[A-Za-z0-9_-]{64}$/);
  });
});

describe('keyDigest, fingerprintOfDigest, parseKeyHash and digestMatches', () => {
  const key = 'rotated-api-key';
  const hash = '8b2ee6974f6d463c493f6bccf901d7972efd78bfc0ea30ee09bfd2bb4dd94fb1';

  it('agree with hashApiKey and keyFingerprint', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (k) => {
        expect(keyDigest(k).toString('hex')).toBe(hashApiKey(k));
        expect(fingerprintOfDigest(keyDigest(k))).toBe(keyFingerprint(k));
      }),
    );
  });

  it('parses only a lower-case 64-hex hash', () => {
    expect(parseKeyHash(hash)?.toString('hex')).toBe(hash);
    for (const bad of ['', hash.toUpperCase(), hash.slice(1), `${hash}0`, `${hash.slice(0, 63)}g`, ` ${hash}`]) {
      expect(parseKeyHash(bad)).toBeNull();
    }
  });

  it('matches the right digest only, whatever the lengths', () => {
    const expected = parseKeyHash(hash)!;
    expect(digestMatches(keyDigest(key), expected)).toBe(true);
    expect(digestMatches(keyDigest(`${key}!`), expected)).toBe(false);
    expect(digestMatches(Buffer.alloc(0), expected)).toBe(false);
    expect(digestMatches(Buffer.concat([keyDigest(key), Buffer.from([0])]), expected)).toBe(false);
  });
});
