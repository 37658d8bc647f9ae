import { Redis } from 'ioredis';

import type { CounterStore } from './counter-store.js';

// INCR and start the window on the first hit, atomically; returns {count, ms left}.
const INCREMENT = `
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}`;

/** Longest pause between two reconnection attempts while Redis is unreachable. */
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * Counters shared by every instance using the same Redis and key prefix. Every command fails within `timeoutMs`
 * while Redis is unreachable or stalled (no queueing, no retries: a request waits for one command at most), and the
 * connection is re-established in the background as soon as Redis is back. Rejects when Redis cannot be reached at
 * start-up.
 */
export async function createRedisCounters(options: {
  url: string;
  prefix: string;
  timeoutMs: number;
}): Promise<CounterStore> {
  const redis = new Redis(options.url, {
    keyPrefix: options.prefix,
    lazyConnect: true,
    connectTimeout: options.timeoutMs,
    commandTimeout: options.timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
  // Connection errors reach the caller of each command (and /health); without a listener ioredis prints every one.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    // Stop the reconnection attempts the failed connect would otherwise keep making.
    redis.disconnect();
    throw error;
  }
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
    async ping() {
      await redis.ping();
    },
    async close() {
      // Closing twice (or after the connection ended) is a no-op, as for the other stores.
      if (redis.status !== 'end') {
        await redis.quit();
      }
    },
  };
}
