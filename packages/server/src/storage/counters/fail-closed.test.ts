import { describe, expect, it } from 'vitest';

import { AppError } from '../../errors.js';
import type { CounterStore } from './counter-store.js';
import { failClosed } from './fail-closed.js';
import { createMemoryCounters } from './memory-counters.js';

const broken: CounterStore = {
  increment: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
  peek: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
  addIfAbsent: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
  ping: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
  close: () => Promise.resolve(),
};

describe('failClosed counters', () => {
  it('turns a store failure into a 503 that names no internals', async () => {
    const guarded = failClosed(broken);
    for (const call of [
      () => guarded.increment('k', 1000),
      () => guarded.peek('k'),
      () => guarded.addIfAbsent('k', 1000),
    ]) {
      const error: unknown = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).statusCode).toBe(503);
      expect((error as AppError).message).not.toContain('6379');
    }
  });

  it('turns a store that throws instead of rejecting into the same 503', async () => {
    const throwing: CounterStore = {
      ...broken,
      peek: () => {
        throw new Error('client is closed');
      },
    };
    const error: unknown = await failClosed(throwing)
      .peek('k')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).statusCode).toBe(503);
  });

  it('passes results through when the store works', async () => {
    const guarded = failClosed(createMemoryCounters(() => 0));
    expect(await guarded.increment('k', 1000)).toEqual({ count: 1, resetMs: 1000 });
    expect(await guarded.addIfAbsent('s', 1000)).toBe(true);
    expect(await guarded.addIfAbsent('s', 1000)).toBe(false);
  });
});
