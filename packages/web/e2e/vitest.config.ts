import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vitest/config';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Browser tests on their own: `npx vitest run --config packages/web/e2e/vitest.config.ts`. The root config's `e2e`
 * project runs the same files with the same settings.
 */
export default defineConfig({
  root: repoRoot,
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    name: 'e2e',
    include: ['packages/web/e2e/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['packages/web/e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
