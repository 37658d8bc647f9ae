import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';

import { z } from 'zod';

import {
  AI_PROVIDERS,
  AI_SETTINGS,
  type AiSetting,
  type AiSettingValue,
  type AiSettingValues,
  type AiSettingVariable,
  DEFAULT_LIMITS,
  groupAiSettings,
} from '@contextpilot/contract';

import { isLoopbackAddress, parseHostPattern } from './domain/hosts.js';
import { DEFAULT_MAX_REPLY_BYTES } from './providers/llm/llm.js';

/** Invalid configuration; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const TRUE = ['true', '1', 'yes', 'on', 't', 'y'];
const FALSE = ['false', '0', 'no', 'off', 'f', 'n'];

/** A boolean that may be left unset (null). */
const optionalBool = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') {
        return null;
      }
      const s = v.trim().toLowerCase();
      if (TRUE.includes(s)) {
        return true;
      }
      if (FALSE.includes(s)) {
        return false;
      }
      ctx.addIssue({ code: 'custom', message: `must be a boolean (true/false/1/0/yes/no/on/off), got "${v}"` });
      return z.NEVER;
    });

const bool = (fallback: boolean) => optionalBool().transform((v) => v ?? fallback);

const int = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') {
        return fallback;
      }
      if (!/^-?\d+$/.test(v.trim())) {
        ctx.addIssue({ code: 'custom', message: `must be an integer, got "${v}"` });
        return z.NEVER;
      }
      const n = Number(v.trim());
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be between ${min} and ${max}, got ${n}` });
        return z.NEVER;
      }
      return n;
    });

const optionalNumber = (min: number, max: number, integer = false) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') {
        return null;
      }
      const n = Number(v.trim());
      if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
        ctx.addIssue({
          code: 'custom',
          message: `must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got "${v}"`,
        });
        return z.NEVER;
      }
      return n;
    });

const number = (fallback: number, min: number, max: number) => optionalNumber(min, max).transform((v) => v ?? fallback);

const str = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined ? fallback : v.trim()));

const jsonList = (fallback: string[]) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') {
        return fallback;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: `must be a JSON array of strings, e.g. ["a","b"], got ${JSON.stringify(v)}`,
        });
        return z.NEVER;
      }
      if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of strings' });
        return z.NEVER;
      }
      return parsed;
    });

const oneOf = <T extends string>(values: readonly T[], fallback: T) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') {
        return fallback;
      }
      const s = v.trim().toLowerCase() as T;
      if (!values.includes(s)) {
        ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}, got "${v}"` });
        return z.NEVER;
      }
      return s;
    });

/** The variable of an AI setting, read as the settings table says (kind, range, default). */
function aiSettingVariable(row: AiSetting): z.ZodType<AiSettingValue, string | undefined> {
  switch (row.kind) {
    case 'number':
    case 'integer':
      if (row.default === null) {
        return optionalNumber(row.min, row.max, row.kind === 'integer');
      }
      return row.kind === 'integer' ? int(row.default, row.min, row.max) : number(row.default, row.min, row.max);
    case 'provider':
      return oneOf(AI_PROVIDERS, row.default);
    default:
      return str(row.default);
  }
}

const AI_SETTING_VARIABLES = Object.fromEntries(AI_SETTINGS.map((row) => [row.env, aiSettingVariable(row)])) as Record<
  AiSettingVariable,
  z.ZodType<AiSettingValue, string | undefined>
>;

/** Every CONTEXTPILOT_* variable, its type and its default. The README documents each one. */
const EnvSchema = z.object({
  NODE_ENV: str('development'),
  CONTEXTPILOT_HOST: str('127.0.0.1'),
  CONTEXTPILOT_PORT: int(8000, 0, 65535),
  CONTEXTPILOT_DATABASE_URL: str(''),
  CONTEXTPILOT_WEB_DIR: str(''),
  CONTEXTPILOT_USE_DATABASE: bool(true),
  CONTEXTPILOT_LOG_LEVEL: oneOf(
    ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'fatal', 'silent'],
    'info',
  ),
  CONTEXTPILOT_LOG_FORMAT: oneOf(['json', 'text'], 'json'),
  CONTEXTPILOT_ENABLE_METRICS: bool(true),
  CONTEXTPILOT_CORS_ORIGINS: jsonList(['http://localhost:3000']),
  CONTEXTPILOT_CORS_ALLOW_CREDENTIALS: bool(true),
  CONTEXTPILOT_CORS_ALLOW_METHODS: jsonList(['*']),
  CONTEXTPILOT_CORS_ALLOW_HEADERS: jsonList(['*']),
  CONTEXTPILOT_ALLOWED_HOSTS: jsonList([]),
  CONTEXTPILOT_MAX_CONTENT_LENGTH: int(DEFAULT_LIMITS.maxContentLength, 1, 1_000_000),
  CONTEXTPILOT_MAX_CONTEXTS_PER_REQUEST: int(DEFAULT_LIMITS.maxContextsPerRequest, 1, 1000),
  CONTEXTPILOT_MAX_TAG_COUNT: int(DEFAULT_LIMITS.maxTagCount, 0, 1000),
  CONTEXTPILOT_MAX_TAG_LENGTH: int(DEFAULT_LIMITS.maxTagLength, 1, 1000),
  CONTEXTPILOT_MAX_BODY_BYTES: int(256 * 1024, 1024, 100 * 1024 * 1024),
  CONTEXTPILOT_MAX_IMPORT_BYTES: int(20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  CONTEXTPILOT_MAX_IMPORT_ITEMS: int(100_000, 1, 10_000_000),
  CONTEXTPILOT_EMBEDDING_PROVIDER: oneOf(['use-lite', 'ollama', 'openai-compatible'], 'use-lite'),
  CONTEXTPILOT_EMBEDDING_MODEL: str(''),
  CONTEXTPILOT_EMBEDDING_BASE_URL: str(''),
  CONTEXTPILOT_EMBEDDING_API_KEY: str(''),
  CONTEXTPILOT_EMBEDDING_DIMENSIONS: optionalNumber(1, 100_000, true),
  CONTEXTPILOT_EMBEDDING_WORKERS: int(2, 1, 16),
  CONTEXTPILOT_EMBEDDING_TIMEOUT_SECONDS: int(60, 1, 3600),
  CONTEXTPILOT_EMBEDDING_MAX_CHUNKS: int(20, 1, 1000),
  CONTEXTPILOT_ENABLE_AUTH: bool(false),
  CONTEXTPILOT_API_KEY: str(''),
  CONTEXTPILOT_API_KEY_HASH: str(''),
  CONTEXTPILOT_API_KEY_ROTATION_BYTES: int(32, 16, 1024),
  CONTEXTPILOT_ALLOW_UNAUTHENTICATED: bool(false),
  CONTEXTPILOT_ENABLE_REQUEST_SIGNING: bool(false),
  CONTEXTPILOT_REQUEST_SIGNING_SECRET: str(''),
  CONTEXTPILOT_REQUEST_SIGNING_MAX_AGE_SECONDS: int(300, 1, 86_400),
  CONTEXTPILOT_REQUEST_SIGNING_METHODS: jsonList(['POST', 'PUT', 'DELETE']),
  CONTEXTPILOT_ENABLE_SECURITY_HEADERS: bool(true),
  CONTEXTPILOT_HSTS_MAX_AGE_SECONDS: int(31_536_000, 0, 1_000_000_000),
  CONTEXTPILOT_TRUST_PROXY: str(''),
  CONTEXTPILOT_REDIS_URL: str(''),
  CONTEXTPILOT_REDIS_KEY_PREFIX: str('contextpilot:'),
  CONTEXTPILOT_REDIS_TIMEOUT_MS: int(1000, 50, 60_000),
  CONTEXTPILOT_AUTH_FAILURE_LIMIT: int(20, 1, 1_000_000),
  CONTEXTPILOT_RATE_LIMIT_ENABLED: bool(true),
  CONTEXTPILOT_AUTH_FAILURE_WINDOW_SECONDS: int(600, 1, 86_400),
  CONTEXTPILOT_SECURITY_EVENT_RETENTION_DAYS: int(90, 1, 36_500),
  CONTEXTPILOT_SECURITY_EVENT_AGGREGATE_SECONDS: int(60, 0, 3_600),
  CONTEXTPILOT_ENCRYPTION_KEY: str(''),
  // Unset: on unless request signing is on (MCP clients cannot sign; see buildConfig).
  CONTEXTPILOT_MCP_ENABLED: optionalBool(),
  CONTEXTPILOT_MCP_MAX_SESSIONS: int(100, 1, 100_000),
  CONTEXTPILOT_MCP_SESSION_IDLE_SECONDS: int(1800, 10, 7 * 86_400),
  // The AI settings that POST /settings can override: from the settings table (contract, ai-settings.ts).
  ...AI_SETTING_VARIABLES,
  CONTEXTPILOT_OLLAMA_AUTO_PULL: bool(false),
  CONTEXTPILOT_AI_TIMEOUT_SECONDS: int(120, 1, 3600),
  CONTEXTPILOT_AI_MAX_REPLY_BYTES: int(DEFAULT_MAX_REPLY_BYTES, 1024, 64 * 1024 * 1024),
});

type Env = z.output<typeof EnvSchema>;

export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } | { kind: 'memory' };

function parseDatabaseUrl(env: Env): DatabaseConfig {
  const url = env.CONTEXTPILOT_DATABASE_URL;
  if (url === '') {
    return env.CONTEXTPILOT_USE_DATABASE ? { kind: 'sqlite', path: './data/contextpilot.db' } : { kind: 'memory' };
  }
  if (url === 'memory' || url === 'memory:') {
    return { kind: 'memory' };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return { kind: 'postgres', url };
  }
  // `sqlite:<path>`, and the original's `sqlite:///<relative path>` form.
  const sqlite = /^sqlite:(?:\/\/\/?)?(.+)$/.exec(url);
  if (sqlite?.[1]) {
    return { kind: 'sqlite', path: sqlite[1] };
  }
  throw new ConfigError(
    `CONTEXTPILOT_DATABASE_URL: must be "sqlite:<path>", "postgres://…" or "memory", got "${url.replace(/\/\/[^@]*@/, '//***@')}"`,
  );
}

/**
 * The host names requests may name besides the loopback ones (which are always accepted), or null to accept any Host.
 * Checked when listening on a loopback address (a browser page must not reach it under a foreign name: DNS
 * rebinding) or when names are configured; `*` turns the check off.
 */
function parseAllowedHosts(env: Env): string[] | null {
  const entries = env.CONTEXTPILOT_ALLOWED_HOSTS;
  if (entries.includes('*')) {
    return null;
  }
  for (const entry of entries) {
    if (parseHostPattern(entry) === null) {
      throw new ConfigError(
        `CONTEXTPILOT_ALLOWED_HOSTS: ${JSON.stringify(entry)} is not a host name; list names without scheme or port, e.g. ["notes.example.com", ".example.org"]`,
      );
    }
  }
  return entries.length === 0 && !isLoopbackAddress(env.CONTEXTPILOT_HOST) ? null : entries;
}

function buildConfig(env: Env) {
  const database = parseDatabaseUrl(env);
  const embeddingModel = env.CONTEXTPILOT_EMBEDDING_MODEL;
  if (env.CONTEXTPILOT_EMBEDDING_PROVIDER !== 'use-lite' && embeddingModel === '') {
    throw new ConfigError(
      `CONTEXTPILOT_EMBEDDING_MODEL: required when CONTEXTPILOT_EMBEDDING_PROVIDER is ${env.CONTEXTPILOT_EMBEDDING_PROVIDER}`,
    );
  }
  const aliases: Record<string, string> = { warning: 'warn', critical: 'fatal' };
  const logLevel = aliases[env.CONTEXTPILOT_LOG_LEVEL] ?? env.CONTEXTPILOT_LOG_LEVEL;
  const ai = groupAiSettings(Object.fromEntries(AI_SETTINGS.map((row) => [row.key, env[row.env]])) as AiSettingValues);
  if (env.CONTEXTPILOT_API_KEY_HASH !== '' && !/^[0-9a-fA-F]{64}$/.test(env.CONTEXTPILOT_API_KEY_HASH)) {
    throw new ConfigError('CONTEXTPILOT_API_KEY_HASH: must be the SHA-256 of the key as 64 hexadecimal characters');
  }
  return {
    nodeEnv: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    host: env.CONTEXTPILOT_HOST,
    port: env.CONTEXTPILOT_PORT,
    database,
    // The built web UI; by default the web package's build output beside this package.
    webDir: env.CONTEXTPILOT_WEB_DIR || fileURLToPath(new URL('../../web/dist', import.meta.url)),
    log: {
      level: logLevel as 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent',
      format: env.CONTEXTPILOT_LOG_FORMAT,
    },
    enableMetrics: env.CONTEXTPILOT_ENABLE_METRICS,
    cors: {
      origins: env.CONTEXTPILOT_CORS_ORIGINS,
      allowCredentials: env.CONTEXTPILOT_CORS_ALLOW_CREDENTIALS,
      allowMethods: env.CONTEXTPILOT_CORS_ALLOW_METHODS,
      allowHeaders: env.CONTEXTPILOT_CORS_ALLOW_HEADERS,
    },
    limits: {
      maxContentLength: env.CONTEXTPILOT_MAX_CONTENT_LENGTH,
      maxContextsPerRequest: env.CONTEXTPILOT_MAX_CONTEXTS_PER_REQUEST,
      maxTagCount: env.CONTEXTPILOT_MAX_TAG_COUNT,
      maxTagLength: env.CONTEXTPILOT_MAX_TAG_LENGTH,
      maxBodyBytes: env.CONTEXTPILOT_MAX_BODY_BYTES,
      maxImportBytes: env.CONTEXTPILOT_MAX_IMPORT_BYTES,
      maxImportItems: env.CONTEXTPILOT_MAX_IMPORT_ITEMS,
    },
    embedding: {
      provider: env.CONTEXTPILOT_EMBEDDING_PROVIDER,
      model: embeddingModel,
      baseUrl: env.CONTEXTPILOT_EMBEDDING_BASE_URL,
      apiKey: env.CONTEXTPILOT_EMBEDDING_API_KEY,
      dimensions: env.CONTEXTPILOT_EMBEDDING_DIMENSIONS,
      workers: env.CONTEXTPILOT_EMBEDDING_WORKERS,
      timeoutMs: env.CONTEXTPILOT_EMBEDDING_TIMEOUT_SECONDS * 1000,
      maxChunks: env.CONTEXTPILOT_EMBEDDING_MAX_CHUNKS,
    },
    security: {
      enableAuth: env.CONTEXTPILOT_ENABLE_AUTH,
      apiKey: env.CONTEXTPILOT_API_KEY,
      apiKeyHash: env.CONTEXTPILOT_API_KEY_HASH.toLowerCase(),
      apiKeyRotationBytes: env.CONTEXTPILOT_API_KEY_ROTATION_BYTES,
      allowUnauthenticated: env.CONTEXTPILOT_ALLOW_UNAUTHENTICATED,
      enableRequestSigning: env.CONTEXTPILOT_ENABLE_REQUEST_SIGNING,
      requestSigningSecret: env.CONTEXTPILOT_REQUEST_SIGNING_SECRET,
      requestSigningMaxAgeSeconds: env.CONTEXTPILOT_REQUEST_SIGNING_MAX_AGE_SECONDS,
      requestSigningMethods: env.CONTEXTPILOT_REQUEST_SIGNING_METHODS.map((m) => m.toUpperCase()),
      enableSecurityHeaders: env.CONTEXTPILOT_ENABLE_SECURITY_HEADERS,
      hstsMaxAgeSeconds: env.CONTEXTPILOT_HSTS_MAX_AGE_SECONDS,
      trustProxy: parseTrustProxy(env.CONTEXTPILOT_TRUST_PROXY),
      allowedHosts: parseAllowedHosts(env),
      redisUrl: env.CONTEXTPILOT_REDIS_URL,
      redisKeyPrefix: env.CONTEXTPILOT_REDIS_KEY_PREFIX,
      redisTimeoutMs: env.CONTEXTPILOT_REDIS_TIMEOUT_MS,
      authFailureLimit: env.CONTEXTPILOT_AUTH_FAILURE_LIMIT,
      rateLimitEnabled: env.CONTEXTPILOT_RATE_LIMIT_ENABLED,
      authFailureWindowMs: env.CONTEXTPILOT_AUTH_FAILURE_WINDOW_SECONDS * 1000,
      eventRetentionDays: env.CONTEXTPILOT_SECURITY_EVENT_RETENTION_DAYS,
      eventAggregateSeconds: env.CONTEXTPILOT_SECURITY_EVENT_AGGREGATE_SECONDS,
      encryptionKey: env.CONTEXTPILOT_ENCRYPTION_KEY,
    },
    mcp: {
      // `/mcp` is exempt from request signing, which MCP clients cannot do: with signing on it stays off unless asked
      // for, so that turning signing on never leaves an unsigned way in that nobody chose.
      enabled: env.CONTEXTPILOT_MCP_ENABLED ?? !env.CONTEXTPILOT_ENABLE_REQUEST_SIGNING,
      maxSessions: env.CONTEXTPILOT_MCP_MAX_SESSIONS,
      sessionIdleMs: env.CONTEXTPILOT_MCP_SESSION_IDLE_SECONDS * 1000,
    },
    ai: {
      ...ai,
      ollama: { ...ai.ollama, autoPull: env.CONTEXTPILOT_OLLAMA_AUTO_PULL },
      timeoutMs: env.CONTEXTPILOT_AI_TIMEOUT_SECONDS * 1000,
      maxReplyBytes: env.CONTEXTPILOT_AI_MAX_REPLY_BYTES,
    },
  };
}

/**
 * `false` (socket address), `true` (any proxy), a hop count (trust that many proxies in front), or a list of
 * trusted proxy addresses/CIDRs.
 */
function parseTrustProxy(value: string): boolean | number | string[] {
  const v = value.trim();
  if (v === '' || FALSE.includes(v.toLowerCase())) {
    return false;
  }
  if (TRUE.includes(v.toLowerCase())) {
    return true;
  }
  if (/^\d{1,2}$/.test(v)) {
    return Number(v);
  }
  if (v.startsWith('[')) {
    try {
      const list: unknown = JSON.parse(v);
      if (Array.isArray(list) && list.every((x) => typeof x === 'string')) {
        return list;
      }
    } catch {
      // fall through to the error below
    }
    throw new ConfigError('CONTEXTPILOT_TRUST_PROXY: must be true/false or a JSON array of addresses');
  }
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export type Config = Readonly<ReturnType<typeof buildConfig>>;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) {
      deepFreeze(inner);
    }
    Object.freeze(value);
  }
  return value;
}

/**
 * Builds the configuration from environment variables (names are case-insensitive, as in v1).
 * Pure: the caller passes the environment. Throws ConfigError naming the first bad variable.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const normalized: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    const upper = key.toUpperCase();
    normalized[upper.startsWith('CONTEXTPILOT_') ? upper : key] = value;
  }
  const parsed = EnvSchema.safeParse(normalized);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue?.path.join('.') ?? 'configuration'}: ${issue?.message ?? 'invalid value'}`);
  }
  const config = buildConfig(parsed.data);
  checkProductionSafety(config);
  return deepFreeze(config);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** With NODE_ENV=production, refuses configurations that would expose data or fail open. */
function checkProductionSafety(config: ReturnType<typeof buildConfig>): void {
  if (!config.isProduction) {
    return;
  }
  const s = config.security;
  if (!s.enableAuth && !LOOPBACK_HOSTS.has(config.host) && !s.allowUnauthenticated) {
    throw new ConfigError(
      `CONTEXTPILOT_ENABLE_AUTH: authentication is disabled while listening on ${config.host} in production; enable it, bind to 127.0.0.1, or set CONTEXTPILOT_ALLOW_UNAUTHENTICATED=true`,
    );
  }
  if (s.enableAuth && s.apiKey === '' && s.apiKeyHash === '') {
    throw new ConfigError(
      'CONTEXTPILOT_API_KEY: authentication is enabled in production but no API key or hash is set',
    );
  }
  if (s.enableRequestSigning && s.requestSigningSecret === '') {
    throw new ConfigError(
      'CONTEXTPILOT_REQUEST_SIGNING_SECRET: request signing is enabled in production but no secret is set',
    );
  }
  if (config.cors.origins.includes('*')) {
    throw new ConfigError('CONTEXTPILOT_CORS_ORIGINS: "*" is not allowed in production; list the allowed origins');
  }
}

/** Names of every recognised variable (for docs and the start-up log). */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape);

/** The process environment merged over `.env` in the working directory (the environment wins). */
export function readEnvironment(cwd: string = process.cwd()): Record<string, string | undefined> {
  const file = `${cwd}/.env`;
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/** A store given on a command line (`--db`): a URL as it is, a bare path as `sqlite:<path>`. */
export function toDatabaseUrl(value: string): string {
  return /^(sqlite:|postgres(ql)?:\/\/|memory:?$)/.test(value) ? value : `sqlite:${value}`;
}
