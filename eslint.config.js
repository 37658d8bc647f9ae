// @ts-check
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/**
 * Import boundaries between the server's layers: each folder may import only what is below it (see the README).
 * @param {{ group: string[]; message: string }[]} patterns
 * @returns {import('eslint').Linter.RulesRecord}
 */
const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/*-wasm.ts',
      '**/scratch/**',
      'coverage/**',
      'eval-results/**',
      'bench-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.eslint.json', './packages/web/tsconfig.json', './packages/web/e2e/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
      'no-console': 'error',
    },
  },
  {
    // The rules of hooks, and effects that list what they read.
    files: ['packages/web/src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    files: ['packages/server/src/domain/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrict([
      {
        group: ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https', 'node:child_process'],
        message: 'domain/ is pure: no I/O',
      },
      {
        group: ['**/storage/**', '**/services/**', '**/http/**', '**/providers/**', 'fastify'],
        message: 'domain/ imports nothing above it',
      },
    ]),
  },
  {
    files: ['packages/server/src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', '**/http/**', '**/storage/sqlite/**', '**/storage/postgres/**'],
              message: 'services use storage/provider interfaces, not Fastify or drivers',
            },
          ],
          // The settings table (`@contextpilot/contract/ai-settings`) is data every layer shares; the wire schemas
          // and types are for routes and presenters.
          paths: [
            {
              name: '@contextpilot/contract',
              message: 'services return domain objects; http/present builds the wire shapes',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/server/src/http/routes/**/*.ts'],
    rules: restrict([{ group: ['**/storage/**', '**/providers/**'], message: 'routes call services only' }]),
  },
  {
    files: ['packages/server/src/storage/**/*.ts', 'packages/server/src/providers/**/*.ts'],
    rules: restrict([
      { group: ['**/services/**', '**/http/**'], message: 'storage and providers never import services or http' },
    ]),
  },
  {
    files: ['packages/contract/src/**/*.ts', 'packages/client/src/**/*.ts', 'packages/mcp/src/**/*.ts'],
    // Paths into the server package; the MCP SDK's own `…/server/…` modules are fine.
    rules: restrict([
      {
        group: ['@contextpilot/server', '@contextpilot/server/**', '../server/**', '../../server/**'],
        message: 'nothing imports the server',
      },
    ]),
  },
  {
    // Plain JavaScript scripts are not type-checked.
    ...tseslint.configs.disableTypeChecked,
    files: ['**/*.mjs', '**/*.js'],
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
      },
    },
  },
  {
    files: ['scripts/**', '**/eval/**', '**/bench/**', '**/*.test.ts', '**/test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.test.ts', '**/test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
