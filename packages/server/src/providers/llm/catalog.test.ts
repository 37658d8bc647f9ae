import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { allowedModels, contextWindow, isAllowedModel } from './catalog.js';

const script = fileURLToPath(new URL('../../../../../scripts/check-model-catalog.mjs', import.meta.url));

describe('model catalog', () => {
  it('lists the v1 models in file order, as the original API listed them', () => {
    expect(allowedModels('openai')).toEqual([
      'gpt-5.2',
      'gpt-5',
      'gpt-5-turbo',
      'gpt-4o',
      'gpt-4o-mini',
      'gpt-4-turbo',
      'gpt-4',
      'gpt-3.5-turbo',
    ]);
    expect(allowedModels('anthropic')).toEqual([
      'claude-opus-4-5-20251101',
      'claude-sonnet-4-5-20250929',
      'claude-haiku-4-5-20251001',
      'claude-opus-4-5',
      'claude-sonnet-4-5',
      'claude-haiku-4-5',
    ]);
    expect(allowedModels('ollama')).toEqual(['llama3.2:latest']);
  });

  it('hands out copies, so a caller cannot change the catalog', () => {
    allowedModels('openai').push('gpt-9');
    expect(allowedModels('openai')).not.toContain('gpt-9');
  });

  it('allows only listed models for OpenAI and Anthropic, and any named model for Ollama', () => {
    expect(isAllowedModel('openai', 'gpt-4o')).toBe(true);
    expect(isAllowedModel('openai', 'gpt-4o-2024-08-06')).toBe(false);
    expect(isAllowedModel('openai', 'claude-haiku-4-5')).toBe(false);
    expect(isAllowedModel('anthropic', 'claude-haiku-4-5')).toBe(true);
    expect(isAllowedModel('anthropic', 'gpt-4o')).toBe(false);
    expect(isAllowedModel('ollama', 'mistral:7b')).toBe(true);
    expect(isAllowedModel('ollama', ' ')).toBe(false);
  });

  it.each([
    ['openai', 'gpt-4o', 128_000],
    ['openai', 'gpt-4o-mini', 128_000],
    ['openai', 'gpt-5.2', 128_000],
    ['openai', 'gpt-5-turbo', 128_000],
    ['openai', 'gpt-4-turbo', 128_000],
    ['openai', 'gpt-4', 8_192],
    ['openai', 'gpt-4-0613', 8_192],
    ['openai', 'gpt-3.5-turbo', 16_385],
    ['openai', 'o1', 200_000],
    ['openai', 'o1-mini', 128_000],
    ['openai', 'o3', 200_000],
    ['openai', 'o3-mini', 128_000],
    ['openai', 'davinci-002', 100_000],
    ['anthropic', 'claude-opus-4-5-20251101', 200_000],
    ['anthropic', 'claude-haiku-4-5', 200_000],
    ['ollama', 'llama3.2:latest', 4_096],
  ] as const)('gives %s %s a window of %i tokens', (provider, model, tokens) => {
    expect(contextWindow(provider, model)).toBe(tokens);
  });

  it('uses num_ctx as the Ollama window when it is set, and only for Ollama', () => {
    expect(contextWindow('ollama', 'llama3.2:latest', 8_192)).toBe(8_192);
    expect(contextWindow('ollama', 'llama3.2:latest', null)).toBe(4_096);
    expect(contextWindow('ollama', 'llama3.2:latest', 0)).toBe(4_096);
    expect(contextWindow('openai', 'gpt-4', 32_768)).toBe(8_192);
  });
});

describe('scripts/check-model-catalog.mjs', () => {
  it('accepts the shipped files', () => {
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(run.stdout).toContain('Model catalog is well-formed');
    expect(run.status).toBe(0);
  });

  it('exits 1 naming each problem of a broken catalog', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
    const catalog = join(dir, 'catalog.json');
    const windows = join(dir, 'windows.json');
    writeFileSync(catalog, JSON.stringify({ openai: ['gpt-4o', 'gpt-4o'], anthropic: [''], ollama: [] }));
    writeFileSync(
      windows,
      JSON.stringify({
        openai: { default: 0, models: { 'gpt-4o': 1.5 } },
        anthropic: {},
        ollama: { default: 4096, models: {} },
      }),
    );
    const run = spawnSync(process.execPath, [script, catalog, windows], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('openai lists "gpt-4o" twice');
    expect(run.stderr).toContain('anthropic[0] must be a non-empty string');
    expect(run.stderr).toContain('"ollama" must be a non-empty array');
    expect(run.stderr).toContain('openai.default must be a positive integer');
    expect(run.stderr).toContain('openai.models["gpt-4o"] must be a positive integer');
    expect(run.stderr).toContain('anthropic.default must be a positive integer');
  });
});
