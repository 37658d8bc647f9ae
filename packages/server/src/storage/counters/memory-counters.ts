import type { CounterStore } from './counter-store.js';

const SWEEP_EVERY = 1000;

/** In-process counters (one instance only). `now` returns milliseconds. */
export function createMemoryCounters(now: () => number = Date.now): CounterStore {
  const entries = new Map<string, { count: number; expiresAt: number }>();
  let operations = 0;

  function live(key: string): { count: number; expiresAt: number } | undefined {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  function sweep(): void {
    if (++operations % SWEEP_EVERY !== 0) {
      return;
    }
    const t = now();
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= t) {
        entries.delete(key);
      }
    }
  }

  return {
    increment(key, windowMs) {
      sweep();
      const entry = live(key) ?? { count: 0, expiresAt: now() + windowMs };
      entry.count++;
      entries.set(key, entry);
      return Promise.resolve({ count: entry.count, resetMs: entry.expiresAt - now() });
    },
    peek(key) {
      const entry = live(key);
      return Promise.resolve({ count: entry?.count ?? 0, resetMs: entry ? entry.expiresAt - now() : 0 });
    },
    addIfAbsent(key, ttlMs) {
      sweep();
      if (live(key)) {
        return Promise.resolve(false);
      }
      entries.set(key, { count: 1, expiresAt: now() + ttlMs });
      return Promise.resolve(true);
    },
    ping() {
      return Promise.resolve();
    },
    close() {
      entries.clear();
      return Promise.resolve();
    },
  };
}
