import { describe, expect, it } from 'vitest';

import { summary } from '../../test/mock-api';
import { orderConversations } from './ordering';

describe('conversation ordering', () => {
  const a = summary({ id: 'a', created_at: '2026-01-01T00:00:00.000Z', last_message_at: '2026-01-05T00:00:00.000Z' });
  const b = summary({ id: 'b', created_at: '2026-01-04T00:00:00.000Z', last_message_at: '2026-01-04T00:00:00.000Z' });
  const c = summary({ id: 'c', created_at: '2026-01-02T00:00:00.000Z', last_message_at: '2026-01-06T00:00:00.000Z' });

  it('puts the most recent activity first, not the most recent creation', () => {
    expect(orderConversations([b, a, c]).map((x) => x.id)).toEqual(['c', 'a', 'b']);
  });

  it('lets a local send move a conversation to the top before the server knows', () => {
    const bumps = new Map([['b', Date.parse('2026-01-07T00:00:00.000Z')]]);
    expect(orderConversations([b, a, c], bumps).map((x) => x.id)).toEqual(['b', 'c', 'a']);
  });

  it('breaks ties by id, descending, and compares UTC instants across offsets', () => {
    const x = summary({ id: 'x', last_message_at: '2026-01-05T01:00:00.000Z' });
    const y = summary({ id: 'y', last_message_at: '2026-01-05T02:00:00+01:00' });
    expect(orderConversations([x, y]).map((v) => v.id)).toEqual(['y', 'x']);
  });

  it('does not change the list it was given', () => {
    const list = [a, b];
    orderConversations(list);
    expect(list).toEqual([a, b]);
  });
});
