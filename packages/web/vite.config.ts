import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

/** Paths the API owns; in `npm run dev` they go to the server on :8000 (the built UI is served by the server). */
const API_PATHS = [
  '/contexts',
  '/stats',
  '/generate-prompt',
  '/ai',
  '/providers',
  '/settings',
  '/security',
  '/health',
  '/metrics',
  '/docs',
  '/openapi.json',
];

export default defineConfig({
  plugins: [react()],
  // `development` makes the workspace packages resolve to their TypeScript sources.
  resolve: { conditions: ['development', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // Keep every asset a file: the CSP allows no inline data for scripts and styles.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
  server: {
    port: 3000,
    proxy: Object.fromEntries(
      API_PATHS.map((path) => [path, { target: 'http://127.0.0.1:8000', changeOrigin: false }]),
    ),
  },
});
