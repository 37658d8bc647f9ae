import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Stored form of an encrypted value: `enc:v1:` + base64(iv ‖ tag ‖ ciphertext), AES-256-GCM. */
const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** Encrypts a secret with a 32-byte key (a fresh random IV per value). */
export function sealSecret(key: Buffer, plaintext: string): string {
  if (key.length !== 32) {
    throw new SecretBoxError('encryption key must be 32 bytes');
  }
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** Decrypts a value made by {@link sealSecret}. Throws SecretBoxError on a wrong key or tampered data. */
export function openSecret(key: Buffer, sealed: string): string {
  if (!isSealed(sealed)) {
    throw new SecretBoxError('value is not encrypted');
  }
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) {
    throw new SecretBoxError('encrypted value is truncated');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError('cannot decrypt value: wrong encryption key or corrupted data');
  }
}

/** Parses CONTEXTPILOT_ENCRYPTION_KEY: 64 hex characters or base64/base64url of 32 bytes. Null when invalid. */
export function parseEncryptionKey(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) {
    return Buffer.from(t, 'hex');
  }
  const bytes = Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
  return bytes.length === 32 ? bytes : null;
}
