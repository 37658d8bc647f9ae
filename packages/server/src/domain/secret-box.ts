import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Stored form of an encrypted value: `enc:v2:` + base64(iv ‖ tag ‖ ciphertext), AES-256-GCM whose associated data
 * says what the value is for (a setting's name, the URL it may be sent to), so a value copied to another place fails
 * to open.
 */
const PREFIX = 'enc:v2:';
/** The earlier form, the same layout without associated data: opened only to seal it again. */
const LEGACY_PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** Encrypts a secret with a 32-byte key (a fresh random IV per value), bound to `associatedData`. */
export function sealSecret(key: Buffer, plaintext: string, associatedData: string): string {
  if (key.length !== 32) {
    throw new SecretBoxError('encryption key must be 32 bytes');
  }
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

/** Whether `value` is in the current sealed form. */
export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** Whether `value` is in the form written before associated data (`enc:v1:`). */
export function isLegacySealed(value: string): boolean {
  return value.startsWith(LEGACY_PREFIX);
}

/**
 * Decrypts a value made by {@link sealSecret} with the same associated data. Throws SecretBoxError on a wrong key,
 * other associated data (a value moved from elsewhere), tampered data or any other form.
 */
export function openSecret(key: Buffer, sealed: string, associatedData: string): string {
  if (!isSealed(sealed)) {
    throw new SecretBoxError(isLegacySealed(sealed) ? 'value is in the old format' : 'value is not encrypted');
  }
  return decrypt(key, sealed.slice(PREFIX.length), associatedData);
}

/** Decrypts a value in the form written before associated data (`enc:v1:`), to seal it again. */
export function openLegacySecret(key: Buffer, sealed: string): string {
  if (!isLegacySealed(sealed)) {
    throw new SecretBoxError('value is not in the old format');
  }
  return decrypt(key, sealed.slice(LEGACY_PREFIX.length), null);
}

function decrypt(key: Buffer, base64: string, associatedData: string | null): string {
  const raw = Buffer.from(base64, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) {
    throw new SecretBoxError('encrypted value is truncated');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    if (associatedData !== null) {
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    }
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError('cannot decrypt value: wrong encryption key, another setting, or corrupted data');
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
