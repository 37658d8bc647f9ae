import { join } from 'node:path';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ContextUnit, RankedContextUnit, Stats } from '@contextpilot/contract';

import type { HttpTestApp } from '../helpers.js';
import { startHttpTestApp, tempDir, token } from '../helpers.js';
import { signedCall } from '../api/security-helpers.js';
import { CLI_BIN, REPO } from '../cli/cli-harness.js';
import { callError, callOk, connectClient, nextListChanged } from './mcp-helpers.js';

const KEY = 'stdio-test-key-0123456789abcdef0123456789';
const SECRET = 'stdio-test-signing-secret-0123456789abcdef';

/**
 * `contextpilot mcp …` (the built CLI binary) in a child process, with the SDK's client on the other end of its
 * stdio.
 */
function spawnStdio(args: string[], env: Record<string, string>): Promise<Client> {
  return connectClient(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI_BIN, 'mcp', ...args],
      cwd: REPO,
      // No inherited CONTEXTPILOT_* variables: only what the test gives.
      env: { PATH: process.env.PATH ?? '', HOME: tempDir(), ...env },
      stderr: 'pipe',
    }),
  );
}

describe('stdio, remote: a running server through the client SDK (auth and signing on)', () => {
  let server: HttpTestApp;
  let client: Client;
  beforeAll(async () => {
    server = await startHttpTestApp(
      {
        CONTEXTPILOT_ENABLE_AUTH: 'true',
        CONTEXTPILOT_API_KEY: KEY,
        CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
        CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
      },
      Date.now(),
    );
    client = await spawnStdio([], {
      CONTEXTPILOT_URL: server.base,
      CONTEXTPILOT_API_KEY: KEY,
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
    });
  });
  afterAll(async () => {
    await client?.close();
    await server.app.close();
  });

  it('runs every tool against the server, signed and authenticated', async () => {
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(9);
    const word = token();
    const changed = nextListChanged(client);
    const unit = await callOk<ContextUnit>(client, 'add_context', { type: 'goal', content: `Learn Rust ${word}` });
    await changed;
    const rest = await signedCall({ secret: SECRET, key: KEY }, server.base, 'GET', `/contexts/${unit.id}`);
    expect(rest.json).toEqual(unit);
    expect(await callOk(client, 'get_context', { id: unit.id })).toEqual(unit);
    expect(await callOk(client, 'update_context', { id: unit.id, tags: ['code'] })).toMatchObject({ tags: ['code'] });
    const found = await callOk<{ results: RankedContextUnit[] }>(client, 'search_context', { task: `Rust ${word}` });
    expect(found.results[0]?.context_unit.id).toBe(unit.id);
    const prompt = await callOk<{ generated_prompt: string }>(client, 'compose_prompt', { task: word, compact: true });
    expect(prompt.generated_prompt).toContain(`Learn Rust ${word}`);
    const next = await callOk<ContextUnit>(client, 'supersede_context', { id: unit.id, content: `Learn Zig ${word}` });
    expect(await callOk(client, 'list_contexts', { search: word })).toEqual({ units: [next], count: 1 });
    expect((await callOk<Stats>(client, 'context_stats')).active_contexts).toBeGreaterThan(0);
    await callOk(client, 'delete_context', { id: next.id });
    expect(await callError(client, 'get_context', { id: next.id })).toBe(`Context unit ${next.id} not found`);
    expect(await callError(client, 'supersede_context', { id: unit.id, content: 'again' })).toBe(
      `Context unit ${unit.id} is already superseded`,
    );
  });

  it('gives the server’s message for refused input, and writes nothing', async () => {
    const before = (await callOk<Stats>(client, 'context_stats')).total_contexts;
    expect(await callError(client, 'add_context', { type: 'fact', content: '\u200b' })).toBe('Content cannot be empty');
    expect(await callError(client, 'add_context', { type: 'fact', content: 'x', tags: ['a/b'] })).toMatch(/[Tt]ag/);
    expect(await callError(client, 'add_context', { type: 'fact', content: 5 })).toMatch(/content/);
    expect((await callOk<Stats>(client, 'context_stats')).total_contexts).toBe(before);
  });

  it('takes the URL, key and secret from flags too (no environment)', async () => {
    const flagged = await spawnStdio(['--url', server.base, '--api-key', KEY, '--signing-secret', SECRET], {});
    try {
      const word = token();
      const unit = await callOk<ContextUnit>(flagged, 'add_context', { type: 'fact', content: `Flagged ${word}` });
      expect(await callOk(flagged, 'get_context', { id: unit.id })).toEqual(unit);
    } finally {
      await flagged.close();
    }
  });

  it('reports a wrong key as the server’s 401 message', async () => {
    const wrong = await spawnStdio([], {
      CONTEXTPILOT_URL: server.base,
      CONTEXTPILOT_API_KEY: 'wrong',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
    });
    try {
      expect(await callError(wrong, 'context_stats', {})).toBe('API key required: missing or invalid X-API-Key header');
    } finally {
      await wrong.close();
    }
  });
});

describe('stdio, embedded: a local SQLite file, no server', () => {
  let client: Client;
  const db = join(tempDir(), 'embedded.db');
  beforeAll(async () => {
    client = await spawnStdio(['--db', db], {
      CONTEXTPILOT_LOG_LEVEL: 'silent',
      CONTEXTPILOT_EMBEDDING_WORKERS: '1',
    });
  });
  afterAll(async () => {
    await client?.close();
  });

  it('stores, ranks and supersedes units in the file with the server’s services', async () => {
    const word = token();
    const changed = nextListChanged(client);
    const unit = await callOk<ContextUnit>(client, 'add_context', {
      type: 'preference',
      content: `  I prefer dark roast coffee ${word}\u0007 `,
      tags: ['Coffee', 'coffee'],
    });
    // Sanitized and merged exactly as REST does it.
    expect(unit).toMatchObject({ content: `I prefer dark roast coffee ${word}`, tags: ['Coffee'] });
    await changed;
    const found = await callOk<{ results: RankedContextUnit[] }>(client, 'search_context', {
      task: `coffee ${word}`,
      types: ['preference'],
    });
    expect(found.results.map((r) => r.context_unit.id)).toEqual([unit.id]);
    expect(found.results[0]?.score_breakdown.lexical).toBeGreaterThan(0);
    const next = await callOk<ContextUnit>(client, 'supersede_context', {
      id: unit.id,
      content: `Light roast ${word}`,
    });
    expect(await callOk(client, 'get_context', { id: unit.id })).toMatchObject({ superseded_by: next.id });
    expect(await callError(client, 'get_context', { id: 'missing' })).toBe('Context unit missing not found');
    expect(await callError(client, 'add_context', { type: 'fact', content: 'a'.repeat(10_001) })).toBe(
      'Content exceeds maximum length of 10000 characters',
    );
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain(`contextpilot://contexts/${next.id}`);
  });

  it('writes to the file it was given', async () => {
    const { openSqlite } = await import('../../src/storage/sqlite/sqlite-store.js');
    const storage = openSqlite(db);
    try {
      const units = await storage.contexts.listAll();
      expect(units.length).toBeGreaterThanOrEqual(2);
    } finally {
      await storage.close();
    }
  });
});
