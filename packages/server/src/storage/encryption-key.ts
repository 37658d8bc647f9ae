import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { DatabaseConfig } from '../config.js';
import { parseEncryptionKey } from '../domain/secret-box.js';

/**
 * The key that encrypts provider secrets at rest: CONTEXTPILOT_ENCRYPTION_KEY when set, otherwise a key file
 * beside the SQLite database (created on first start, mode 0600). The memory back end gets a random key per process.
 * PostgreSQL deployments should set the variable so every instance shares one key; without it a key file in
 * ./data is used (and `shared` is false so the caller can warn).
 */
export function loadEncryptionKey(
  configured: string,
  database: DatabaseConfig,
): { key: Buffer; source: string; shared: boolean } {
  if (configured !== '') {
    const key = parseEncryptionKey(configured);
    if (key === null) {
      throw new Error('CONTEXTPILOT_ENCRYPTION_KEY: must be 32 bytes, as 64 hex characters or base64');
    }
    return { key, source: 'environment', shared: true };
  }
  if (database.kind === 'memory') {
    return { key: randomBytes(32), source: 'ephemeral', shared: false };
  }
  const dir = database.kind === 'sqlite' && database.path !== ':memory:' ? dirname(database.path) : './data';
  const file = join(dir, 'contextpilot.key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  const key = parseEncryptionKey(readFileSync(file, 'utf8'));
  if (key === null) {
    throw new Error(`encryption key file ${file} is corrupted`);
  }
  return { key, source: 'file', shared: database.kind === 'sqlite' };
}
