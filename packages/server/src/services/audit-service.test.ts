import { afterEach, describe, expect, it, vi } from 'vitest';

import type { EventInputOf } from './audit-events.js';
import { createAuditService } from './audit-service.js';
import { openStorage } from '../storage/open-storage.js';
import type { Storage } from '../storage/store.js';

const log = { warn: () => undefined, error: () => undefined };
const request = { id: 'req-1', method: 'GET', path: '/contexts', route: '/contexts', clientIp: '127.0.0.1' };
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('audit service', () => {
  let storage: Storage | null = null;
  afterEach(async () => {
    await storage?.close();
    storage = null;
  });

  async function start(options: { aggregateSeconds?: number; now?: () => number } = {}) {
    storage = await openStorage({ kind: 'memory' });
    const now = options.now ?? Date.now;
    const audit = createAuditService({
      store: storage.events,
      clock: { now: () => new Date(now()) },
      log,
      retentionDays: 30,
      aggregateSeconds: options.aggregateSeconds,
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

  describe('with successful reads summarized', () => {
    const read = (id: string, path = '/contexts'): EventInputOf<'api_key_auth'> => ({
      event: 'api_key_auth',
      outcome: 'valid_key',
      request: { ...request, id, path, route: path },
      actor: 'api_key:0a1b2c3d',
    });

    it('writes one row for the reads of a window and a row per write, failure and audit-log read', async () => {
      const { audit } = await start({ aggregateSeconds: 60 });
      for (let i = 0; i < 100; i++) {
        audit.record(read(`get-${i}`));
      }
      audit.record({ ...read('post-1'), request: { ...request, id: 'post-1', method: 'POST' } });
      audit.record({ ...read('bad-1'), outcome: 'invalid_key' });
      audit.record(read('events-1', '/security/events'));
      audit.record(read('events-2', '/security/events'));
      const rows = await audit.list(all);
      expect(rows.map((e) => e.requestId).sort()).toEqual(['bad-1', 'events-1', 'events-2', 'get-0', 'post-1']);
      expect(rows.find((e) => e.requestId === 'get-0')?.details).toMatchObject({
        requests: 100,
        last_request_id: 'get-99',
      });
      await audit.close();
    });

    it('writes a summary when its window ends, without anyone listing', async () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        let now = Date.UTC(2026, 11, 7, 12, 0, 0);
        const { audit, events } = await start({ aggregateSeconds: 60, now: () => now });
        audit.record(read('r1'));
        audit.record(read('r2'));
        await vi.advanceTimersByTimeAsync(1_000);
        expect(await events.list(all)).toEqual([]);
        now += 60_000;
        await vi.advanceTimersByTimeAsync(250);
        expect(await events.list(all)).toMatchObject([{ requestId: 'r1', details: { requests: 2 } }]);
        await audit.close();
      } finally {
        vi.useRealTimers();
      }
    });

    it('writes every summary at close', async () => {
      const { audit, events } = await start({ aggregateSeconds: 60 });
      audit.record(read('r1'));
      audit.record(read('r2', '/stats'));
      await audit.close();
      expect((await events.list(all)).map((e) => e.requestId).sort()).toEqual(['r1', 'r2']);
    });

    it('writes the oldest summaries early when too many are open', async () => {
      const { audit, events } = await start({ aggregateSeconds: 60 });
      for (let i = 0; i < 9_999; i++) {
        audit.record(read(`r${i}`, `/contexts/${i}`));
      }
      await nextTurn();
      await nextTurn();
      expect(await events.list(all)).toEqual([]);
      audit.record(read('r9999', '/contexts/9999'));
      await vi.waitFor(async () => expect(await events.list({ limit: 20_000, offset: 0 })).toHaveLength(1_000));
      const written = await events.list({ limit: 20_000, offset: 0 });
      expect(written.map((e) => Number(e.requestId?.slice(1))).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 1_000 }, (_, i) => i),
      );
      await audit.close();
      expect(await events.list({ limit: 20_000, offset: 0 })).toHaveLength(10_000);
    });

    it('counts events recorded after close without storing them', async () => {
      const counted: string[] = [];
      storage = await openStorage({ kind: 'memory' });
      const audit = createAuditService({
        store: storage.events,
        clock: { now: () => new Date() },
        log,
        retentionDays: 30,
        aggregateSeconds: 60,
        onRecord: (_event, outcome) => counted.push(outcome),
      });
      await audit.start();
      audit.record(read('before'));
      await audit.close();
      audit.record(read('after'));
      audit.record({ ...read('after-failure'), outcome: 'invalid_key' });
      await audit.flush();
      expect((await storage.events.list(all)).map((e) => e.requestId)).toEqual(['before']);
      expect(counted).toEqual(['valid_key', 'valid_key', 'invalid_key']);
    });
  });
  it('drops the oldest events beyond 20,000 unwritten ones and says how many requests they stood for', async () => {
    storage = await openStorage({ kind: 'memory' });
    const events = storage.events;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const warnings: object[] = [];
    const audit = createAuditService({
      // The real store behind a gate: nothing is written until the test opens it.
      store: { ...events, insertMany: async (batch) => gate.then(() => events.insertMany(batch)) },
      clock: { now: () => new Date() },
      log: { warn: (obj) => warnings.push(obj), error: () => undefined },
      retentionDays: 30,
    });
    await audit.start();
    const fail = (i: number): EventInputOf<'api_key_auth'> => ({
      event: 'api_key_auth',
      outcome: 'invalid_key',
      request: { ...request, id: `f${i}` },
    });
    audit.record(fail(0));
    const firstWrite = audit.flush(); // takes f0 and waits at the gate
    for (let i = 1; i <= 20_010; i++) {
      audit.record(fail(i));
    }
    release();
    await firstWrite;
    await audit.close();
    const written = await events.list({ limit: 30_000, offset: 0 });
    expect(written.length).toBe(20_001);
    const ids = new Set(written.map((e) => e.requestId));
    expect(ids.has('f10')).toBe(false);
    expect(ids.has('f11')).toBe(true);
    expect(ids.has('f20010')).toBe(true);
    expect(warnings).toContainEqual({ rows: 10, requests: 10 });
  });
});
