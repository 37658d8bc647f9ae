import { describe, expect, it } from 'vitest';

import type { EventInput } from './audit-service.js';
import { createSuccessAggregator, isAggregatable } from './success-aggregation.js';

const read = (id: string, path = '/contexts', clientIp = '127.0.0.1') => ({
  event: 'api_key_auth',
  outcome: 'valid_key',
  request: { id, method: 'GET', path, clientIp },
  actor: 'api_key:0a1b2c3d',
});

describe('isAggregatable', () => {
  it('takes successful key checks of reads', () => {
    expect(isAggregatable(read('r1'))).toBe(true);
    expect(isAggregatable({ ...read('r1'), request: { ...read('r1').request, method: 'HEAD' } })).toBe(true);
  });

  it.each<[string, EventInput]>([
    ['a failed key check', { ...read('r1'), outcome: 'invalid_key' }],
    ['a missing key', { ...read('r1'), outcome: 'missing_key', actor: null }],
    ['a write', { ...read('r1'), request: { ...read('r1').request, method: 'POST' } }],
    ['a delete', { ...read('r1'), request: { ...read('r1').request, method: 'DELETE' } }],
    ['a read of the audit log', read('r1', '/security/events')],
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
    expect(aggregator.add(read('r1'), t0)).toBe(1);
    expect(aggregator.add(read('r2'), t0 + 1_000)).toBe(1);
    expect(aggregator.add(read('r3'), t0 + 2_500)).toBe(1);
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
    expect(aggregator.add({ ...read('r4'), actor: 'api_key:ffffffff' }, t0)).toBe(4);
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
});
