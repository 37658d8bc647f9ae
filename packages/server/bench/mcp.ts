/**
 * The MCP section, on the seeded server of one size: `search_context` over Streamable HTTP against
 * `POST /generate-prompt` (paired, the same tasks, the same keep-alive client, so both see the same moment's machine),
 * then the embedded stdio server on a copy of the same database: the time from spawning it to its first answer (model
 * and index load included) and the latency of the calls after that, through the SDK's own client.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

import { ROUTE_LIMITS, type BenchContext } from './context.js';
import { failureRow, sample, withOthers } from './endpoints.js';
import type { HttpResponse } from './http.js';
import { runPaired, runSequential, type Sample } from './load.js';
import { REPO_ROOT, type ServerHandle } from './server-process.js';

const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

/** An MCP session over the benchmark's own HTTP client: initialize, then `tools/call` requests. */
async function openSession(ctx: BenchContext, server: ServerHandle) {
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    server.client.send('/mcp', {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...headers, ...ctx.rateLimits.headers('mcp', ROUTE_LIMITS.generatePrompt) },
      body: JSON.stringify(body),
    });
  const init = await post({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
  });
  const sessionId = init.headers['mcp-session-id'];
  if (init.status !== 200 || typeof sessionId !== 'string') {
    throw new Error(`MCP initialize: HTTP ${init.status}: ${init.body.toString('utf8').slice(0, 160)}`);
  }
  const session = { 'mcp-session-id': sessionId };
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session);
  let id = 1;
  return (name: string, args: Record<string, unknown>): Promise<HttpResponse> =>
    post({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name, arguments: args } }, session);
}

export async function runMcp(
  ctx: BenchContext,
  server: ServerHandle,
  size: number,
  tasks: readonly string[],
  databasePath: string,
): Promise<void> {
  const s = 'mcp';
  // 1. search_context over Streamable HTTP, paired with POST /generate-prompt.
  ctx.progress(`size ${size}: MCP search_context over HTTP vs POST /generate-prompt`);
  const call = await openSession(ctx, server);
  // A tool error counts as a failed request, like an error status.
  const mcp = (i: number) =>
    sample(async () => {
      const response = await call('search_context', { task: tasks[i % tasks.length], max_results: 5 });
      const answer = JSON.parse(response.body.toString('utf8')) as { result?: CallToolResult };
      return answer.result !== undefined && answer.result.isError !== true ? response : { ...response, status: 599 };
    }, 200);
  const rest = (i: number) =>
    sample(
      () =>
        server.client.send('/generate-prompt', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...ctx.rateLimits.headers('POST /generate-prompt', ROUTE_LIMITS.generatePrompt),
          },
          body: JSON.stringify({ task: tasks[i % tasks.length], max_context_units: 5 }),
        }),
      200,
    );
  await runPaired(ctx.counts.warmup, 60_000, mcp, rest);
  let watch = ctx.watchOthers();
  const [viaMcp, viaRest] = await runPaired(ctx.counts.sequential, 180_000, mcp, rest);
  const othersHttp = watch.stop();
  ctx.rows.push(
    ...withOthers(othersHttp, [
      { section: s, size, metric: 'MCP search_context (HTTP) p50', value: viaMcp.latency.p50, unit: 'ms' },
      {
        section: s,
        size,
        metric: 'MCP search_context (HTTP) p95',
        value: viaMcp.latency.p95,
        unit: 'ms',
        target: { kind: 'max', limit: viaRest.latency.p95 + 3 },
        note: `target: POST /generate-prompt p95 (${viaRest.latency.p95.toFixed(2)} ms, same tasks, paired) + 3 ms`,
      },
      { section: s, size, metric: 'POST /generate-prompt p95 (paired)', value: viaRest.latency.p95, unit: 'ms' },
    ]),
    ...failureRow(s, size, 'MCP search_context (HTTP)', viaMcp),
    ...failureRow(s, size, 'POST /generate-prompt (paired)', viaRest),
  );

  // 2. The embedded stdio server on a copy of the database (the running server keeps its own file).
  ctx.progress(`size ${size}: MCP embedded over stdio`);
  const copy = join(ctx.workRoot, `mcp-embedded-${size}.db`);
  copyFileSync(databasePath, copy);
  if (existsSync(`${databasePath}-wal`)) {
    copyFileSync(`${databasePath}-wal`, `${copy}-wal`);
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.toUpperCase().startsWith('CONTEXTPILOT_') && key !== 'NODE_OPTIONS') {
      env[key] = value;
    }
  }
  env.CONTEXTPILOT_LOG_LEVEL = 'warning';
  const entry =
    ctx.mode === 'src'
      ? ['--conditions', 'development', '--import', import.meta.resolve('tsx'), 'packages/cli/src/bin.ts', 'mcp']
      : ['packages/cli/dist/bin.js', 'mcp'];
  watch = ctx.watchOthers();
  const spawned = performance.now();
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [...entry, '--db', copy],
      cwd: REPO_ROOT,
      env,
      stderr: 'ignore',
    }),
  );
  try {
    const first = (await client.callTool({
      name: 'search_context',
      arguments: { task: tasks[0] ?? 'first', max_results: 5 },
    })) as CallToolResult;
    const firstMs = performance.now() - spawned;
    const othersFirst = watch.stop();
    if (first.isError === true) {
      throw new Error(`embedded search_context failed: ${JSON.stringify(first.content).slice(0, 160)}`);
    }
    const stdioCall = async (i: number): Promise<Sample> => {
      const started = performance.now();
      try {
        const result = (await client.callTool({
          name: 'search_context',
          arguments: { task: tasks[(i + 1) % tasks.length], max_results: 5 },
        })) as CallToolResult;
        const ms = performance.now() - started;
        return result.isError === true ? { ok: false, ms, error: JSON.stringify(result.content) } : { ok: true, ms };
      } catch (error) {
        return { ok: false, ms: 0, error: error instanceof Error ? error.message : String(error) };
      }
    };
    await runSequential(ctx.counts.warmup, 60_000, stdioCall);
    watch = ctx.watchOthers();
    const later = await runSequential(ctx.counts.sequential, 180_000, stdioCall);
    const othersLater = watch.stop();
    ctx.rows.push(
      {
        section: s,
        size,
        metric: 'MCP embedded (stdio): spawn → first answer',
        value: firstMs,
        unit: 'ms',
        target: { kind: 'max', limit: 5000 },
        note: 'process start, store, embedding model and vector index load, first search_context',
        otherCores: othersFirst,
      },
      ...withOthers(othersLater, [
        {
          section: s,
          size,
          metric: 'MCP embedded (stdio) search_context p95',
          value: later.latency.p95,
          unit: 'ms',
          target: { kind: 'max', limit: 40 },
          note: `p50 ${later.latency.p50.toFixed(2)} ms, through the SDK's client`,
        },
      ]),
      ...failureRow(s, size, 'MCP embedded (stdio) search_context', later),
    );
    ctx.details[`mcp-${size}`] = { http: viaMcp.latency, rest: viaRest.latency, firstMs, stdio: later.latency };
  } finally {
    await client.close();
  }
}
