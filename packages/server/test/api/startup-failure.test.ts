import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { buildApp } from '../../src/app.js';
import { closedPortUrl, sharedEmbedder, tempDir, testConfig } from '../helpers.js';

describe('a start-up that fails half-way', () => {
  it('closes the storage it opened and the work it started when Redis cannot be reached', async () => {
    const path = join(tempDir(), 'half-started.db');
    const redis = (await closedPortUrl()).replace('http://', 'redis://');
    const config = testConfig({
      CONTEXTPILOT_DATABASE_URL: `sqlite:${path}`,
      CONTEXTPILOT_REDIS_URL: redis,
      CONTEXTPILOT_REDIS_TIMEOUT_MS: '200',
    });
    await expect(buildApp(config, { embedder: await sharedEmbedder() })).rejects.toThrow();
    // SQLite removes the write-ahead log when the last connection to the file closes.
    expect(existsSync(path)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});
