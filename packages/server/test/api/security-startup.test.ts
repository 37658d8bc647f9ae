import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { signatureHeaders } from '../../../client/src/signing.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { buildTestApp, listenOnLoopback, tempDir } from '../helpers.js';

/** Start-up fail-safes: no production server that is open, misconfigured or unsigned by mistake. */

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

function expectConfigError(env: Record<string, string>, variable: string) {
  let error: unknown;
  try {
    loadConfig({ CONTEXTPILOT_DATABASE_URL: 'memory', ...env });
  } catch (e) {
    error = e;
  }
  expect(error, JSON.stringify(env)).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).message.startsWith(`${variable}:`), (error as ConfigError).message).toBe(true);
}

const production = { NODE_ENV: 'production' };
const withKey = { CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: 'startup-test-key-0123456789' };

describe('loadConfig refuses unsafe production configurations', () => {
  it.each(['0.0.0.0', '::', '', '192.168.1.10', 'example.com', '127.0.0.2'])(
    'auth disabled on host %j without CONTEXTPILOT_ALLOW_UNAUTHENTICATED',
    (host) => {
      expectConfigError({ ...production, CONTEXTPILOT_HOST: host }, 'CONTEXTPILOT_ENABLE_AUTH');
      expectConfigError(
        { ...production, CONTEXTPILOT_HOST: host, CONTEXTPILOT_ENABLE_AUTH: 'false' },
        'CONTEXTPILOT_ENABLE_AUTH',
      );
      expectConfigError(
        { ...production, CONTEXTPILOT_HOST: host, CONTEXTPILOT_ALLOW_UNAUTHENTICATED: 'false' },
        'CONTEXTPILOT_ENABLE_AUTH',
      );
    },
  );

  it('auth enabled with no key and no hash', () => {
    expectConfigError(
      { ...production, CONTEXTPILOT_HOST: '0.0.0.0', CONTEXTPILOT_ENABLE_AUTH: 'true' },
      'CONTEXTPILOT_API_KEY',
    );
    expectConfigError(
      { ...production, CONTEXTPILOT_HOST: '0.0.0.0', CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: '   ' },
      'CONTEXTPILOT_API_KEY',
    );
  });

  it('request signing enabled without a secret', () => {
    for (const secret of [undefined, '', '   ']) {
      const env: Record<string, string> = {
        ...production,
        ...withKey,
        CONTEXTPILOT_HOST: '0.0.0.0',
        CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      };
      if (secret !== undefined) {
        env.CONTEXTPILOT_REQUEST_SIGNING_SECRET = secret;
      }
      expectConfigError(env, 'CONTEXTPILOT_REQUEST_SIGNING_SECRET');
    }
    // Also on loopback: a signing setup that cannot verify anything is a configuration error.
    expectConfigError(
      { ...production, CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true' },
      'CONTEXTPILOT_REQUEST_SIGNING_SECRET',
    );
  });

  it('CORS "*"', () => {
    expectConfigError(
      { ...production, ...withKey, CONTEXTPILOT_HOST: '0.0.0.0', CONTEXTPILOT_CORS_ORIGINS: '["*"]' },
      'CONTEXTPILOT_CORS_ORIGINS',
    );
    expectConfigError(
      { ...production, ...withKey, CONTEXTPILOT_CORS_ORIGINS: '["https://app.example.com","*"]' },
      'CONTEXTPILOT_CORS_ORIGINS',
    );
  });

  it('invalid security values name their variable in any environment', () => {
    expectConfigError({ CONTEXTPILOT_ENABLE_AUTH: 'maybe' }, 'CONTEXTPILOT_ENABLE_AUTH');
    expectConfigError({ CONTEXTPILOT_AUTH_FAILURE_LIMIT: '0' }, 'CONTEXTPILOT_AUTH_FAILURE_LIMIT');
    expectConfigError(
      { CONTEXTPILOT_REQUEST_SIGNING_MAX_AGE_SECONDS: 'abc' },
      'CONTEXTPILOT_REQUEST_SIGNING_MAX_AGE_SECONDS',
    );
    expectConfigError({ CONTEXTPILOT_REQUEST_SIGNING_METHODS: 'POST,PUT' }, 'CONTEXTPILOT_REQUEST_SIGNING_METHODS');
    expectConfigError({ CONTEXTPILOT_CORS_ORIGINS: 'https://a.example' }, 'CONTEXTPILOT_CORS_ORIGINS');
  });
});

describe('loadConfig accepts safe production configurations', () => {
  it.each(['127.0.0.1', '::1', 'localhost'])('auth disabled on loopback host %s', (host) => {
    const config = loadConfig({ ...production, CONTEXTPILOT_DATABASE_URL: 'memory', CONTEXTPILOT_HOST: host });
    expect(config.security.enableAuth).toBe(false);
  });

  it('the default host is loopback, so the default production configuration starts', () => {
    expect(loadConfig({ ...production, CONTEXTPILOT_DATABASE_URL: 'memory' }).host).toBe('127.0.0.1');
  });

  it('auth disabled on 0.0.0.0 with CONTEXTPILOT_ALLOW_UNAUTHENTICATED=true', () => {
    const config = loadConfig({
      ...production,
      CONTEXTPILOT_DATABASE_URL: 'memory',
      CONTEXTPILOT_HOST: '0.0.0.0',
      CONTEXTPILOT_ALLOW_UNAUTHENTICATED: 'true',
    });
    expect(config.security.allowUnauthenticated).toBe(true);
  });

  it('auth with a key, or with only its hash, signing with a secret, listed CORS origins', () => {
    for (const key of [
      { CONTEXTPILOT_API_KEY: 'k-0123456789' },
      { CONTEXTPILOT_API_KEY_HASH: sha256('k-0123456789') },
    ]) {
      const config = loadConfig({
        ...production,
        ...key,
        CONTEXTPILOT_DATABASE_URL: 'memory',
        CONTEXTPILOT_HOST: '0.0.0.0',
        CONTEXTPILOT_ENABLE_AUTH: 'true',
        CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
        CONTEXTPILOT_REQUEST_SIGNING_SECRET: 'a-long-enough-secret-0123456789abcdef',
        CONTEXTPILOT_CORS_ORIGINS: '["https://app.example.com"]',
      });
      expect(config.security.enableAuth).toBe(true);
      expect(Object.isFrozen(config.security)).toBe(true);
    }
  });

  it('outside production the same configurations load (development stays easy)', () => {
    expect(loadConfig({ CONTEXTPILOT_DATABASE_URL: 'memory', CONTEXTPILOT_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(
      loadConfig({ CONTEXTPILOT_DATABASE_URL: 'memory', CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true' }).security
        .requestSigningSecret,
    ).toBe('');
  });
});

/** Runs the real entry point with exactly the given environment (nothing inherited but PATH and HOME). */
function runServer(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions', 'development', '--import', 'tsx', 'packages/server/src/server.ts'],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not exit: ${stdout}${stderr}`));
    }, 45_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the real server refuses to start', () => {
  it('in production on 0.0.0.0 with auth disabled: non-zero exit naming CONTEXTPILOT_ENABLE_AUTH', async () => {
    const { code, stdout, stderr } = await runServer({
      NODE_ENV: 'production',
      CONTEXTPILOT_HOST: '0.0.0.0',
      CONTEXTPILOT_DATABASE_URL: 'memory',
    });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr).toContain('CONTEXTPILOT_ENABLE_AUTH');
    expect(stdout).not.toContain('is running');
  });

  it('in production with signing enabled and no secret: non-zero exit naming CONTEXTPILOT_REQUEST_SIGNING_SECRET', async () => {
    const { code, stderr } = await runServer({
      NODE_ENV: 'production',
      CONTEXTPILOT_HOST: '0.0.0.0',
      CONTEXTPILOT_DATABASE_URL: 'memory',
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: 'startup-test-key-0123456789',
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain('CONTEXTPILOT_REQUEST_SIGNING_SECRET');
    expect(stderr).not.toContain('startup-test-key-0123456789');
  });
});

describe('a key rotated before a restart', () => {
  it('stays the only valid key after the restart, and start-up warns that the environment key is ignored', async () => {
    const envKey = 'restart-env-key-0123456789abcdef';
    const secret = 'restart-signing-secret-0123456789abcdef';
    const dbUrl = `sqlite:${join(tempDir(), 'restart.db')}`;
    const env = {
      CONTEXTPILOT_DATABASE_URL: dbUrl,
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: envKey,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: secret,
    };
    const first = await buildTestApp(env);
    let rotated: string;
    try {
      const base = await listenOnLoopback(first);
      const headers = {
        'x-api-key': envKey,
        ...(await signatureHeaders({ secret, method: 'POST', pathWithQuery: '/security/api-key/rotate' })),
      };
      const res = await fetch(`${base}/security/api-key/rotate`, { method: 'POST', headers });
      expect(res.status).toBe(200);
      rotated = ((await res.json()) as { api_key: string }).api_key;
    } finally {
      await first.close();
    }

    const lines: string[] = [];
    const logger = createLogger(
      { log: { level: 'info', format: 'json' } },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString());
          callback();
        },
      }),
    );
    const second = await buildTestApp(env, { logger });
    try {
      const base = await listenOnLoopback(second);
      const warning = lines
        .map((l) => JSON.parse(l) as { level: number; msg: string })
        .find((l) => l.level === 40 && l.msg.includes('CONTEXTPILOT_API_KEY'));
      expect(warning, lines.join('')).toBeDefined();
      expect(lines.join('')).not.toContain(envKey);
      expect(lines.join('')).not.toContain(rotated);
      expect((await fetch(`${base}/contexts`, { headers: { 'x-api-key': envKey } })).status).toBe(401);
      expect((await fetch(`${base}/contexts`, { headers: { 'x-api-key': rotated } })).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
