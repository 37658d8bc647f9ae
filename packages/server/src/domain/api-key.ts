import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Lower-case hex SHA-256 of a key (what is stored instead of the key). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Short, non-reversible name of a key for logs and events: the first 8 hex characters of its SHA-256. */
export function keyFingerprint(key: string): string {
  return hashApiKey(key).slice(0, 8);
}

/**
 * Compares a presented key with a stored SHA-256 hex digest in constant time. Odd lengths, non-ASCII or a
 * malformed digest are simply a mismatch.
 */
export function keyMatchesHash(presented: string, expectedHashHex: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(expectedHashHex)) {
    return false;
  }
  const given = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(given, Buffer.from(expectedHashHex, 'hex'));
}

/** A new random key: `bytes` random bytes, base64url without padding. */
export function generateApiKey(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
