import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { hashApiKey } from '../domain/api-key.js';
import { openStorage } from '../storage/open-storage.js';
import type { SettingsStore, Storage } from '../storage/store.js';
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

function keyService(settings: SettingsStore) {
  return createKeyService({
    settings,
    clock: { now: () => new Date() },
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
    const { settings, counter } = counted((await open(join(dir, `${randomUUID()}.db`))).settings);
    const keys = keyService(settings);
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
    const { settings, counter } = counted((await open(join(dir, `${randomUUID()}.db`))).settings, false);
    const keys = keyService(settings);
    await warmUp(keys);
    const before = counter.reads;
    for (let i = 0; i < 5; i++) {
      expect(await keys.verify(ENV_KEY)).toMatchObject({ valid: true });
    }
    expect(counter.reads).toBe(before + 5);
  });

  it('sees a rotation made through another connection at once', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    const here = keyService((await open(path)).settings);
    const there = keyService((await open(path)).settings);
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
    const keys = keyService((await open(path)).settings);
    expect(await keys.verify(ENV_KEY)).toMatchObject({ valid: true });
    await (await open(path)).settings.set({ api_key_hash: hashApiKey('written-elsewhere') });
    expect(await keys.verify(ENV_KEY)).toMatchObject({ valid: false });
    expect(await keys.verify('written-elsewhere')).toMatchObject({ valid: true });
  });
});
