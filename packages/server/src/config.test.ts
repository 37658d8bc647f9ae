import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AI_SETTINGS, type AiSetting } from '@contextpilot/contract';

import { type Config, CONFIG_VARIABLES, ConfigError, loadConfig } from './config.js';

/** Runs `fn` and returns the ConfigError it throws (fails the test if it throws nothing or something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('loadConfig: defaults', () => {
  const config = loadConfig({});

  it('binds to port 8000 on loopback', () => {
    expect(config.port).toBe(8000);
    expect(config.host).toBe('127.0.0.1');
  });

  it('stores data in SQLite at ./data/contextpilot.db', () => {
    expect(config.database).toEqual({ kind: 'sqlite', path: './data/contextpilot.db' });
  });

  it('uses the v1 limits 10000 / 20 / 20 / 50', () => {
    expect(config.limits.maxContentLength).toBe(10_000);
    expect(config.limits.maxContextsPerRequest).toBe(20);
    expect(config.limits.maxTagCount).toBe(20);
    expect(config.limits.maxTagLength).toBe(50);
  });

  it('has authentication and request signing off', () => {
    expect(config.security.enableAuth).toBe(false);
    expect(config.security.enableRequestSigning).toBe(false);
    expect(config.security.requestSigningMaxAgeSeconds).toBe(300);
    expect(config.security.requestSigningMethods).toEqual(['POST', 'PUT', 'DELETE']);
  });

  it('allows http://localhost:3000 for CORS and never *', () => {
    expect(config.cors.origins).toContain('http://localhost:3000');
    expect(config.cors.origins).not.toContain('*');
  });

  it('uses the v1 AI and embedding defaults', () => {
    expect(config.ai.defaultProvider).toBe('openai');
    expect(config.ai.defaultModel).toBe('gpt-4o');
    expect(config.ai.maxTokens).toBe(2000);
    expect(config.ai.temperature).toBe(0.7);
    expect(config.ai.ollama.baseUrl).toBe('http://localhost:11434');
    expect(config.ai.openai.temperature).toBeNull();
    expect(config.embedding.provider).toBe('use-lite');
    expect(config.log).toEqual({ level: 'info', format: 'json' });
    expect(config.isProduction).toBe(false);
  });

  it('returns a deeply frozen object', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
    expect(Object.isFrozen(config.cors.origins)).toBe(true);
    expect(Object.isFrozen(config.ai.openai)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      config.cors.origins.push('*');
    }).toThrow(TypeError);
    expect(config.port).toBe(8000);
  });
});

describe('loadConfig: key hash and proxy hops', () => {
  it('refuses a key hash that is not 64 hexadecimal characters', () => {
    expect(() => loadConfig({ CONTEXTPILOT_API_KEY_HASH: 'abc' })).toThrow(/^CONTEXTPILOT_API_KEY_HASH/);
  });

  it('reads a number as the count of trusted proxy hops', () => {
    expect(loadConfig({ CONTEXTPILOT_TRUST_PROXY: '2' }).security.trustProxy).toBe(2);
  });
});

describe('loadConfig: values from the environment', () => {
  it('reads numbers, strings and limits', () => {
    const config = loadConfig({
      CONTEXTPILOT_PORT: '9001',
      CONTEXTPILOT_HOST: ' 0.0.0.0 ',
      CONTEXTPILOT_MAX_CONTENT_LENGTH: '500',
      CONTEXTPILOT_MAX_TAG_COUNT: '3',
      CONTEXTPILOT_AI_TEMPERATURE: '1.5',
      CONTEXTPILOT_OPENAI_MAX_TOKENS: '256',
      CONTEXTPILOT_API_KEY_HASH: 'ABCDEF'.repeat(10) + 'ABCD',
    });
    expect(config.port).toBe(9001);
    expect(config.host).toBe('0.0.0.0');
    expect(config.limits.maxContentLength).toBe(500);
    expect(config.limits.maxTagCount).toBe(3);
    expect(config.ai.temperature).toBe(1.5);
    expect(config.ai.openai.maxTokens).toBe(256);
    expect(config.security.apiKeyHash).toBe('abcdef'.repeat(10) + 'abcd');
  });

  it('treats an empty value as unset', () => {
    const config = loadConfig({ CONTEXTPILOT_PORT: '', CONTEXTPILOT_ENABLE_AUTH: '  ', CONTEXTPILOT_CORS_ORIGINS: '' });
    expect(config.port).toBe(8000);
    expect(config.security.enableAuth).toBe(false);
    expect(config.cors.origins).toEqual(['http://localhost:3000']);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['1', true],
    ['0', false],
    ['yes', true],
    ['no', false],
    ['on', true],
    ['off', false],
    ['t', true],
    ['f', false],
    ['y', true],
    ['n', false],
    ['TRUE', true],
    ['False', false],
    ['YeS', true],
    ['NO', false],
    ['On', true],
    ['OFF', false],
    ['T', true],
    ['F', false],
    ['Y', true],
    ['N', false],
    [' true ', true],
  ])('reads the boolean %j as %s', (value, expected) => {
    const config = loadConfig({ CONTEXTPILOT_ENABLE_AUTH: value, CONTEXTPILOT_ENABLE_METRICS: value });
    expect(config.security.enableAuth).toBe(expected);
    expect(config.enableMetrics).toBe(expected);
  });

  it('reads JSON lists', () => {
    const config = loadConfig({
      CONTEXTPILOT_CORS_ORIGINS: '["https://a.example","https://b.example"]',
      CONTEXTPILOT_REQUEST_SIGNING_METHODS: '["post","patch"]',
      CONTEXTPILOT_CORS_ALLOW_HEADERS: '[]',
    });
    expect(config.cors.origins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.security.requestSigningMethods).toEqual(['POST', 'PATCH']);
    expect(config.cors.allowHeaders).toEqual([]);
  });

  it('accepts lower-case and mixed-case variable names', () => {
    const config = loadConfig({
      contextpilot_port: '7000',
      ContextPilot_Enable_Auth: 'yes',
      contextpilot_cors_origins: '["http://x.test"]',
    });
    expect(config.port).toBe(7000);
    expect(config.security.enableAuth).toBe(true);
    expect(config.cors.origins).toEqual(['http://x.test']);
  });

  it('ignores unrelated variables', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root', OTHER_PORT: 'x' }).port).toBe(8000);
  });

  it('reads NODE_ENV=production', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).isProduction).toBe(true);
  });

  it('maps the v1 log level names warning and critical', () => {
    expect(loadConfig({ CONTEXTPILOT_LOG_LEVEL: 'WARNING' }).log.level).toBe('warn');
    expect(loadConfig({ CONTEXTPILOT_LOG_LEVEL: 'critical' }).log.level).toBe('fatal');
    expect(loadConfig({ CONTEXTPILOT_LOG_LEVEL: 'debug', CONTEXTPILOT_LOG_FORMAT: 'TEXT' }).log).toEqual({
      level: 'debug',
      format: 'text',
    });
  });

  it('converts timeouts to milliseconds', () => {
    const config = loadConfig({ CONTEXTPILOT_EMBEDDING_TIMEOUT_SECONDS: '5', CONTEXTPILOT_AI_TIMEOUT_SECONDS: '30' });
    expect(config.embedding.timeoutMs).toBe(5_000);
    expect(config.ai.timeoutMs).toBe(30_000);
  });

  it('bounds Redis commands to one second unless told otherwise, and never to less than 50 ms', () => {
    expect(loadConfig({}).security.redisTimeoutMs).toBe(1000);
    expect(loadConfig({ CONTEXTPILOT_REDIS_TIMEOUT_MS: '250' }).security.redisTimeoutMs).toBe(250);
    expect(() => loadConfig({ CONTEXTPILOT_REDIS_TIMEOUT_MS: '0' })).toThrow(/CONTEXTPILOT_REDIS_TIMEOUT_MS/);
  });

  it('reads CONTEXTPILOT_TRUST_PROXY as a boolean, a comma list or a JSON list', () => {
    expect(loadConfig({}).security.trustProxy).toBe(false);
    expect(loadConfig({ CONTEXTPILOT_TRUST_PROXY: 'true' }).security.trustProxy).toBe(true);
    expect(loadConfig({ CONTEXTPILOT_TRUST_PROXY: '10.0.0.1, 10.0.0.0/8' }).security.trustProxy).toEqual([
      '10.0.0.1',
      '10.0.0.0/8',
    ]);
    expect(loadConfig({ CONTEXTPILOT_TRUST_PROXY: '["127.0.0.1"]' }).security.trustProxy).toEqual(['127.0.0.1']);
  });

  it('requires a model for the ollama and openai-compatible embedding providers only', () => {
    expect(
      loadConfig({ CONTEXTPILOT_EMBEDDING_PROVIDER: 'Ollama', CONTEXTPILOT_EMBEDDING_MODEL: 'nomic-embed-text' })
        .embedding,
    ).toMatchObject({
      provider: 'ollama',
      model: 'nomic-embed-text',
    });
    expect(loadConfig({ CONTEXTPILOT_EMBEDDING_PROVIDER: 'use-lite' }).embedding.model).toBe('');
  });

  it('lists every recognised variable', () => {
    expect(CONFIG_VARIABLES).toContain('CONTEXTPILOT_PORT');
    expect(CONFIG_VARIABLES).toContain('CONTEXTPILOT_DATABASE_URL');
    expect(CONFIG_VARIABLES.every((name) => name === 'NODE_ENV' || name.startsWith('CONTEXTPILOT_'))).toBe(true);
  });
});

describe('loadConfig: the AI settings table', () => {
  /** Where the server keeps a setting: `config.ai[provider][name]`, or `config.ai[name]` when general. */
  function valueOf(config: Config, row: AiSetting): unknown {
    const ai = config.ai as unknown as Record<string, unknown>;
    const group = row.provider === null ? ai : (ai[row.provider] as Record<string, unknown>);
    return group[row.name];
  }

  /** A value for the variable other than the default, and what it reads as. */
  function sample(row: AiSetting): [string, unknown] {
    switch (row.kind) {
      case 'number':
        return [` ${(row.min + row.max) / 2} `, (row.min + row.max) / 2];
      case 'integer':
        return [String(Math.floor((row.min + row.max) / 2)), Math.floor((row.min + row.max) / 2)];
      case 'provider':
        return [' Anthropic ', 'anthropic'];
      default:
        return [' http://sample.test:1234 ', 'http://sample.test:1234'];
    }
  }

  it.each(AI_SETTINGS.map((row): [string, AiSetting] => [row.env, row]))(
    'reads %s into the AI settings, with the default of the table',
    (variable, row) => {
      expect(CONFIG_VARIABLES).toContain(variable);
      expect(valueOf(loadConfig({}), row)).toBe(row.default);
      const [raw, value] = sample(row);
      expect(valueOf(loadConfig({ [variable]: raw }), row)).toBe(value);
    },
  );

  it.each(
    AI_SETTINGS.filter((row) => row.kind === 'number' || row.kind === 'integer').map((row): [string, AiSetting] => [
      row.env,
      row,
    ]),
  )('refuses %s outside the limits of the table', (variable, row) => {
    if (row.kind !== 'number' && row.kind !== 'integer') {
      throw new Error(`${variable} is not a number`);
    }
    for (const bad of [String(row.min - 1), String(row.max + 1), 'many']) {
      expect(configError(() => loadConfig({ [variable]: bad })).message, bad).toMatch(new RegExp(`^${variable}: `));
    }
    expect(valueOf(loadConfig({ [variable]: String(row.max) }), row)).toBe(row.max);
  });
});

describe('loadConfig: CONTEXTPILOT_ALLOWED_HOSTS', () => {
  const allowed = (env: Record<string, string>) => loadConfig(env).security.allowedHosts;

  it('checks the Host when listening on a loopback address (loopback names only by default)', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) {
      expect(allowed({ CONTEXTPILOT_HOST: host }), host).toEqual([]);
    }
    expect(allowed({})).toEqual([]);
    expect(allowed({ CONTEXTPILOT_ALLOWED_HOSTS: '["notes.example.com",".example.org"]' })).toEqual([
      'notes.example.com',
      '.example.org',
    ]);
  });

  it('accepts any Host on a non-loopback address unless names are configured', () => {
    expect(allowed({ CONTEXTPILOT_HOST: '0.0.0.0' })).toBeNull();
    expect(allowed({ CONTEXTPILOT_HOST: '0.0.0.0', CONTEXTPILOT_ALLOWED_HOSTS: '["notes.example.com"]' })).toEqual([
      'notes.example.com',
    ]);
  });

  it('"*" accepts any Host, even on loopback', () => {
    expect(allowed({ CONTEXTPILOT_ALLOWED_HOSTS: '["*"]' })).toBeNull();
  });

  it.each(['["https://notes.example.com"]', '["notes.example.com:8443"]', '["a b"]', '[""]', 'notes.example.com'])(
    'refuses %s with a ConfigError naming the variable',
    (value) => {
      expect(configError(() => loadConfig({ CONTEXTPILOT_ALLOWED_HOSTS: value })).message).toMatch(
        /^CONTEXTPILOT_ALLOWED_HOSTS: /,
      );
    },
  );
});

describe('loadConfig: CONTEXTPILOT_DATABASE_URL', () => {
  it.each([
    ['sqlite:/tmp/x.db', { kind: 'sqlite', path: '/tmp/x.db' }],
    ['sqlite:///./rel.db', { kind: 'sqlite', path: './rel.db' }],
    ['sqlite:./data/other.db', { kind: 'sqlite', path: './data/other.db' }],
    ['postgres://u@h/db', { kind: 'postgres', url: 'postgres://u@h/db' }],
    ['postgresql://u:p@h:5432/db', { kind: 'postgres', url: 'postgresql://u:p@h:5432/db' }],
    ['memory', { kind: 'memory' }],
    ['memory:', { kind: 'memory' }],
  ])('reads %j', (url, expected) => {
    expect(loadConfig({ CONTEXTPILOT_DATABASE_URL: url }).database).toEqual(expected);
  });

  it('uses memory when CONTEXTPILOT_USE_DATABASE=false and no URL is set', () => {
    expect(loadConfig({ CONTEXTPILOT_USE_DATABASE: 'false' }).database).toEqual({ kind: 'memory' });
    expect(loadConfig({ CONTEXTPILOT_USE_DATABASE: 'true' }).database).toEqual({
      kind: 'sqlite',
      path: './data/contextpilot.db',
    });
  });
});

describe('loadConfig: invalid values throw a ConfigError naming the variable', () => {
  it.each([
    ['a port that is not a number', { CONTEXTPILOT_PORT: 'http' }, 'CONTEXTPILOT_PORT'],
    ['a port out of range', { CONTEXTPILOT_PORT: '70000' }, 'CONTEXTPILOT_PORT'],
    ['a negative port', { CONTEXTPILOT_PORT: '-1' }, 'CONTEXTPILOT_PORT'],
    ['a fractional port', { CONTEXTPILOT_PORT: '80.5' }, 'CONTEXTPILOT_PORT'],
    ['a bad boolean', { CONTEXTPILOT_ENABLE_AUTH: 'maybe' }, 'CONTEXTPILOT_ENABLE_AUTH'],
    [
      'a bad boolean given with a lower-case name',
      { contextpilot_enable_request_signing: 'enabled' },
      'CONTEXTPILOT_ENABLE_REQUEST_SIGNING',
    ],
    ['an invalid JSON list', { CONTEXTPILOT_CORS_ORIGINS: 'http://a,http://b' }, 'CONTEXTPILOT_CORS_ORIGINS'],
    ['a JSON value that is not a list', { CONTEXTPILOT_CORS_ORIGINS: '"http://a"' }, 'CONTEXTPILOT_CORS_ORIGINS'],
    [
      'a JSON list of non-strings',
      { CONTEXTPILOT_REQUEST_SIGNING_METHODS: '[1,2]' },
      'CONTEXTPILOT_REQUEST_SIGNING_METHODS',
    ],
    [
      'an unknown embedding provider',
      { CONTEXTPILOT_EMBEDDING_PROVIDER: 'word2vec' },
      'CONTEXTPILOT_EMBEDDING_PROVIDER',
    ],
    ['provider ollama without a model', { CONTEXTPILOT_EMBEDDING_PROVIDER: 'ollama' }, 'CONTEXTPILOT_EMBEDDING_MODEL'],
    [
      'provider openai-compatible without a model',
      { CONTEXTPILOT_EMBEDDING_PROVIDER: 'openai-compatible' },
      'CONTEXTPILOT_EMBEDDING_MODEL',
    ],
    ['an unknown database URL scheme', { CONTEXTPILOT_DATABASE_URL: 'mysql://u@h/db' }, 'CONTEXTPILOT_DATABASE_URL'],
    ['an empty sqlite path', { CONTEXTPILOT_DATABASE_URL: 'sqlite:' }, 'CONTEXTPILOT_DATABASE_URL'],
    ['an unknown log level', { CONTEXTPILOT_LOG_LEVEL: 'verbose' }, 'CONTEXTPILOT_LOG_LEVEL'],
    ['an unknown AI provider', { CONTEXTPILOT_DEFAULT_AI_PROVIDER: 'gemini' }, 'CONTEXTPILOT_DEFAULT_AI_PROVIDER'],
    ['a temperature out of range', { CONTEXTPILOT_AI_TEMPERATURE: '3' }, 'CONTEXTPILOT_AI_TEMPERATURE'],
    ['a non-numeric optional number', { CONTEXTPILOT_OPENAI_TOP_P: 'high' }, 'CONTEXTPILOT_OPENAI_TOP_P'],
    ['a non-integer token count', { CONTEXTPILOT_OPENAI_MAX_TOKENS: '10.5' }, 'CONTEXTPILOT_OPENAI_MAX_TOKENS'],
    ['a zero content limit', { CONTEXTPILOT_MAX_CONTENT_LENGTH: '0' }, 'CONTEXTPILOT_MAX_CONTENT_LENGTH'],
    ['an invalid JSON trust-proxy list', { CONTEXTPILOT_TRUST_PROXY: '["a",' }, 'CONTEXTPILOT_TRUST_PROXY'],
  ])('rejects %s', (_name, env, variable) => {
    const error = configError(() => loadConfig(env));
    expect(error.name).toBe('ConfigError');
    expect(error.message.startsWith(`${variable}:`)).toBe(true);
  });

  it('names the provider in the missing-model message', () => {
    expect(configError(() => loadConfig({ CONTEXTPILOT_EMBEDDING_PROVIDER: 'ollama' })).message).toBe(
      'CONTEXTPILOT_EMBEDDING_MODEL: required when CONTEXTPILOT_EMBEDDING_PROVIDER is ollama',
    );
  });

  it('does not echo the password of an unsupported database URL', () => {
    const error = configError(() => loadConfig({ CONTEXTPILOT_DATABASE_URL: 'mysql://admin:s3cret@db.example/app' }));
    expect(error.message).not.toContain('s3cret');
    expect(error.message).toContain('mysql://***@db.example/app');
  });

  it('accepts any integer port in 0–65535 and rejects any integer outside it', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 200_000 }), (port) => {
        const env = { CONTEXTPILOT_PORT: String(port) };
        if (port >= 0 && port <= 65_535) {
          expect(loadConfig(env).port).toBe(port);
        } else {
          expect(configError(() => loadConfig(env)).message).toMatch(/^CONTEXTPILOT_PORT:/);
        }
      }),
    );
  });

  it('accepts only the documented boolean spellings', () => {
    const known = new Set(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', 't', 'f', 'y', 'n']);
    fc.assert(
      fc.property(fc.string({ maxLength: 6 }), (value) => {
        const normalized = value.trim().toLowerCase();
        let result: boolean | ConfigError;
        try {
          result = loadConfig({ CONTEXTPILOT_ENABLE_AUTH: value }).security.enableAuth;
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          result = error as ConfigError;
        }
        if (normalized === '') {
          expect(result).toBe(false);
        } else if (known.has(normalized)) {
          expect(typeof result).toBe('boolean');
        } else {
          expect(result).toBeInstanceOf(ConfigError);
          expect((result as ConfigError).message).toMatch(/^CONTEXTPILOT_ENABLE_AUTH:/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
