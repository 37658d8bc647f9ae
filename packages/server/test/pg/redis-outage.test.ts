import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { type CallResult, fetchText } from '../api/security-helpers.js';
import { buildTestApp, listenOnLoopback } from '../helpers.js';
import { type OwnRedis, startOwnRedis } from '../servers.js';

/**
 * An app whose Redis (a server of this test's own) dies, stalls and comes back: protected requests fail fast with
 * 503, `/health` says the rate-limit store is down, and everything recovers without restarting the app.
 */

const API_KEY = 'redis-outage-api-key-1a2b3c4d5e';
/** What a request may take while Redis is down or stalled: the command timeout below plus generous slack. */
const FAST_MS = 1000;
const TIMEOUT_MS = 300;

interface HealthBody {
  status: string;
  components: Record<string, { status: string; backend?: string; error?: string }>;
}

let redis: OwnRedis;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  redis = await startOwnRedis();
  const app = await buildTestApp({
    CONTEXTPILOT_REDIS_URL: redis.url,
    CONTEXTPILOT_REDIS_KEY_PREFIX: `cp-test:${randomUUID()}:`,
    CONTEXTPILOT_REDIS_TIMEOUT_MS: String(TIMEOUT_MS),
    CONTEXTPILOT_ENABLE_AUTH: 'true',
    CONTEXTPILOT_API_KEY: API_KEY,
  });
  base = await listenOnLoopback(app);
  close = () => app.close();
});

afterAll(async () => {
  await close?.();
  await redis?.kill();
});

/** A protected request, and how long it took. */
async function timedList(key = API_KEY): Promise<{ res: CallResult; ms: number }> {
  const started = performance.now();
  const res = await fetchText(`${base}/contexts?limit=1`, { headers: { 'x-api-key': key } });
  return { res, ms: performance.now() - started };
}

async function health(): Promise<HealthBody> {
  const res = await fetchText(`${base}/health`, {});
  expect(res.status).toBe(200);
  return res.json as HealthBody;
}

async function expectFastUnavailable(): Promise<void> {
  for (const key of [API_KEY, 'a-wrong-key']) {
    const { res, ms } = await timedList(key);
    expect(res.status).toBe(503);
    expect(res.json).toEqual({
      error_code: 'SERVICE_UNAVAILABLE',
      message: 'Security store unavailable, try again later',
      detail: 'Security store unavailable, try again later',
      details: {},
    });
    expect(ms).toBeLessThan(FAST_MS);
  }
}

async function expectRecovered(): Promise<void> {
  await vi.waitFor(async () => expect((await health()).components.rate_limit_store?.status).toBe('healthy'), {
    timeout: 10_000,
    interval: 50,
  });
  expect((await timedList()).res.status).toBe(200);
  expect((await health()).status).toBe('healthy');
}

describe('a Redis outage', () => {
  it('reports the rate-limit store in /health while Redis is up', async () => {
    expect((await timedList()).res.status).toBe(200);
    const body = await health();
    expect(body.status).toBe('healthy');
    expect(body.components.rate_limit_store).toEqual({ status: 'healthy', backend: 'redis' });
  });

  it('answers 503 within a second while Redis is down, says so in /health, and recovers when it is back', async () => {
    await redis.kill();
    await expectFastUnavailable();
    const body = await health();
    expect(body.status).toBe('unhealthy');
    expect(body.components.rate_limit_store).toEqual({
      status: 'unhealthy',
      backend: 'redis',
      error: 'rate limit store unavailable',
    });
    // The storage itself is fine.
    expect(body.components.storage?.status).toBe('healthy');
    expect(JSON.stringify(body)).not.toContain(new URL(redis.url).port);

    await redis.start();
    await expectRecovered();
  });

  it('answers 503 within a second while Redis accepts connections but does not answer', async () => {
    redis.pause();
    try {
      await expectFastUnavailable();
      expect((await health()).components.rate_limit_store?.status).toBe('unhealthy');
    } finally {
      redis.resume();
    }
    await expectRecovered();
  });
});
