import { describe, expect, it } from 'vitest';

import {
  AI_PROVIDERS,
  AI_SETTINGS,
  type AiSetting,
  type AiSettingValues,
  flattenAiSettings,
  groupAiSettings,
  isShown,
} from './ai-settings.js';
import { SettingsResponse, SettingsUpdate } from './settings.js';

const accepts = (body: Record<string, unknown>) => SettingsUpdate.safeParse(body).success;

/** The table's defaults, by wire key. */
const defaults = Object.fromEntries(AI_SETTINGS.map((row) => [row.key, row.default])) as AiSettingValues;

describe('the AI settings table', () => {
  it('names each setting, variable and server field once', () => {
    const keys = AI_SETTINGS.map((row) => row.key);
    const flags = AI_SETTINGS.flatMap((row) => ('presence' in row ? [row.presence] : []));
    expect(new Set([...keys, ...flags]).size).toBe(keys.length + flags.length);
    expect(new Set(AI_SETTINGS.map((row) => row.env)).size).toBe(AI_SETTINGS.length);
    const names = AI_SETTINGS.map((row) => `${row.provider ?? ''}.${row.name}`);
    expect(new Set(names).size).toBe(AI_SETTINGS.length);
    for (const row of AI_SETTINGS) {
      expect(row.env, row.key).toMatch(/^CONTEXTPILOT_[A-Z0-9_]+$/);
    }
  });

  it('binds every provider key to a URL setting of the same provider, and never shows a key', () => {
    const secrets = AI_SETTINGS.filter((row) => row.kind === 'secret');
    expect(secrets.map((row) => row.key)).toEqual(['openai_api_key', 'anthropic_api_key']);
    for (const row of secrets) {
      const endpoint = AI_SETTINGS.find((other) => other.key === row.endpoint);
      expect(endpoint, row.key).toMatchObject({ kind: 'url', provider: row.provider });
      expect(isShown(row)).toBe(false);
    }
  });

  it('has defaults inside their own limits', () => {
    for (const row of AI_SETTINGS) {
      if (row.kind === 'number' || row.kind === 'integer') {
        if (row.default !== null) {
          expect(row.default, row.key).toBeGreaterThanOrEqual(row.min);
          expect(row.default, row.key).toBeLessThanOrEqual(row.max);
        }
      } else if (row.kind === 'provider') {
        expect(AI_PROVIDERS, row.key).toContain(row.default);
      } else {
        expect(row.default.length, row.key).toBeLessThanOrEqual(row.maxLength);
      }
    }
  });

  it('groups values by provider under their names, and back', () => {
    const grouped = groupAiSettings(defaults);
    expect(grouped.ollama.baseUrl).toBe('http://localhost:11434');
    expect(grouped.defaultModel).toBe('gpt-4o');
    expect(grouped.openai.temperature).toBeNull();
    for (const row of AI_SETTINGS) {
      const group = (row.provider === null ? grouped : grouped[row.provider]) as Record<string, unknown>;
      expect(group[row.name], row.key).toBe(row.default);
    }
    expect(flattenAiSettings(grouped)).toEqual(defaults);
    expect(Object.keys(flattenAiSettings(grouped))).toEqual(AI_SETTINGS.map((row) => row.key));
  });
});

describe('POST /settings schema, derived from the table', () => {
  it('has one optional, nullable field per setting, in table order, and no other', () => {
    expect(Object.keys(SettingsUpdate.shape)).toEqual(AI_SETTINGS.map((row) => row.key));
    expect(accepts({})).toBe(true);
    expect(accepts(Object.fromEntries(AI_SETTINGS.map((row) => [row.key, null])))).toBe(true);
    expect(accepts({ openai_api_key_set: true })).toBe(false);
  });

  it.each(AI_SETTINGS.map((row): [string, AiSetting] => [row.key, row]))('%s takes its type and limits', (key, row) => {
    switch (row.kind) {
      case 'number':
      case 'integer':
        expect(accepts({ [key]: row.min })).toBe(true);
        expect(accepts({ [key]: row.max })).toBe(true);
        expect(accepts({ [key]: row.min - 0.5 })).toBe(false);
        expect(accepts({ [key]: row.max + 0.5 })).toBe(false);
        expect(accepts({ [key]: (row.min + row.max) / 2 + 0.25 })).toBe(row.kind === 'number');
        expect(accepts({ [key]: String(row.max) })).toBe(false);
        break;
      case 'provider':
        for (const provider of AI_PROVIDERS) {
          expect(accepts({ [key]: provider })).toBe(true);
        }
        expect(accepts({ [key]: 'gemini' })).toBe(false);
        break;
      default:
        expect(accepts({ [key]: row.kind === 'url' ? `http://h/${'a'.repeat(row.maxLength - 9)}` : 'a' })).toBe(true);
        expect(accepts({ [key]: 'a'.repeat(row.maxLength + 1) })).toBe(false);
        expect(accepts({ [key]: 42 })).toBe(false);
        expect(accepts({ [key]: 'ftp://example.com' })).toBe(row.kind !== 'url');
    }
  });
});

describe('GET /settings schema, derived from the table', () => {
  it("lists each setting's presence flag, then its value unless it is a key or not shown, in table order", () => {
    const expected = AI_SETTINGS.flatMap((row) => [
      ...('presence' in row ? [row.presence] : []),
      ...(isShown(row) ? [row.key] : []),
    ]);
    expect(Object.keys(SettingsResponse.shape)).toEqual(expected);
    expect(expected.filter((key) => key.endsWith('_api_key'))).toEqual([]);
  });

  it('allows null exactly for the numbers that have no default', () => {
    const full = Object.fromEntries(
      AI_SETTINGS.flatMap((row) => [
        ...('presence' in row ? [[row.presence, true]] : []),
        ...(isShown(row) ? [[row.key, row.default]] : []),
      ]),
    );
    expect(SettingsResponse.parse(full)).toEqual(full);
    for (const row of AI_SETTINGS.filter(isShown)) {
      const nullable = (row.kind === 'number' || row.kind === 'integer') && row.default === null;
      expect(SettingsResponse.safeParse({ ...full, [row.key]: null }).success, row.key).toBe(nullable);
    }
  });
});
