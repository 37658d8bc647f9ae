import { Redis } from 'ioredis';

import type { CounterStore } from './counter-store.js';

// INCR and start the window on the first hit, atomically; returns {count, ms left}.
const INCREMENT = `
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}`;

/** Counters shared by every instance using the same Redis and key prefix. */
export async function createRedisCounters(options: {
  url: string;
  prefix: string;
  connectTimeoutMs?: number;
}): Promise<CounterStore> {
  const redis = new Redis(options.url, {
    keyPrefix: options.prefix,
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
  });
  await redis.connect();
  redis.defineCommand('cpIncrement', { numberOfKeys: 1, lua: INCREMENT });
  const increment = redis as unknown as { cpIncrement(key: string, windowMs: number): Promise<[number, number]> };
  return {
    async increment(key, windowMs) {
      const [count, resetMs] = await increment.cpIncrement(key, windowMs);
      return { count, resetMs };
    },
    async peek(key) {
      const [value, ttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
      return { count: value === null ? 0 : Number(value), resetMs: Math.max(0, ttl) };
    },
    async addIfAbsent(key, ttlMs) {
      return (await redis.set(key, '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
    async close() {
      // Closing twice (or after the connection ended) is a no-op, as for the other stores.
      if (redis.status !== 'end') {
        await redis.quit();
      }
    },
  };
}
