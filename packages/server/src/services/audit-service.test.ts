import { afterEach, describe, expect, it } from 'vitest';

import { createAuditService } from './audit-service.js';
import { openStorage } from '../storage/open-storage.js';
import type { Storage } from '../storage/store.js';

const log = { warn: () => undefined, error: () => undefined };
const request = { id: 'req-1', method: 'GET', path: '/contexts', clientIp: '127.0.0.1' };
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('audit service', () => {
  let storage: Storage | null = null;
  afterEach(async () => {
    await storage?.close();
    storage = null;
  });

  async function start() {
    storage = await openStorage({ kind: 'memory' });
    const audit = createAuditService({
      store: storage.events,
      clock: { now: () => new Date() },
      log,
      retentionDays: 30,
    });
    await audit.start();
    return { audit, events: storage.events };
  }

  const all = { limit: 1000, offset: 0 };

  it('keeps a few events queued until the timer writes them', async () => {
    const { audit, events } = await start();
    audit.record({ event: 'api_key_auth', outcome: 'valid_key', request });
    await nextTurn();
    await nextTurn();
    expect(await events.list(all)).toHaveLength(0);
    await audit.close();
    expect(await events.list(all)).toHaveLength(1);
  });

  it('writes a full batch at the next turn of the event loop, without waiting for the timer', async () => {
    const { audit, events } = await start();
    for (let i = 0; i < 64; i++) {
      audit.record({ event: 'api_key_auth', outcome: 'valid_key', request: { ...request, id: `req-${i}` } });
    }
    expect(await events.list(all)).toHaveLength(0);
    await nextTurn();
    await nextTurn();
    const written = await events.list(all);
    expect(written).toHaveLength(64);
    expect(new Set(written.map((e) => e.requestId)).size).toBe(64);
    await audit.close();
  });
});
