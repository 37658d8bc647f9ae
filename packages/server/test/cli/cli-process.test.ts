import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type {
  AIResponse,
  ConversationDetail,
  ConversationList,
  Health,
  ImportResult,
  Stats,
} from '@contextpilot/contract';

import { startOllamaEmbedFake } from '../fakes/ollama-embed-fake.js';
import { type ChatFake, startOpenAiChatFake } from '../fakes/openai-chat-fake.js';
import type { HttpTestApp } from '../helpers.js';
import { buildApp } from '../../src/app.js';
import { listenOnLoopback, startHttpTestApp, tempDir, testConfig, token } from '../helpers.js';
import { CLI_BIN, jsonOf, runCli, spawnCli } from './cli-harness.js';

const KEY = 'cli-process-key-0123456789abcdef012345678';
const SECRET = 'cli-process-signing-secret-0123456789abcdef';

describe('chat, conversations and import against a server with a fake provider', () => {
  let server: HttpTestApp;
  let openai: ChatFake;
  let env: Record<string, string>;
  beforeAll(async () => {
    openai = await startOpenAiChatFake({ slowDeltaMs: 150 });
    server = await startHttpTestApp(
      {
        CONTEXTPILOT_ENABLE_AUTH: 'true',
        CONTEXTPILOT_API_KEY: KEY,
        CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
        CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
        CONTEXTPILOT_OPENAI_API_KEY: 'sk-test-cli',
        CONTEXTPILOT_OPENAI_BASE_URL: `${openai.url}/v1`,
      },
      Date.now(),
    );
    env = {
      HOME: tempDir(),
      CONTEXTPILOT_URL: server.base,
      CONTEXTPILOT_API_KEY: KEY,
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
    };
  });
  afterAll(async () => {
    // An aborted stream leaves a connection Node does not count as idle.
    server.app.server.closeAllConnections();
    await server.app.close();
    await openai.close();
  });

  it('streams a reply to stdout, then lists, shows and deletes its conversation', async () => {
    openai.reply('Use the borrow checker, friend.');
    const run = await runCli(['chat', 'How do I write Rust?', '--provider', 'openai', '--model', 'gpt-4o-mini'], {
      env,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Use the borrow checker, friend.\n');
    expect(run.stderr).toMatch(/^\[openai · gpt-4o-mini · \d+ context units\]\n\[conversation \S+\]\n$/);
    const id = /\[conversation (\S+)\]/.exec(run.stderr)?.[1] ?? '';

    openai.reply('Again.');
    const followUp = jsonOf<AIResponse>(await runCli(['chat', 'And then?', '--conversation', id, '--json'], { env }));
    expect(followUp).toMatchObject({ conversation_id: id, response: 'Again.', provider: 'openai' });

    const list = jsonOf<ConversationList>(await runCli(['conversations', '--json'], { env }));
    expect(list.conversations.find((c) => c.id === id)).toMatchObject({ message_count: 4 });
    const detail = jsonOf<ConversationDetail>(await runCli(['conversations', 'show', id, '--json'], { env }));
    expect(detail.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    const shown = await runCli(['conversations', 'show', id], { env });
    expect(shown.stdout).toContain('── assistant');
    expect(shown.stdout).toContain('Use the borrow checker, friend.');
    expect((await runCli(['conversations', 'rm', id], { env })).code).toBe(0);
    expect((await runCli(['conversations', 'show', id], { env })).code).toBe(4);
  });

  it('Ctrl-C during a reply aborts the request: the provider’s connection is closed, exit code 130', async () => {
    openai.reply(Array.from({ length: 40 }, (_, i) => `word${i} `));
    openai.failNext('slow-stream');
    const before = openai.requests.length;
    const { child, done } = spawnCli(['chat', 'Tell me a long story', '--provider', 'openai'], { env });
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('word1 ')) {
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`exited before the reply streamed: ${seen}`)));
    });
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('contextpilot: Interrupted');
    // 40 deltas 150 ms apart would take 6 s; the provider's connection closes long before.
    const request = openai.requests[before];
    await vi.waitFor(() => expect(request?.closedEarly).toBe(true), { timeout: 3000, interval: 20 });
    expect(run.stdout).not.toContain('word39');
  });

  it('imports 5,000 units with progress and returns when /health shows nothing left to embed', async () => {
    const word = token();
    const file = join(tempDir(), 'many.json');
    const contexts = Array.from({ length: 5000 }, (_, i) => ({
      type: 'fact',
      // Short, to keep the embedding work (what this waits for) small.
      content: `${word} fact ${i}`,
    }));
    await writeFile(file, JSON.stringify({ contexts }));
    const run = await runCli(['import', file, '--json'], { env });
    const result = jsonOf<ImportResult & { embedded: boolean }>(run);
    expect(result).toMatchObject({ imported: 5000, skipped: 0, total_errors: 0, embedded: true });
    // Progress went to stderr: the upload, then the embedding up to every unit.
    expect(run.stderr).toMatch(/^Uploading +\[.*\] 100% \| \d+\/\d+ KiB/m);
    expect(run.stderr).toMatch(/^Embedding +\[.*\] \d+% \| \d+\/\d+ units/m);
    expect(run.stderr).toMatch(/^Embedding +\[=+\] 100% \| (\d+)\/\1 units/m);
    const response = await fetch(`${server.base}/health`);
    const health = (await response.json()) as Health;
    expect(health.components.indexing?.pending).toBe(0);
    const stats = (await (await fetch(`${server.base}/stats`, { headers: { 'x-api-key': KEY } })).json()) as Stats;
    expect(stats.contexts_with_embeddings).toBe(stats.active_contexts);
  }, 300_000);
});

describe('import when the embedding provider is down', () => {
  it('gives up after --wait-timeout seconds without progress, exit code 1, naming what is left', async () => {
    const ollama = await startOllamaEmbedFake({ dimension: 16 });
    const app = await buildApp(
      testConfig({
        CONTEXTPILOT_EMBEDDING_PROVIDER: 'ollama',
        CONTEXTPILOT_EMBEDDING_MODEL: 'fake-embed',
        CONTEXTPILOT_EMBEDDING_BASE_URL: ollama.url,
      }),
    );
    const base = await listenOnLoopback(app);
    try {
      // From now on every embedding request fails: the server keeps the imported units pending.
      ollama.failNext(500, 1_000_000);
      const file = join(tempDir(), 'stalled.json');
      await writeFile(file, JSON.stringify({ contexts: [{ type: 'fact', content: `Stalled ${token()}` }] }));
      const run = await runCli(['import', file, '--wait-timeout', '2'], {
        env: { HOME: tempDir(), CONTEXTPILOT_URL: base },
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/contextpilot: 1 units are still not embedded after 2 s without progress/);
      expect(run.stdout).toBe('');
    } finally {
      await app.close();
      await ollama.close();
    }
  });
});

describe('the process', () => {
  it('starts without loading the server, the embedding model or the MCP SDK', async () => {
    const trace = join(tempDir(), 'modules.txt');
    await writeFile(trace, '');
    // A module hook (on the loader thread) that writes down every module the process resolves.
    const hooks = `import { appendFileSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        const resolved = await next(specifier, context);
        appendFileSync(${JSON.stringify(trace)}, resolved.url + '\\n');
        return resolved;
      }`;
    const register = `import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));`;
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        CLI_BIN,
        'list',
        '--url',
        'http://127.0.0.1:9',
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: tempDir() }, stdio: 'ignore' },
    );
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(5);
    const loaded = (await readFile(trace, 'utf8')).split('\n').filter((line) => line !== '');
    expect(loaded.some((url) => url.includes('/packages/cli/dist/'))).toBe(true);
    expect(loaded.some((url) => url.includes('/packages/client/dist/'))).toBe(true);
    expect(
      loaded.filter((url) =>
        /packages\/(server|mcp)\/|@energetic-ai|@tensorflow|@modelcontextprotocol|\/zod\/|fastify/.test(url),
      ),
    ).toEqual([]);
  });

  it('serve runs the server on a SQLite file until SIGTERM', async () => {
    const db = join(tempDir(), 'served.db');
    const { child, done } = spawnCli(['serve', '--port', '0', '--db', db], {
      env: { HOME: tempDir(), CONTEXTPILOT_LOG_LEVEL: 'warn', CONTEXTPILOT_EMBEDDING_WORKERS: '1' },
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /running at (http:\/\/\S+)/.exec(out);
        if (match?.[1] !== undefined) {
          resolve(match[1]);
        }
      });
      child.on('exit', () => reject(new Error(`serve exited: ${out}`)));
    });
    const added = await runCli(['add', `Served ${token()}`, '--type', 'fact', '--url', url], {
      env: { HOME: tempDir() },
    });
    expect(added.code).toBe(0);
    const status = jsonOf<{ stats: Stats }>(
      await runCli(['status', '--json', '--url', url], { env: { HOME: tempDir() } }),
    );
    expect(status.stats.total_contexts).toBe(1);
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });
});
