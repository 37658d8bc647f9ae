import { randomUUID } from 'node:crypto';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ContextUnit, GeneratedPrompt, RankedContextUnit, Stats } from '@contextpilot/contract';

import type { HttpTestApp } from '../helpers.js';
import { startHttpTestApp, token } from '../helpers.js';
import { fetchText, signedCall } from '../api/security-helpers.js';
import { callError, callOk, connectHttp, nextListChanged } from './mcp-helpers.js';

const KEY = 'mcp-test-key-0123456789abcdef0123456789';
const SECRET = 'mcp-test-signing-secret-0123456789abcdef';
const AUTH = { CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: KEY };
const TOOLS = [
  'add_context',
  'compose_prompt',
  'context_stats',
  'delete_context',
  'get_context',
  'list_contexts',
  'search_context',
  'supersede_context',
  'update_context',
];

let server: HttpTestApp;
let client: Client;
beforeAll(async () => {
  server = await startHttpTestApp(AUTH, Date.now());
  client = await connectHttp(server.base, { 'x-api-key': KEY });
});
afterAll(async () => {
  await client.close();
  await server.app.close();
});

const add = (args: Record<string, unknown>) => callOk<ContextUnit>(client, 'add_context', args);
const total = async () => (await callOk<Stats>(client, 'context_stats')).total_contexts;

describe('listing', () => {
  it('lists every tool with an object input schema, an output schema and truthful hints', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(tool.description?.length, tool.name).toBeGreaterThan(20);
    }
    const hints = Object.fromEntries(tools.map((t) => [t.name, t.annotations]));
    for (const name of ['search_context', 'compose_prompt', 'list_contexts', 'get_context', 'context_stats']) {
      expect(hints[name]?.readOnlyHint, name).toBe(true);
    }
    expect(hints.add_context).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(hints.update_context).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    expect(hints.supersede_context).toMatchObject({ destructiveHint: true, idempotentHint: false });
    expect(hints.delete_context).toMatchObject({ destructiveHint: true, idempotentHint: true });
    const add = tools.find((t) => t.name === 'add_context');
    expect(add?.inputSchema.required).toEqual(['type', 'content']);
  });

  it('lists the resources, the unit template and the prompt', async () => {
    const unit = await add({ type: 'goal', content: `Listed as a resource ${token()}` });
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(
      expect.arrayContaining([
        'contextpilot://contexts',
        'contextpilot://contexts/preference',
        'contextpilot://contexts/goal',
        'contextpilot://contexts/decision',
        'contextpilot://contexts/fact',
        `contextpilot://contexts/${unit.id}`,
      ]),
    );
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['contextpilot://contexts/{id}']);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => [p.name, p.arguments?.map((a) => [a.name, a.required])])).toEqual([
      ['with-my-context', [['task', true]]],
    ]);
  });
});

describe('tools', () => {
  it('adds, gets, updates, supersedes, lists and deletes a unit', async () => {
    const word = token();
    const unit = await add({ type: 'preference', content: ` I like tea ${word} `, tags: ['Drinks'], confidence: 0.8 });
    expect(unit).toMatchObject({
      type: 'preference',
      content: `I like tea ${word}`,
      tags: ['Drinks'],
      source: 'manual',
    });
    expect(await callOk(client, 'get_context', { id: unit.id })).toEqual(unit);

    const updated = await callOk<ContextUnit>(client, 'update_context', { id: unit.id, confidence: 0.5 });
    expect(updated).toEqual({ ...unit, confidence: 0.5 });

    const replacement = await callOk<ContextUnit>(client, 'supersede_context', {
      id: unit.id,
      content: `I like green tea ${word}`,
    });
    expect(replacement).toMatchObject({ type: 'preference', tags: ['Drinks'], confidence: 0.5, status: 'active' });
    expect(await callOk(client, 'get_context', { id: unit.id })).toMatchObject({
      status: 'superseded',
      superseded_by: replacement.id,
    });

    const active = await callOk<{ units: ContextUnit[]; count: number }>(client, 'list_contexts', { search: word });
    expect(active).toEqual({ units: [replacement], count: 1 });
    const all = await callOk<{ units: ContextUnit[] }>(client, 'list_contexts', {
      search: word,
      include_superseded: true,
      limit: 10,
    });
    expect(all.units.map((u) => u.id)).toEqual([unit.id, replacement.id]);

    expect(await callOk(client, 'delete_context', { id: replacement.id })).toEqual({
      deleted: true,
      id: replacement.id,
    });
    expect(await callError(client, 'get_context', { id: replacement.id })).toBe(
      `Context unit ${replacement.id} not found`,
    );
  });

  it('searches with scores, breakdowns and filters', async () => {
    const word = token();
    const goal = await add({ type: 'goal', content: `Run a marathon ${word}`, tags: ['sport'] });
    const fact = await add({ type: 'fact', content: `My marathon time is four hours ${word}` });
    const found = await callOk<{ task: string; results: RankedContextUnit[] }>(client, 'search_context', {
      task: `marathon ${word}`,
      max_results: 10,
    });
    expect(found.task).toBe(`marathon ${word}`);
    expect(found.results.map((r) => r.context_unit.id)).toEqual(expect.arrayContaining([goal.id, fact.id]));
    for (const r of found.results) {
      expect(r.relevance_score).toBeGreaterThanOrEqual(0);
      expect(r.relevance_score).toBeLessThanOrEqual(1);
      expect(Object.keys(r.score_breakdown).sort()).toEqual(
        ['confidence', 'fused', 'lexical', 'matched_tags', 'semantic', 'sequence', 'tag_bonus'].sort(),
      );
    }
    const goals = await callOk<{ results: RankedContextUnit[] }>(client, 'search_context', {
      task: `marathon ${word}`,
      types: ['goal'],
      max_results: 10,
    });
    expect(goals.results.map((r) => r.context_unit.id)).toContain(goal.id);
    expect(goals.results.every((r) => r.context_unit.type === 'goal')).toBe(true);
    const tagged = await callOk<{ results: RankedContextUnit[] }>(client, 'search_context', {
      task: `marathon ${word}`,
      tags: ['SPORT'],
    });
    expect(tagged.results.map((r) => r.context_unit.id)).toEqual([goal.id]);
    const scores = found.results.map((r) => r.relevance_score);
    const cut = (Math.max(...scores) + Math.min(...scores)) / 2;
    const strict = await callOk<{ results: RankedContextUnit[] }>(client, 'search_context', {
      task: `marathon ${word}`,
      max_results: 10,
      min_score: cut,
    });
    expect(strict.results.length).toBeGreaterThan(0);
    expect(strict.results.length).toBeLessThan(found.results.length);
    expect(strict.results.every((r) => r.relevance_score >= cut)).toBe(true);
  });

  it('composes the full and the compact prompt, as REST does', async () => {
    const word = token();
    await add({ type: 'decision', content: `We use PostgreSQL ${word}` });
    const task = `Which database ${word}?`;
    for (const compact of [false, true]) {
      const viaMcp = await callOk<GeneratedPrompt>(client, 'compose_prompt', { task, compact });
      const viaRest = await fetchText(`${server.base}/generate-prompt${compact ? '/compact' : ''}`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ task }),
      });
      const rest = viaRest.json as GeneratedPrompt;
      expect(viaMcp.generated_prompt).toBe(rest.generated_prompt);
      expect(viaMcp.relevant_context.map((r) => r.context_unit.id)).toEqual(
        rest.relevant_context.map((r) => r.context_unit.id),
      );
      const result = await client.callTool({ name: 'compose_prompt', arguments: { task, compact } });
      expect(result.content).toEqual([{ type: 'text', text: rest.generated_prompt }]);
    }
  });

  it('reports the stats of REST', async () => {
    const stats = await callOk<Stats>(client, 'context_stats');
    const rest = (await fetchText(`${server.base}/stats`, { headers: { 'x-api-key': KEY } })).json as Stats;
    expect(stats).toEqual(rest);
  });

  it('reads the resources and renders the prompt', async () => {
    const word = token();
    const unit = await add({ type: 'fact', content: `Resource body ${word}` });
    const one = await client.readResource({ uri: `contextpilot://contexts/${unit.id}` });
    expect(JSON.parse((one.contents[0] as { text: string }).text)).toEqual(unit);
    const facts = await client.readResource({ uri: 'contextpilot://contexts/fact' });
    const listed = JSON.parse((facts.contents[0] as { text: string }).text) as ContextUnit[];
    expect(listed.every((u) => u.type === 'fact' && u.status === 'active')).toBe(true);
    await expect(client.readResource({ uri: `contextpilot://contexts/${randomUUID()}` })).rejects.toThrow(/not found/);

    const prompt = await client.getPrompt({ name: 'with-my-context', arguments: { task: `Tell me ${word}` } });
    expect(prompt.messages).toHaveLength(1);
    expect(prompt.messages[0]?.role).toBe('user');
    const text = (prompt.messages[0]?.content as { text: string }).text;
    expect(text).toContain(`Resource body ${word}`);
    expect(text).toContain(`Tell me ${word}`);
    await expect(client.getPrompt({ name: 'with-my-context', arguments: { task: '   ' } })).rejects.toThrow(
      /Content cannot be empty/,
    );
  });
});

describe('tool errors', () => {
  it('answers an unknown id with the API message on every tool that takes one', async () => {
    const id = randomUUID();
    const message = `Context unit ${id} not found`;
    expect(await callError(client, 'get_context', { id })).toBe(message);
    expect(await callError(client, 'update_context', { id, content: 'x' })).toBe(message);
    expect(await callError(client, 'supersede_context', { id, content: 'x' })).toBe(message);
    expect(await callError(client, 'delete_context', { id })).toBe(message);
  });

  it('refuses to supersede a unit twice', async () => {
    const unit = await add({ type: 'fact', content: `Twice ${token()}` });
    await callOk(client, 'supersede_context', { id: unit.id, content: 'second' });
    expect(await callError(client, 'supersede_context', { id: unit.id, content: 'third' })).toBe(
      `Context unit ${unit.id} is already superseded`,
    );
  });

  const big = 'a'.repeat(10_001);
  const huge = 'b'.repeat(200_001);
  const id = randomUUID();
  // Empty, oversized, wrong-typed and hostile arguments for every tool.
  const BAD: [string, unknown, RegExp][] = [
    ['search_context', {}, /task/],
    ['search_context', { task: '' }, /Content cannot be empty/],
    ['search_context', { task: big }, /exceeds maximum length/],
    ['search_context', { task: huge }, /task/],
    ['search_context', { task: 42 }, /task/],
    ['search_context', { task: 'x', max_results: 0 }, /max_results/],
    ['search_context', { task: 'x', max_results: 21 }, /max_results/],
    ['search_context', { task: 'x', types: ['note'] }, /types/],
    ['search_context', { task: 'x', tags: 'work' }, /tags/],
    ['search_context', { task: 'x', admin: true }, /admin/],
    ['search_context', { task: '\u200b\u200b\u202e' }, /Content cannot be empty/],
    ['compose_prompt', { task: 'x', compact: 'yes' }, /compact/],
    ['compose_prompt', { task: big }, /exceeds maximum length/],
    ['compose_prompt', { task: 'x', max_context_units: 99 }, /max_context_units/],
    ['add_context', {}, /type|content/],
    ['add_context', { type: 'fact', content: '' }, /Content cannot be empty/],
    ['add_context', { type: 'fact', content: '\u200b\u00a0\u3000\t' }, /Content cannot be empty/],
    ['add_context', { type: 'fact', content: big }, /exceeds maximum length of 10000/],
    ['add_context', { type: 'fact', content: huge }, /content/],
    ['add_context', { type: 'note', content: 'x' }, /type/],
    ['add_context', { type: 'fact', content: ['x'] }, /content/],
    ['add_context', { type: 'fact', content: 'x', confidence: 1.5 }, /confidence/],
    ['add_context', { type: 'fact', content: 'x', tags: ['<script>'] }, /[Tt]ag/],
    ['add_context', { type: 'fact', content: 'x', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, /20 tags/],
    ['add_context', { type: 'fact', content: 'x', id: 'mine', status: 'superseded' }, /id|status/],
    ['add_context', { type: 'fact', content: '\ud800 lone surrogate' }, /invalid Unicode/],
    ['update_context', { id, content: '' }, /Content cannot be empty|not found/],
    ['update_context', { id: 'x'.repeat(201), content: 'x' }, /id/],
    ['update_context', { content: 'x' }, /id/],
    ['update_context', { id, confidence: 'high' }, /confidence/],
    ['supersede_context', { id }, /content/],
    ['supersede_context', { id, content: 'x', superseded_by: id }, /superseded_by/],
    ['delete_context', {}, /id/],
    ['delete_context', { id: 5 }, /id/],
    ['delete_context', { id: 'x'.repeat(201) }, /id/],
    ['get_context', { id: null }, /id/],
    ['list_contexts', { type: 'note' }, /Invalid type/],
    ['list_contexts', { limit: -1 }, /limit/],
    ['list_contexts', { limit: 'abc' }, /limit/],
    ['list_contexts', { status_filter: "' OR 1=1--" }, /Invalid status/],
    ['context_stats', { verbose: true }, /verbose/],
  ];
  // Test names show the arguments cut short.
  const cases = BAD.map(([name, args, message]) => ({ name, args, message, shown: JSON.stringify(args).slice(0, 60) }));
  it.each(cases)('$name $shown is a tool error and writes nothing', async ({ name, args, message }) => {
    const before = await total();
    expect(await callError(client, name, args)).toMatch(message);
    expect(await total()).toBe(before);
  });

  it('names an unknown tool as a tool error', async () => {
    expect(await callError(client, 'drop_everything', {})).toMatch(/drop_everything not found/);
  });
});

describe('notifications', () => {
  it('tells the client that the resource list changed after a write through a tool or through REST', async () => {
    const listener = await connectHttp(server.base, { authorization: `Bearer ${KEY}` });
    try {
      const afterTool = nextListChanged(listener);
      await add({ type: 'fact', content: `Notify ${token()}` });
      await afterTool;
      const afterRest = nextListChanged(listener);
      const res = await fetchText(`${server.base}/contexts`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'goal', content: `Notify via REST ${token()}` }),
      });
      expect(res.status).toBe(201);
      await afterRest;
    } finally {
      await listener.close();
    }
  });
});

describe('authentication', () => {
  it('refuses a client without a key or with a wrong one (401)', async () => {
    await expect(connectHttp(server.base)).rejects.toThrow(/401|API key required/);
    await expect(connectHttp(server.base, { 'x-api-key': 'wrong' })).rejects.toThrow(/401|API key required/);
    await expect(connectHttp(server.base, { authorization: 'Bearer wrong' })).rejects.toThrow(/401|API key/);
  });

  it('accepts the key as X-API-Key and as a bearer token', async () => {
    const ways: Record<string, string>[] = [{ 'x-api-key': KEY }, { authorization: `Bearer ${KEY}` }];
    for (const headers of ways) {
      const other = await connectHttp(server.base, headers);
      expect((await other.listTools()).tools).toHaveLength(TOOLS.length);
      await other.close();
    }
  });

  it('answers with the security headers and request id of every API response, errors included', async () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    };
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const ok = await fetchText(`${server.base}/mcp`, {
      method: 'POST',
      headers: { ...headers, 'x-api-key': KEY },
      body: JSON.stringify(initialize),
    });
    const refused = await fetchText(`${server.base}/mcp`, {
      method: 'POST',
      headers,
      body: JSON.stringify(initialize),
    });
    const notAcceptable = await fetchText(`${server.base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify(initialize),
    });
    expect([ok.status, refused.status, notAcceptable.status]).toEqual([200, 401, 406]);
    expect(notAcceptable.json).toMatchObject({ error_code: 'HTTP_ERROR', message: expect.stringMatching(/Accept/) });
    for (const res of [ok, refused, notAcceptable]) {
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
  });

  it('keeps a session to the key that opened it', async () => {
    const rotating = await startHttpTestApp(AUTH, Date.now());
    try {
      const opened = await connectHttp(rotating.base, { 'x-api-key': KEY });
      const transport = (opened as unknown as { transport: { sessionId: string } }).transport;
      const sessionId = transport.sessionId;
      const rotated = await fetchText(`${rotating.base}/security/api-key/rotate`, {
        method: 'POST',
        headers: { 'x-api-key': KEY },
      });
      const newKey = (rotated.json as { api_key: string }).api_key;
      const list = { jsonrpc: '2.0', id: 7, method: 'tools/list' };
      const res = await fetchText(`${rotating.base}/mcp`, {
        method: 'POST',
        headers: {
          'x-api-key': newKey,
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-06-18',
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify(list),
      });
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({
        error_code: 'HTTP_ERROR',
        message: 'MCP session not found: start a new session',
      });
    } finally {
      await rotating.app.close();
    }
  });
});

describe('Origin', () => {
  it.each<Record<string, string>>([
    { origin: 'http://evil.example' },
    { origin: 'null' },
    { origin: 'http://localhost:3000.evil.example' },
    { 'sec-fetch-site': 'cross-site' },
  ])('refuses a browser request from elsewhere: %j (403)', async (headers) => {
    await expect(connectHttp(server.base, { 'x-api-key': KEY, ...headers })).rejects.toThrow(
      /403|Cross-origin request refused/,
    );
    const get = await fetchText(`${server.base}/mcp`, { headers: { 'x-api-key': KEY, ...headers } });
    expect(get.status).toBe(403);
    expect(get.json).toMatchObject({ message: 'Cross-origin request refused' });
  });

  it('refuses a same-origin page under a host name that is not a trusted one (DNS rebinding)', async () => {
    const open = await startHttpTestApp({ ...AUTH, CONTEXTPILOT_ALLOWED_HOSTS: '["*"]' }, Date.now());
    try {
      const port = new URL(open.base).port;
      const rebound = { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` };
      const { rawCall } = await import('../api/security-helpers.js');
      const res = await rawCall(open, 'GET', '/mcp', { 'x-api-key': KEY, ...rebound });
      expect(res.status).toBe(403);
      const plain = await rawCall(open, 'GET', '/contexts', { 'x-api-key': KEY, ...rebound });
      expect(plain.status).toBe(200);
    } finally {
      await open.app.close();
    }
  });

  it('serves a configured origin and the server’s own loopback origin', async () => {
    for (const origin of ['http://localhost:3000', server.base]) {
      const other = await connectHttp(server.base, { 'x-api-key': KEY, origin, 'sec-fetch-site': 'same-site' });
      expect((await other.listTools()).tools).toHaveLength(TOOLS.length);
      await other.close();
    }
  });
});

describe('rate limits', () => {
  it('counts searches against the budget of POST /generate-prompt and answers over it with a tool error', async () => {
    const limited = await startHttpTestApp(AUTH, Date.now());
    try {
      const mcp = await connectHttp(limited.base, { 'x-api-key': KEY });
      for (let i = 0; i < 50; i++) {
        const res = await fetchText(`${limited.base}/generate-prompt`, {
          method: 'POST',
          headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
          body: '{"task":"budget"}',
        });
        expect(res.status).toBe(200);
      }
      expect(await callError(mcp, 'search_context', { task: 'budget' })).toBe('Rate limit exceeded: 50 per 1 minute');
      expect(await callError(mcp, 'compose_prompt', { task: 'budget' })).toBe('Rate limit exceeded: 50 per 1 minute');
      // Other budgets are untouched: the compact prompt and reads still answer.
      await callOk(mcp, 'compose_prompt', { task: 'budget', compact: true });
      await callOk(mcp, 'context_stats');
      limited.time.advance(61_000);
      await callOk(mcp, 'search_context', { task: 'budget' });
      await mcp.close();
    } finally {
      await limited.app.close();
    }
  });
});

describe('sessions', () => {
  it('closes the least recently used session beyond the limit, and idle sessions', async () => {
    const small = await startHttpTestApp({ ...AUTH, CONTEXTPILOT_MCP_MAX_SESSIONS: '2' }, Date.now());
    try {
      const [a, b] = [
        await connectHttp(small.base, { 'x-api-key': KEY }),
        await connectHttp(small.base, { 'x-api-key': KEY }),
      ];
      await a.listTools();
      const c = await connectHttp(small.base, { 'x-api-key': KEY });
      await expect(b.listTools()).rejects.toThrow(/404|not found/i);
      await a.listTools();
      await c.listTools();
      small.time.advance(1801 * 1000);
      await expect(a.listTools()).rejects.toThrow(/404|not found/i);
    } finally {
      await small.app.close();
    }
  });

  it('ends a session on DELETE', async () => {
    const other = await connectHttp(server.base, { 'x-api-key': KEY });
    const transport = (other as unknown as { transport: { terminateSession(): Promise<void> } }).transport;
    await transport.terminateSession();
    await expect(other.listTools()).rejects.toThrow();
  });
});

describe('request signing', () => {
  const signed = {
    ...AUTH,
    CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
    CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
  };

  it('keeps /mcp off while signing is on, unless CONTEXTPILOT_MCP_ENABLED=true', async () => {
    const off = await startHttpTestApp(signed, Date.now());
    try {
      await expect(connectHttp(off.base, { 'x-api-key': KEY })).rejects.toThrow(/Not Found/);
      const res = await fetchText(`${off.base}/mcp`, { headers: { 'x-api-key': KEY } });
      expect(res.status).toBe(404);
    } finally {
      await off.app.close();
    }
  });

  it('serves /mcp unsigned when enabled, while REST writes still need a signature', async () => {
    const on = await startHttpTestApp({ ...signed, CONTEXTPILOT_MCP_ENABLED: 'true' }, Date.now());
    try {
      const mcp = await connectHttp(on.base, { 'x-api-key': KEY });
      const unit = await callOk<ContextUnit>(mcp, 'add_context', { type: 'fact', content: `Unsigned ${token()}` });
      const unsigned = await signedCall({ secret: SECRET, key: KEY }, on.base, 'POST', '/contexts', {
        body: '{"type":"fact","content":"needs a signature"}',
        sign: false,
      });
      expect(unsigned.status).toBe(401);
      const rest = await signedCall({ secret: SECRET, key: KEY }, on.base, 'GET', `/contexts/${unit.id}`);
      expect(rest.json).toEqual(unit);
      await mcp.close();
    } finally {
      await on.app.close();
    }
  });
});
