import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { HttpTestApp } from '../helpers.js';
import { startHttpTestApp, token } from '../helpers.js';
import { callError, callOk, connectHttp } from './mcp-helpers.js';

const KEY = 'mcp-test-key-0123456789abcdef0123456789';
const SECURE = { CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: KEY };

let server: HttpTestApp;
beforeAll(async () => {
  server = await startHttpTestApp(SECURE, Date.now());
});
afterAll(async () => {
  await server.app.close();
});

describe('MCP over Streamable HTTP', () => {
  it('lists the tools', async () => {
    const client = await connectHttp(server.base, { 'x-api-key': KEY });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'add_context',
        'compose_prompt',
        'context_stats',
        'delete_context',
        'get_context',
        'list_contexts',
        'search_context',
        'supersede_context',
        'update_context',
      ].sort(),
    );
    const word = token();
    const unit = await callOk<{ id: string }>(client, 'add_context', { type: 'fact', content: `hello ${word}` });
    const found = await callOk<{ results: { context_unit: { id: string } }[] }>(client, 'search_context', {
      task: word,
    });
    expect(found.results.map((r) => r.context_unit.id)).toContain(unit.id);
    expect(await callError(client, 'get_context', { id: 'nope' })).toBe('Context unit nope not found');
    await client.close();
  });
});
