import { defineConfig } from 'vitest/config';

// One runner for every package. Projects: unit (pure code beside the source), api (the app over HTTP with real
// SQLite and the real embedding model), pg (PostgreSQL and Redis on 127.0.0.1).
export default defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'packages/server/eval/**/*.test.ts',
            'packages/server/bench/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'web',
          include: ['packages/web/src/**/*.test.tsx'],
          environment: 'happy-dom',
          setupFiles: ['packages/web/src/test/setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['packages/web/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['packages/web/e2e/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'api',
          include: ['packages/server/test/**/*.test.ts'],
          exclude: ['packages/server/test/pg/**'],
          environment: 'node',
          globalSetup: ['packages/server/test/build-cli.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'pg',
          include: ['packages/server/test/pg/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
