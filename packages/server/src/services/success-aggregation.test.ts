import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { EventInput, EventInputOf, EventRequest } from './audit-events.js';
import { createSuccessAggregator, isAggregatable } from './success-aggregation.js';

/** A successful key check of a read; `route` null: no route matched. */
const read = (
  id: string,
  path = '/contexts',
  clientIp = '127.0.0.1',
  route: string | null = path,
): EventInputOf<'api_key_auth'> & { request: EventRequest } => ({
  event: 'api_key_auth',
  outcome: 'valid_key',
  request: { id, method: 'GET', path, route: route ?? undefined, clientIp },
  actor: 'api_key:0a1b2c3d',
});

describe('isAggregatable', () => {
  it('takes successful key checks of reads', () => {
    expect(isAggregatable(read('r1'))).toBe(true);
    expect(isAggregatable({ ...read('r1'), request: { ...read('r1').request, method: 'HEAD' } })).toBe(true);
  });

  it('takes requests refused before any route ran, matched or not, whatever their method', () => {
    const refused: EventInputOf<'origin_check'> = {
      event: 'origin_check',
      outcome: 'cross_site',
      request: { id: 'r1', method: 'POST', path: '/nowhere', route: undefined, clientIp: '127.0.0.1' },
      details: { origin: 'https://evil.test' },
    };
    expect(isAggregatable(refused)).toBe(true);
    expect(isAggregatable({ ...refused, event: 'host_check', outcome: 'disallowed_host' })).toBe(true);
    expect(isAggregatable({ event: 'host_check', outcome: 'disallowed_host' })).toBe(false);
  });

  it.each<[string, EventInput]>([
    ['a failed key check', { ...read('r1'), outcome: 'invalid_key' }],
    ['a missing key', { ...read('r1'), outcome: 'missing_key', actor: null }],
    ['a write', { ...read('r1'), request: { ...read('r1').request, method: 'POST' } }],
    ['a delete', { ...read('r1'), request: { ...read('r1').request, method: 'DELETE' } }],
    ['a read of the audit log', read('r1', '/security/events')],
    ['a read of the audit log spelled with escapes', read('r1', '/%73ecurity/events', '127.0.0.1', '/security/events')],
    ['a path that matches no route', read('r1', '/nowhere', '127.0.0.1', null)],
    // Not in the table of events, so only a cast gets it here: the check does not lean on the types.
    ['another event with the same outcome', { ...read('r1'), event: 'other_check' } as unknown as EventInput],
    ['a valid signature', { ...read('r1'), event: 'request_signing', outcome: 'valid_signature' }],
    ['an event with details', { ...read('r1'), details: { reason: 'x' } }],
    ['an event without a request', { event: 'api_key_auth', outcome: 'valid_key' }],
  ])('keeps a row of its own for %s', (_label, input) => {
    expect(isAggregatable(input)).toBe(false);
  });
});

describe('success aggregator', () => {
  const t0 = Date.UTC(2026, 11, 7, 12, 0, 0);

  it('folds the requests of one key, client, method and path into one row naming the first and the last', () => {
    const aggregator = createSuccessAggregator(60_000);
    expect(aggregator.add(read('r1'), t0)).toBeNull();
    expect(aggregator.add(read('r2'), t0 + 1_000)).toBeNull();
    expect(aggregator.add(read('r3'), t0 + 2_500)).toBeNull();
    expect(aggregator.size).toBe(1);
    const [row, ...rest] = aggregator.close(t0 + 3_000, true);
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      event: 'api_key_auth',
      outcome: 'valid_key',
      requestId: 'r1',
      method: 'GET',
      path: '/contexts',
      clientIp: '127.0.0.1',
      actor: 'api_key:0a1b2c3d',
      createdAt: new Date(t0).toISOString(),
      details: { requests: 3, last_request_id: 'r3', last_at: new Date(t0 + 2_500).toISOString() },
    });
    expect(row?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(aggregator.close(t0 + 3_000, true)).toEqual([]);
  });

  it('groups the refusals of one client whatever their path and details, keeping the first as the sample', () => {
    const aggregator = createSuccessAggregator(60_000);
    const refused = (
      id: string,
      origin: string,
      path: string,
      clientIp = '127.0.0.1',
    ): EventInputOf<'origin_check'> & { request: EventRequest } => ({
      event: 'origin_check',
      outcome: 'disallowed_origin',
      request: { id, method: 'POST', path, route: undefined, clientIp },
      details: { origin },
    });
    aggregator.add(refused('r1', 'https://evil.test', '/contexts/import'), t0);
    aggregator.add(refused('r2', 'https://other.test', '/x1'), t0 + 10);
    aggregator.add(refused('r3', 'https://third.test', '/x2'), t0 + 20);
    aggregator.add(refused('r4', 'https://evil.test', '/contexts', '10.0.0.2'), t0 + 30);
    const rows = aggregator.close(t0 + 40, true);
    expect(rows.map((r) => [r.requestId, r.path, r.details])).toEqual([
      [
        'r1',
        '/contexts/import',
        {
          origin: 'https://evil.test',
          requests: 3,
          last_request_id: 'r3',
          last_at: new Date(t0 + 20).toISOString(),
        },
      ],
      ['r4', '/contexts', { origin: 'https://evil.test' }],
    ]);
  });

  it('writes a lone request as a plain row, without details', () => {
    const aggregator = createSuccessAggregator(60_000);
    aggregator.add(read('r1'), t0);
    expect(aggregator.close(t0, true)).toMatchObject([{ requestId: 'r1', details: {} }]);
  });

  it('keeps different paths, clients and keys apart', () => {
    const aggregator = createSuccessAggregator(60_000);
    aggregator.add(read('r1'), t0);
    aggregator.add(read('r2', '/stats'), t0);
    aggregator.add(read('r3', '/contexts', '10.0.0.9'), t0);
    aggregator.add({ ...read('r4'), actor: 'api_key:ffffffff' }, t0);
    expect(aggregator.size).toBe(4);
    const rows = aggregator.close(t0, true);
    expect(rows.map((r) => r.requestId).sort()).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('ends a group once its window is over and starts a new one for later requests', () => {
    const aggregator = createSuccessAggregator(60_000);
    aggregator.add(read('r1'), t0);
    aggregator.add(read('r2', '/stats'), t0 + 30_000);
    expect(aggregator.close(t0 + 59_999)).toEqual([]);
    expect(aggregator.close(t0 + 60_000).map((r) => r.requestId)).toEqual(['r1']);
    aggregator.add(read('r3'), t0 + 61_000);
    expect(aggregator.close(t0 + 90_000).map((r) => r.requestId)).toEqual(['r2']);
    expect(aggregator.close(t0 + 121_000).map((r) => r.requestId)).toEqual(['r3']);
  });

  it('ends a group when a request comes after its window, and starts a new one with that request', () => {
    const aggregator = createSuccessAggregator(60_000);
    aggregator.add(read('r1'), t0);
    aggregator.add(read('r2'), t0 + 59_999);
    expect(aggregator.add(read('r3'), t0 + 60_000)).toMatchObject({ requestId: 'r1', details: { requests: 2 } });
    expect(aggregator.close(t0 + 60_000, true)).toMatchObject([{ requestId: 'r3', details: {} }]);
  });

  it('ends a group when the clock goes back behind its start', () => {
    const aggregator = createSuccessAggregator(60_000);
    aggregator.add(read('r1'), t0);
    expect(aggregator.add(read('r2'), t0 - 3_600_000)).toMatchObject({ requestId: 'r1' });
    expect(aggregator.close(t0 - 3_600_000)).toEqual([]);
    expect(aggregator.close(t0 - 3_600_000 + 60_000).map((r) => r.requestId)).toEqual(['r2']);
  });

  it('ends the oldest groups first when asked to make room', () => {
    const aggregator = createSuccessAggregator(60_000);
    for (let i = 0; i < 5; i++) {
      aggregator.add(read(`r${i}`, `/contexts/${i}`), t0 + i);
    }
    aggregator.add(read('r0-again', '/contexts/0'), t0 + 10);
    expect(aggregator.closeOldest(2).map((r) => r.requestId)).toEqual(['r0', 'r1']);
    expect(aggregator.size).toBe(3);
  });

  it('accounts for every request exactly once, whatever the order of requests and closes', () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('read' as const),
        path: fc.constantFrom('/contexts', '/stats', '/contexts/1'),
        ip: fc.constantFrom('127.0.0.1', '10.0.0.2'),
        advanceMs: fc.integer({ min: 0, max: 40_000 }),
      }),
      fc.record({ kind: fc.constant('close' as const), all: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const aggregator = createSuccessAggregator(60_000);
        let now = t0;
        let requests = 0;
        const rows = [];
        for (const s of steps) {
          if (s.kind === 'read') {
            now += s.advanceMs;
            const ended = aggregator.add(read(`r${requests++}`, s.path, s.ip), now);
            if (ended) {
              rows.push(ended);
            }
          } else {
            rows.push(...aggregator.close(now, s.all));
          }
        }
        rows.push(...aggregator.close(now, true));
        const counted = rows.map((r) => (typeof r.details.requests === 'number' ? r.details.requests : 1));
        expect(counted.reduce((a, b) => a + b, 0)).toBe(requests);
        // Each row starts at its first request and ends within its window.
        for (const row of rows) {
          const last =
            typeof row.details.last_at === 'string' ? Date.parse(row.details.last_at) : Date.parse(row.createdAt);
          expect(last - Date.parse(row.createdAt)).toBeGreaterThanOrEqual(0);
          expect(last - Date.parse(row.createdAt)).toBeLessThan(60_000);
        }
        expect(new Set(rows.map((r) => r.requestId)).size).toBe(rows.length);
      }),
    );
  });
});
