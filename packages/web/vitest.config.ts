import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/** Component tests of the web UI (`npm test -w @contextpilot/web`). The root config runs the same files as project `web`. */
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['development'] },
  test: {
    name: 'web',
    root: import.meta.dirname,
    include: ['src/**/*.test.tsx'],
    environment: 'happy-dom',
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
