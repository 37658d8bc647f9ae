import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Lower-case hex SHA-256 of a key (what is stored instead of the key). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Short, non-reversible name of a key for logs and events: the first 8 hex characters of its SHA-256. */
export function keyFingerprint(key: string): string {
  return fingerprintOfHash(hashApiKey(key));
}

/** The fingerprint of a key whose hash is already known (saves hashing the key twice per request). */
export function fingerprintOfHash(keyHashHex: string): string {
  return keyHashHex.slice(0, 8);
}

/**
 * Compares a presented key with a stored SHA-256 hex digest in constant time. Odd lengths, non-ASCII or a
 * malformed digest are simply a mismatch.
 */
export function keyMatchesHash(presented: string, expectedHashHex: string): boolean {
  return hashesMatch(hashApiKey(presented), expectedHashHex);
}

/** Compares two SHA-256 hex digests in constant time; anything that is not a digest is a mismatch. */
export function hashesMatch(givenHashHex: string, expectedHashHex: string): boolean {
  if (!DIGEST.test(givenHashHex) || !DIGEST.test(expectedHashHex)) {
    return false;
  }
  return timingSafeEqual(Buffer.from(givenHashHex, 'hex'), Buffer.from(expectedHashHex, 'hex'));
}

const DIGEST = /^[0-9a-f]{64}$/;

/** A new random key: `bytes` random bytes, base64url without padding. */
export function generateApiKey(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
