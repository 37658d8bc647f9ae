import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A key's last-used time is written at most this often per instance (the v1 key and stored keys alike). */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/** Lower-case hex SHA-256 of a key (what is stored instead of the key). */
export function hashApiKey(key: string): string {
  return keyDigest(key).toString('hex');
}

/** SHA-256 of a key as bytes (one-shot: half the cost of a Hash object, and it runs on every request). */
export function keyDigest(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

/** Short, non-reversible name of a key for logs and events: the first 8 hex characters of its SHA-256. */
export function keyFingerprint(key: string): string {
  return fingerprintOfDigest(keyDigest(key));
}

/** The fingerprint of a key whose digest is already known (a request hashes its key once). */
export function fingerprintOfDigest(digest: Buffer): string {
  return digest.toString('hex', 0, 4);
}

/** A stored key hash (64 lower-case hex characters) as bytes; null when it is not one. */
export function parseKeyHash(hashHex: string): Buffer | null {
  return /^[0-9a-f]{64}$/.test(hashHex) ? Buffer.from(hashHex, 'hex') : null;
}

/** Compares a presented key's digest with the expected one in constant time. */
export function digestMatches(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Compares a presented key with a stored SHA-256 hex digest in constant time. Odd lengths, non-ASCII or a
 * malformed digest are simply a mismatch.
 */
export function keyMatchesHash(presented: string, expectedHashHex: string): boolean {
  const expected = parseKeyHash(expectedHashHex);
  return expected !== null && digestMatches(keyDigest(presented), expected);
}

/** A new random key: `bytes` random bytes, base64url without padding. */
export function generateApiKey(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
