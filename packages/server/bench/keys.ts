/**
 * The key check with 10,000 stored keys, in-process on a SQLite file (the check is all there is to measure: no HTTP):
 * `keys.verify` for a stored key (cached by digest), for the v1 key (found in none of them, also cached), and for
 * wrong keys that are each new (a database lookup every time), as the auth hook calls it.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { generateApiKey, hashApiKey } from '../src/domain/api-key.js';
import { toTimestamp } from '../src/domain/types.js';
import { createKeyService } from '../src/services/key-service.js';
import { createStoredKeys } from '../src/services/stored-keys.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-store.js';
import type { BenchContext } from './context.js';
import { withOthers } from './endpoints.js';
import { summarize } from './load.js';

const KEYS = 10_000;
const V1_KEY = 'bench-v1-key-0123456789abcdef0123456789abcdef';

export async function runKeys(ctx: BenchContext): Promise<void> {
  const s = 'keys';
  ctx.progress(`keys: ${KEYS} stored keys`);
  const storage = openSqlite(join(ctx.workRoot, 'keys.db'));
  try {
    const now = toTimestamp(new Date());
    const person = await storage.people.ensureFirst('Owner', now);
    const keys = Array.from({ length: KEYS }, () => `cp_${generateApiKey(32)}`);
    await storage.apiKeys.createMany(
      keys.map((key, i) => ({
        personId: person.id,
        name: `key ${i}`,
        scopes: ['contexts:read', 'prompts'],
        digest: hashApiKey(key),
        createdAt: now,
        allowedNetworks: i % 2 === 0 ? ['10.0.0.0/8', '127.0.0.0/8'] : [],
      })),
    );
    const service = createKeyService({
      settings: storage.settings,
      clock: { now: () => new Date() },
      audit: { record: () => undefined },
      authEnabled: true,
      env: { apiKey: V1_KEY, apiKeyHash: '', rotationBytes: 32 },
      stored: createStoredKeys({ keys: storage.apiKeys, people: storage.people, clock: { now: () => new Date() } }),
    });
    const measure = async (count: number, presented: (i: number) => string) => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const key = presented(i);
        const started = performance.now();
        const check = await service.verify(key, { clientIp: '127.0.0.1' });
        times.push(performance.now() - started);
        if (check.valid !== (key === V1_KEY || key.startsWith('cp_'))) {
          throw new Error(`unexpected check for key ${i}: ${JSON.stringify(check)}`);
        }
      }
      return summarize(times);
    };
    const rounds = ctx.counts.sequential * 20;
    // Warm the caches the way a running server has them: every key seen once.
    await measure(KEYS, (i) => keys[i] ?? V1_KEY);
    const watch = ctx.watchOthers();
    const stored = await measure(rounds, (i) => keys[(i * 7919) % KEYS] ?? V1_KEY);
    const v1 = await measure(rounds, () => V1_KEY);
    const wrong = await measure(Math.min(rounds, 2000), () => `wrong-${generateApiKey(16)}`);
    const others = watch.stop();
    ctx.rows.push(
      ...withOthers(others, [
        {
          section: s,
          size: KEYS,
          metric: 'key check p95, stored key',
          value: stored.p95,
          unit: 'ms',
          target: { kind: 'max', limit: 1 },
          note: `p50 ${stored.p50.toFixed(3)} ms; ${rounds} checks over ${KEYS} keys, half with a network list`,
        },
        {
          section: s,
          size: KEYS,
          metric: 'key check p95, v1 key',
          value: v1.p95,
          unit: 'ms',
          target: { kind: 'max', limit: 1 },
        },
        {
          section: s,
          size: KEYS,
          metric: 'key check p95, wrong keys (each new: a lookup)',
          value: wrong.p95,
          unit: 'ms',
          target: { kind: 'max', limit: 1 },
        },
      ]),
    );
    ctx.details['keys'] = { stored, v1, wrong };
  } finally {
    await storage.close();
  }
}
