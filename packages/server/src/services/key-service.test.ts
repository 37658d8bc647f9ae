import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { hashApiKey, keyFingerprint } from '../domain/api-key.js';
import { openStorage } from '../storage/open-storage.js';
import type { SettingsStore, Storage } from '../storage/store.js';
import { createAuditService, type AuditService } from './audit-service.js';
import { createKeyService } from './key-service.js';

const dir = mkdtempSync(join(tmpdir(), 'contextpilot-keys-'));
const opened: Storage[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

const ENV_KEY = 'env-key-for-the-key-service-test-0123456789';

/** The settings of a real store, counting reads; `withVersion: false` hides `version` as a back end without one. */
function counted(settings: SettingsStore, withVersion = true) {
  const counter = { reads: 0 };
  const wrapped: SettingsStore = {
    getAll: () => settings.getAll(),
    get: (key) => {
      counter.reads++;
      return settings.get(key);
    },
    set: (entries) => settings.set(entries),
    ...(withVersion && settings.version ? { version: () => settings.version!() } : {}),
  };
  return { settings: wrapped, counter };
}

/** The audit log of a store (not started: `list` writes what was recorded first). */
function auditOf(storage: Storage): AuditService {
  return createAuditService({
    store: storage.events,
    clock: { now: () => new Date() },
    log: { warn: () => undefined, error: () => undefined },
    retentionDays: 30,
  });
}

function keyService(settings: SettingsStore, audit: AuditService, authEnabled = true) {
  return createKeyService({
    settings,
    clock: { now: () => new Date() },
    audit,
    authEnabled,
    env: { apiKey: ENV_KEY, apiKeyHash: '', rotationBytes: 32 },
  });
}

async function warmUp(keys: ReturnType<typeof keyService>): Promise<void> {
  for (let i = 0; i < 2; i++) {
    expect(await keys.verify(ENV_KEY)).toMatchObject({ valid: true });
  }
}

async function open(path: string): Promise<Storage> {
  const storage = await openStorage({ kind: 'sqlite', path });
  opened.push(storage);
  return storage;
}

describe('key service', () => {
  it('reads the expected hash once while the settings do not change', async () => {
    const storage = await open(join(dir, `${randomUUID()}.db`));
    const { settings, counter } = counted(storage.settings);
    const keys = keyService(settings, auditOf(storage));
    // The first success also writes api_key_last_used_at (a settings change); after it the hash stays cached.
    await warmUp(keys);
    const before = counter.reads;
    for (let i = 0; i < 5; i++) {
      expect(await keys.verify(ENV_KEY)).toMatchObject({ valid: true });
      expect(await keys.verify('not-the-key')).toMatchObject({ valid: false, reason: 'invalid_key' });
    }
    expect(counter.reads).toBe(before);
  });

  it('reads the hash on every check when the store cannot tell that settings changed', async () => {
    const storage = await open(join(dir, `${randomUUID()}.db`));
    const { settings, counter } = counted(storage.settings, false);
    const keys = keyService(settings, auditOf(storage));
    await warmUp(keys);
    const before = counter.reads;
    for (let i = 0; i < 5; i++) {
      expect(await keys.verify(ENV_KEY)).toMatchObject({ valid: true });
    }
    expect(counter.reads).toBe(before + 5);
  });

  it('sees a rotation made through another connection at once', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    const [hereStorage, thereStorage] = [await open(path), await open(path)];
    const here = keyService(hereStorage.settings, auditOf(hereStorage));
    const there = keyService(thereStorage.settings, auditOf(thereStorage));
    expect(await here.verify(ENV_KEY)).toMatchObject({ valid: true });
    const { key } = await there.rotate();
    expect(await here.verify(ENV_KEY)).toMatchObject({ valid: false, reason: 'invalid_key' });
    expect(await here.verify(key)).toMatchObject({ valid: true });
    const again = await here.rotate();
    expect(await there.verify(key)).toMatchObject({ valid: false });
    expect(await there.verify(again.key)).toMatchObject({ valid: true });
  });

  it('sees a hash written straight into the settings by another connection', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    const storage = await open(path);
    const keys = keyService(storage.settings, auditOf(storage));
    expect(await keys.verify(ENV_KEY)).toMatchObject({ valid: true });
    await (await open(path)).settings.set({ api_key_hash: hashApiKey('written-elsewhere') });
    expect(await keys.verify(ENV_KEY)).toMatchObject({ valid: false });
    expect(await keys.verify('written-elsewhere')).toMatchObject({ valid: true });
  });
});

describe('key rotation', () => {
  const request = {
    id: 'req-rotate',
    method: 'POST',
    path: '/security/api-key/rotate',
    route: '/security/api-key/rotate',
    clientIp: '127.0.0.1',
  };

  it('records its own api_key_rotation event, naming the new key by its fingerprint only', async () => {
    const storage = await open(join(dir, `${randomUUID()}.db`));
    const audit = auditOf(storage);
    const keys = keyService(storage.settings, audit);
    const rotated = await keys.rotate({ request, keyFingerprint: keyFingerprint(ENV_KEY) });
    const events = await audit.list({ limit: 10, offset: 0 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: 'api_key_rotation',
      outcome: 'success',
      requestId: 'req-rotate',
      method: 'POST',
      path: '/security/api-key/rotate',
      clientIp: '127.0.0.1',
      actor: `api_key:${keyFingerprint(ENV_KEY)}`,
      details: { rotated_at: rotated.rotatedAt, new_key: keyFingerprint(rotated.key) },
    });
    const dump = JSON.stringify(events);
    for (const key of [rotated.key, ENV_KEY]) {
      expect(dump).not.toContain(key);
      expect(dump).not.toContain(key.slice(0, 8));
    }
  });

  it('refuses with authentication off, records why, and keeps the key', async () => {
    const storage = await open(join(dir, `${randomUUID()}.db`));
    const audit = auditOf(storage);
    const keys = keyService(storage.settings, audit, false);
    await expect(keys.rotate({ request })).rejects.toMatchObject({
      statusCode: 400,
      message: 'Enable authentication before rotating API keys',
    });
    expect(await audit.list({ limit: 10, offset: 0 })).toMatchObject([
      { event: 'api_key_rotation', outcome: 'auth_disabled', requestId: 'req-rotate', actor: null, details: {} },
    ]);
    expect(await storage.settings.get('api_key_hash')).toBeNull();
    expect(await keys.verify(ENV_KEY)).toMatchObject({ valid: true });
  });
});
