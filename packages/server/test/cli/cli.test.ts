import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type {
  ContextUnit,
  ExportDocument,
  Health,
  ImportResult,
  RankedContextUnit,
  SecurityEventList,
  Stats,
} from '@contextpilot/contract';

import { signedCall } from '../api/security-helpers.js';
import type { HttpTestApp } from '../helpers.js';
import { closedPortUrl, startHttpTestApp, tempDir, token } from '../helpers.js';
import { jsonOf, runCli, type CliOptions, type CliRun } from './cli-harness.js';

const KEY = 'cli-test-key-0123456789abcdef0123456789ab';
const SECRET = 'cli-test-signing-secret-0123456789abcdef';

let server: HttpTestApp;
let home: string;
/** Every output of every run, to check that no key or secret was ever printed. */
const outputs: string[] = [];

/** Runs the CLI against the server with the key and secret in the environment, unless `options.env` says otherwise. */
async function cli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const run = await runCli(args, {
    ...options,
    env: {
      HOME: home,
      CONTEXTPILOT_URL: server.base,
      CONTEXTPILOT_API_KEY: KEY,
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
      ...options.env,
    },
  });
  outputs.push(run.stdout, run.stderr);
  return run;
}

const rest = (method: string, path: string, body?: unknown) =>
  signedCall({ secret: SECRET, key: KEY }, server.base, method, path, {
    ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });

async function unitCount(): Promise<number> {
  return ((await rest('GET', '/stats')).json as Stats).total_contexts;
}

beforeAll(async () => {
  home = tempDir();
  server = await startHttpTestApp(
    {
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: KEY,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
    },
    Date.now(),
  );
});
afterAll(async () => {
  await server.app.close();
});

describe('units: add, get, edit, supersede, list, search, prompt, rm', () => {
  it('does each through the server, signed and authenticated, with --json output', async () => {
    const word = token();
    const added = jsonOf<ContextUnit>(
      await cli([
        'add',
        `I write services in Go ${word}`,
        '--type',
        'preference',
        '--tags',
        'code, go',
        '-c',
        '0.8',
        '--json',
      ]),
    );
    expect(added).toMatchObject({ type: 'preference', tags: ['code', 'go'], confidence: 0.8, source: 'manual' });
    expect((await rest('GET', `/contexts/${added.id}`)).json).toEqual(added);
    expect(jsonOf<ContextUnit>(await cli(['get', added.id, '--json']))).toEqual(added);

    const edited = jsonOf<ContextUnit>(
      await cli(['edit', added.id, '--tags', 'golang', '--confidence', '0.9', '--json']),
    );
    expect(edited).toMatchObject({ id: added.id, tags: ['golang'], confidence: 0.9, content: added.content });

    const found = jsonOf<RankedContextUnit[]>(await cli(['search', `Go services ${word}`, '--limit', '3', '--json']));
    expect(found[0]?.context_unit.id).toBe(added.id);
    expect(found[0]?.score_breakdown.lexical).toBeGreaterThan(0);

    const next = jsonOf<ContextUnit>(await cli(['supersede', added.id, `I write services in Rust ${word}`, '--json']));
    expect(next).toMatchObject({ type: 'preference', tags: ['golang'] });
    expect((await rest('GET', `/contexts/${added.id}`)).json).toMatchObject({
      status: 'superseded',
      superseded_by: next.id,
    });

    const listed = jsonOf<ContextUnit[]>(await cli(['list', '--search', word, '--json']));
    expect(listed.map((u) => u.id)).toEqual([next.id]);
    const all = jsonOf<ContextUnit[]>(await cli(['list', '--search', word, '--all', '--json']));
    expect(all.map((u) => u.id).sort()).toEqual([added.id, next.id].sort());

    const prompt = await cli(['prompt', `Rust ${word}`, '--compact']);
    const compact = jsonOf<{ generated_prompt: string }>(await cli(['prompt', `Rust ${word}`, '--compact', '--json']));
    // Exactly the prompt, for a pipe (ending with one line break).
    expect(prompt.stdout).toBe(`${compact.generated_prompt.replace(/\n$/, '')}\n`);
    expect(prompt.stdout).toContain(`I write services in Rust ${word}`);

    expect(jsonOf(await cli(['rm', next.id, '--json']))).toEqual({ deleted: next.id });
    expect((await rest('GET', `/contexts/${next.id}`)).status).toBe(404);
  });

  it('prints readable text off --json, and reads "-" from standard input', async () => {
    const word = token();
    const text = `Line one ${word}\nLine "two" with 'quotes'`;
    const added = await cli(['add', '-', '--type', 'fact'], { input: `${text}\n` });
    expect(added.code).toBe(0);
    const id = /^Added fact (\S+)$/m.exec(added.stdout)?.[1] ?? '';
    expect(((await rest('GET', `/contexts/${id}`)).json as ContextUnit).content).toBe(text);

    const listed = await cli(['list', '--search', word]);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+TYPE\s+CONF\s+STATUS\s+TAGS\s+CONTENT$/);
    // One line per unit: the line break of the content is shown as a space.
    expect(listed.stdout).toContain(`${id}  fact  1.00  active`);
    expect(listed.stdout).toContain(`Line one ${word} Line "two"`);
    const shown = await cli(['get', id]);
    expect(shown.stdout).toMatch(/^id\s+\S+$/m);
    expect(shown.stdout.endsWith(`${text}\n`)).toBe(true);
    const status = await cli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/: healthy\n/);
    expect(status.stdout).toMatch(/units\s+\d+ active/);
  });

  it('answers status with the health and the counts', async () => {
    const status = jsonOf<{ url: string; health: Health; stats: Stats }>(await cli(['status', '--json']));
    expect(status.url).toBe(server.base);
    expect(status.health.status).toBe('healthy');
    expect(status.stats.total_contexts).toBe(await unitCount());
  });
});

describe('exit codes and messages', () => {
  it('2 for a usage error, checked before anything is sent', async () => {
    const before = await unitCount();
    for (const args of [
      ['frobnicate'],
      ['add', 'x'],
      ['add', 'x', '--type', 'opinion'],
      ['add', 'x', '--type', 'fact', '--confidence', '1.5'],
      ['add', 'x', '--type', 'fact', '--confidence', 'high'],
      ['add', '', '--type', 'fact'],
      ['add', '   ', '--type', 'fact'],
      ['list', '--limit', '-1'],
      ['search', 'x', '--limit', '21'],
      ['search', 'x', '--min-score', 'NaN'],
      ['edit', 'some-id'],
      ['export', '--format', 'xml'],
      ['--url', 'ftp://example.com', 'list'],
      ['--url', 'http://user:pw@127.0.0.1:1', 'list'],
      // Ids that URL resolution would turn into another route.
      ['get', '..'],
      ['rm', '.'],
      ['edit', '..', '--content', 'x'],
      ['supersede', '..', 'x'],
      ['conversations', 'rm', '..'],
    ]) {
      const run = await cli(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).not.toBe('');
      expect(run.stdout).toBe('');
    }
    expect(await unitCount()).toBe(before);
  });

  it('2 with the server’s message for input it refuses, and nothing is written', async () => {
    const before = await unitCount();
    const cases: Array<[string[], RegExp]> = [
      [['add', '\u200b', '--type', 'fact'], /^contextpilot: Content cannot be empty \(HTTP 400\)\n$/],
      [
        ['add', 'a'.repeat(10_001), '--type', 'fact'],
        /Content exceeds maximum length of 10000 characters \(HTTP 400\)/,
      ],
      [['add', 'x', '--type', 'fact', '--tags', 'a/b'], /[Tt]ag/],
      [['add', 'x', '--type', 'fact', '--tags', Array.from({ length: 21 }, (_, i) => `t${i}`).join(',')], /[Tt]ags/],
      [['add', 'x', '--type', 'fact', '--source', 's'.repeat(300)], /source/i],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect({ args: args[1]?.slice(0, 20), code: run.code }).toEqual({ args: args[1]?.slice(0, 20), code: 2 });
      expect(run.stderr).toMatch(message);
    }
    expect(await unitCount()).toBe(before);
  });

  it('every command refuses empty, oversized, wrong-typed and hostile arguments with a clear error; nothing changes', async () => {
    const unit = jsonOf<ContextUnit>(
      await cli(['add', `Unchanged ${token()}`, '--type', 'fact', '--tags', 'keep', '--json']),
    );
    const before = await unitCount();
    const huge = 'x'.repeat(300_000);
    const cases: Array<[string[], string | undefined]> = [
      [['edit', unit.id, '--content', ''], undefined],
      [['edit', unit.id, '--content', '-'], '\u200b'],
      [['edit', unit.id, '--confidence', '-1'], undefined],
      [['edit', unit.id, '--tags', 'a/b'], undefined],
      [['edit', unit.id, '--status', 'archived'], undefined],
      [['edit', unit.id, '--content', '-'], huge],
      [['supersede', unit.id, ''], undefined],
      [['supersede', unit.id, '-'], huge],
      [['supersede', unit.id, 'x', '--confidence', 'NaN'], undefined],
      [['search', ''], undefined],
      [['search', '-'], huge],
      [['search', 'x', '--type', 'opinion'], undefined],
      [['prompt', '   '], undefined],
      [['prompt', '-'], huge],
      [['chat', ''], undefined],
      [['chat', 'x', '--temperature', '3'], undefined],
      [['chat', 'x', '--max-tokens', '0'], undefined],
      [['list', '--limit', 'ten'], undefined],
      [['list', '--status', 'deleted'], undefined],
      [['events', '--limit', '0'], undefined],
      [['conversations', '--limit', '201'], undefined],
      [['conversations', 'show', '..'], undefined],
      [['import', '/dev/null/nothing'], undefined],
      [['serve', '--port', '70000'], undefined],
      [['add', '-', '--type', 'fact'], '\u0000\u0007'],
      [['add', '-', '--type', 'fact'], huge],
    ];
    for (const [args, input] of cases) {
      const run = await cli(args, input === undefined ? {} : { input });
      const label = args.map((arg) => arg.slice(0, 20)).join(' ');
      expect({ label, code: run.code }).toEqual({ label, code: 2 });
      expect(run.stderr).toMatch(/^(contextpilot: |error: )\S/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toBe('');
    }
    expect(await unitCount()).toBe(before);
    expect(jsonOf<ContextUnit>(await cli(['get', unit.id, '--json']))).toEqual(unit);
  });

  it('3 for a wrong key or secret, with the server’s message; 4 for a missing unit; 5 when unreachable; 1 for a conflict', async () => {
    const wrongKey = await cli(['list'], { env: { CONTEXTPILOT_API_KEY: 'not-the-key' } });
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stderr).toMatch(
      /^contextpilot: API key required: missing or invalid X-API-Key header \(HTTP 401\)/,
    );
    const noKey = await cli(['list'], { env: { CONTEXTPILOT_API_KEY: '' } });
    expect(noKey.code).toBe(3);
    const wrongSecret = await cli(['add', 'x', '--type', 'fact'], {
      env: { CONTEXTPILOT_REQUEST_SIGNING_SECRET: 'wrong-secret-0123456789abcdef0123456789' },
    });
    expect(wrongSecret.code).toBe(3);
    expect(wrongSecret.stderr).toMatch(/signature/i);

    const missing = await cli(['get', 'no-such-unit']);
    expect(missing).toMatchObject({
      code: 4,
      stdout: '',
      stderr: 'contextpilot: Context unit no-such-unit not found (HTTP 404)\n',
    });
    expect((await cli(['rm', 'no-such-unit'])).code).toBe(4);
    // A path in an id stays one segment: a missing unit, not another route.
    expect((await cli(['rm', '../security/api-key/rotate'])).code).toBe(4);
    expect((await cli(['get', '%2e%2e'])).code).toBe(4);
    expect((await cli(['list'])).code).toBe(0);

    const down = await closedPortUrl();
    const unreachable = await cli(['list'], { env: { CONTEXTPILOT_URL: down } });
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toBe(`contextpilot: Cannot reach the server at ${down} (ECONNREFUSED)\n`);

    const unit = jsonOf<ContextUnit>(await cli(['add', `Old ${token()}`, '--type', 'fact', '--json']));
    expect((await cli(['supersede', unit.id, 'New'])).code).toBe(0);
    const again = await cli(['supersede', unit.id, 'Newer']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`contextpilot: Context unit ${unit.id} is already superseded (HTTP 409)\n`);
  });

  it('runs identical signed commands at the same moment without replay refusals or a lockout', async () => {
    const word = token();
    await cli(['add', `Parallel ${word}`, '--type', 'fact']);
    for (let round = 0; round < 2; round++) {
      const runs = await Promise.all(Array.from({ length: 5 }, () => cli(['prompt', `Parallel ${word}`, '--json'])));
      expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0, 0]);
    }
    expect((await cli(['list'])).code).toBe(0);
  });

  it('shows a unit’s control characters as escapes, not as terminal commands', async () => {
    const unit = jsonOf<ContextUnit>(
      await cli(['add', `Bell \u0007 and tab\there ${token()}`, '--type', 'fact', '--json']),
    );
    const shown = await cli(['get', unit.id]);
    // eslint-disable-next-line no-control-regex
    expect(shown.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});

describe('import and export', () => {
  it('exports JSON to stdout and CSV to a file for its owner only, and imports them back', async () => {
    const word = token();
    await cli(['add', `Exported ${word}`, '--type', 'goal', '--tags', 'x']);
    const exported = JSON.parse((await cli(['export'])).stdout) as ExportDocument;
    expect(exported.contexts.some((c) => c.content === `Exported ${word}`)).toBe(true);

    const file = join(tempDir(), 'units.csv');
    const written = jsonOf<{ file: string; bytes: number }>(await cli(['export', '-f', 'csv', '-o', file, '--json']));
    expect(written.file).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain(`Exported ${word}`);
    // An existing file is not replaced.
    const again = await cli(['export', '-o', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/EEXIST/);

    const json = join(tempDir(), 'units.json');
    await writeFile(json, JSON.stringify({ contexts: [{ type: 'fact', content: `Imported ${word}` }] }));
    const imported = jsonOf<ImportResult & { embedded: boolean }>(await cli(['import', json, '--json']));
    expect(imported).toMatchObject({ imported: 1, skipped: 0, embedded: true });
    const bad = join(tempDir(), 'bad.json');
    await writeFile(bad, '{"contexts": [');
    const refused = await cli(['import', bad]);
    expect(refused.code).toBe(2);
    expect((await cli(['import', join(tempDir(), 'missing.json')])).code).toBe(2);
  });
});

describe('configuration: flags, environment, config file', () => {
  const configOf = (dir: string) => join(dir, '.config', 'contextpilot', 'config.json');

  it('login checks the key and secret, then saves them readable by the owner only; later commands use them', async () => {
    const dir = tempDir();
    const noEnv = {
      HOME: dir,
      CONTEXTPILOT_URL: '',
      CONTEXTPILOT_API_KEY: '',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: '',
    };
    const refused = await cli(['login', '--url', server.base, '--api-key', 'wrong', '--signing-secret', SECRET], {
      env: noEnv,
    });
    expect(refused.code).toBe(3);
    await expect(stat(configOf(dir))).rejects.toThrow(/ENOENT/);

    const login = await cli(['login', '--url', `${server.base}/`, '--api-key', KEY, '--signing-secret', SECRET], {
      env: noEnv,
    });
    expect(login.code).toBe(0);
    expect(login.stdout).toContain('API key: set, signing secret: set');
    expect((await stat(configOf(dir))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, '.config', 'contextpilot'))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(configOf(dir), 'utf8'))).toEqual({
      url: server.base,
      api_key: KEY,
      signing_secret: SECRET,
    });

    expect((await cli(['add', `From the file ${token()}`, '--type', 'fact'], { env: noEnv })).code).toBe(0);
    // The environment wins over the file, and a flag over both.
    expect((await cli(['list'], { env: { ...noEnv, CONTEXTPILOT_API_KEY: 'wrong' } })).code).toBe(3);
    expect((await cli(['list', '--api-key', KEY], { env: { ...noEnv, CONTEXTPILOT_API_KEY: 'wrong' } })).code).toBe(0);
    expect((await cli(['list'], { env: { ...noEnv, CONTEXTPILOT_URL: await closedPortUrl() } })).code).toBe(5);

    // A file others can read is refused until fixed.
    await chmod(configOf(dir), 0o644);
    const unsafe = await cli(['list'], { env: noEnv });
    expect(unsafe.code).toBe(3);
    expect(unsafe.stderr).toContain(`chmod 600 ${configOf(dir)}`);
    await chmod(configOf(dir), 0o600);
    expect((await cli(['list'], { env: noEnv })).code).toBe(0);
  });

  it('refuses a config file that is not a JSON object of strings', async () => {
    const dir = tempDir();
    const env = { HOME: dir, CONTEXTPILOT_URL: '', CONTEXTPILOT_API_KEY: '' };
    const path = configOf(dir);
    await cli(['login', '--url', server.base, '--api-key', KEY, '--signing-secret', SECRET], { env });
    for (const text of ['not json', '[]', '{"api_key": 5}']) {
      await writeFile(path, text, { mode: 0o600 });
      const run = await cli(['list'], { env });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(path);
    }
  });
});

describe('the audit log and the API key', () => {
  it('events lists the refusals', async () => {
    await cli(['list'], { env: { CONTEXTPILOT_API_KEY: 'not-the-key' } });
    const list = jsonOf<SecurityEventList>(
      await cli(['events', '--event', 'api_key_auth', '--outcome', 'invalid_key', '--json']),
    );
    expect(list.events.length).toBeGreaterThan(0);
    expect(list.events.every((e) => e.event === 'api_key_auth' && e.outcome === 'invalid_key')).toBe(true);
    const text = await cli(['events', '-n', '5']);
    expect(text.stdout.split('\n')[0]).toMatch(/^TIME\s+EVENT\s+OUTCOME\s+CLIENT\s+REQUEST$/);
  });

  it('never printed the key or the signing secret', () => {
    expect(outputs.length).toBeGreaterThan(0);
    expect(outputs.filter((text) => text.includes(KEY) || text.includes(SECRET))).toEqual([]);
  });
});

describe('keys rotate (a server of its own: the key changes)', () => {
  let own: HttpTestApp;
  const ownEnv = (home: string, extra: Record<string, string> = {}) => ({
    HOME: home,
    CONTEXTPILOT_URL: own.base,
    CONTEXTPILOT_API_KEY: KEY,
    CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
    ...extra,
  });
  beforeAll(async () => {
    own = await startHttpTestApp(
      {
        CONTEXTPILOT_ENABLE_AUTH: 'true',
        CONTEXTPILOT_API_KEY: KEY,
        CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
        CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
      },
      Date.now(),
    );
  });
  afterAll(async () => {
    await own.app.close();
  });

  it('refuses before rotating when the config file cannot take the new key', async () => {
    const home = tempDir();
    await runCli(['login', '--url', server.base, '--api-key', KEY, '--signing-secret', SECRET], {
      env: { HOME: home },
    });
    // The file holds the login of another server.
    const refused = await runCli(['keys', 'rotate'], { env: ownEnv(home) });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`holds the login for ${server.base}`);
    // A folder others may write to.
    const open = tempDir();
    await mkdir(join(open, '.config', 'contextpilot'), { recursive: true });
    await chmod(join(open, '.config', 'contextpilot'), 0o777);
    const unsafe = await runCli(['keys', 'rotate'], { env: ownEnv(open) });
    expect(unsafe.code).toBe(3);
    expect(unsafe.stderr).toContain('others may write there');
    // The key still works: nothing was rotated.
    expect((await runCli(['list'], { env: ownEnv(tempDir()) })).code).toBe(0);
  });

  it('keys create, list, renew and revoke stored keys; a new key goes to a file, never to the output', async () => {
    const home = tempDir();
    const file = join(home, 'assistant.key');
    const created = await runCli(
      ['keys', 'create', '--name', 'assistant', '--scopes', 'contexts:read,prompts', '-o', file, '--json'],
      { env: ownEnv(home) },
    );
    const info = jsonOf<{ id: string; scopes: string[]; saved_to: string }>(created);
    expect(info).toMatchObject({ scopes: ['contexts:read', 'prompts'], saved_to: file });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const key = (await readFile(file, 'utf8')).trim();
    expect(created.stdout + created.stderr).not.toContain(key);
    const asKey = (extra: Record<string, string> = {}) => ownEnv(tempDir(), { CONTEXTPILOT_API_KEY: key, ...extra });
    expect((await runCli(['list'], { env: asKey() })).code).toBe(0);
    const refused = await runCli(['add', 'x', '--type', 'fact'], { env: asKey() });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('lacks the "contexts:write" scope (HTTP 403)');

    const listed = await runCli(['keys', 'list'], { env: ownEnv(home) });
    expect(listed.stdout).toMatch(new RegExp(`${info.id}\\s+active`));
    expect(listed.stdout).not.toContain(key);

    // A bad request leaves no file behind; an existing file is never replaced.
    const bad = join(home, 'bad.key');
    expect(
      (await runCli(['keys', 'create', '--name', 'x', '--scopes', 'root', '-o', bad], { env: ownEnv(home) })).code,
    ).toBe(2);
    await expect(stat(bad)).rejects.toThrow(/ENOENT/);
    expect(
      (await runCli(['keys', 'create', '--name', 'x', '--scopes', 'chat', '-o', file], { env: ownEnv(home) })).code,
    ).toBe(2);

    const renewedFile = join(home, 'renewed.key');
    expect(
      (await runCli(['keys', 'renew', info.id, '-o', renewedFile, '--grace', '60'], { env: ownEnv(home) })).code,
    ).toBe(0);
    const renewed = (await readFile(renewedFile, 'utf8')).trim();
    expect((await runCli(['list'], { env: asKey() })).code).toBe(0);
    expect((await runCli(['list'], { env: asKey({ CONTEXTPILOT_API_KEY: renewed }) })).code).toBe(0);

    expect((await runCli(['keys', 'revoke', info.id], { env: ownEnv(home) })).code).toBe(0);
    expect((await runCli(['list'], { env: asKey({ CONTEXTPILOT_API_KEY: renewed }) })).code).toBe(3);
  });

  it('keys rotate saves the new key in the config file without printing it; the old key stops working', async () => {
    const dir = tempDir();
    const rotated = await runCli(['keys', 'rotate'], { env: ownEnv(dir) });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('CONTEXTPILOT_API_KEY still holds the old key');
    const config = JSON.parse(await readFile(join(dir, '.config', 'contextpilot', 'config.json'), 'utf8')) as {
      api_key: string;
    };
    expect(config.api_key).not.toBe(KEY);
    expect((await runCli(['list'], { env: ownEnv(tempDir()) })).code).toBe(3);
    expect((await runCli(['list'], { env: ownEnv(dir, { CONTEXTPILOT_API_KEY: '' }) })).code).toBe(0);
    expect([rotated.stdout, rotated.stderr].filter((text) => text.includes(config.api_key))).toEqual([]);
  });
});
