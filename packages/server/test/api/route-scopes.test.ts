import { readFileSync } from 'node:fs';

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isScope } from '@contextpilot/contract';
import { MCP_TOOL_NAMES, MCP_TOOL_SCOPES } from '@contextpilot/mcp';

import type { RouteScope } from '../../src/http/plugins/scope-check.js';
import { buildTestApp, fakeWebUi, inject } from '../helpers.js';

/**
 * Every route of the real app declares the scope it needs, and docs/SECURITY.md says the same. The routes are read
 * from the router itself, so a route the scope table missed would show here too.
 */

const KEY = 'route-scopes-test-key-0123456789abcdef';
let app: FastifyInstance;
beforeAll(async () => {
  // Everything that adds routes switched on: metrics, MCP, the web UI's files.
  app = await buildTestApp({
    CONTEXTPILOT_ENABLE_AUTH: 'true',
    CONTEXTPILOT_API_KEY: KEY,
    CONTEXTPILOT_ENABLE_METRICS: 'true',
    CONTEXTPILOT_MCP_ENABLED: 'true',
    CONTEXTPILOT_WEB_DIR: fakeWebUi(),
  });
});
afterAll(async () => {
  await app.close();
});

/**
 * Every method and path the router serves, read from `printRoutes`: one line per node of its radix tree, indented four
 * characters a level, a node's label continuing its parent's path, its methods (if a route ends there) in parentheses.
 * (The tree without common prefixes leaves the static part of wildcard paths out, so it is not used.)
 */
function routerRoutes(target: FastifyInstance): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of target.printRoutes().split('\n')) {
    const node = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (node === null) {
      continue;
    }
    const depth = (node[1] ?? '').length / 4;
    const path = (prefixes[depth - 1] ?? '') + (node[2] ?? '');
    prefixes[depth] = path;
    for (const method of node[3]?.split(', ') ?? []) {
      routes.push(`${method} ${path}`);
    }
  }
  return routes.sort();
}

const tableOf = (target: FastifyInstance) =>
  new Map(target.routeScopes.map(({ method, url, scope }) => [`${method} ${url}`, scope]));

/** The table of docs/SECURITY.md's "Scopes" section: each row's scope cell, REST routes and MCP names. */
function documentedScopes(): { scope: string; routes: string[]; mcp: string[] }[] {
  const doc = readFileSync(new URL('../../../../docs/SECURITY.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('\n## Scopes\n'), doc.indexOf('\n## ', doc.indexOf('\n## Scopes\n') + 1));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| Scope ') && !line.startsWith('| ---'))
    .map((line) => {
      const [scopeCell = '', routesCell = '', mcpCell = ''] = line.split('|').slice(1);
      const scope = /`([^`]+)`/.exec(scopeCell)?.[1] ?? scopeCell.trim();
      const routes = [...routesCell.matchAll(/`((?:GET|POST|PUT|PATCH|DELETE) \/[^`]*)`/g)].map((m) =>
        (m[1] ?? '').replace(/\{(\w+)\}/g, ':$1'),
      );
      const mcp = [...mcpCell.matchAll(/`([a-z_]+)`/g)].map((m) => m[1] ?? '');
      return { scope, routes, mcp };
    });
}

/** The web UI, the docs and the public routes of app.ts: nothing else may be public. */
const PUBLIC_PATH = /^\/(|health|openapi\.json|docs(\/.*)?|assets\/\*|favicon\.(svg|ico)|robots\.txt)$/;

describe('route scopes', () => {
  it('has a declared scope for every route the router serves', () => {
    const routes = routerRoutes(app);
    const table = tableOf(app);
    // The parse found the routes of every part of the app.
    expect(routes).toEqual(
      expect.arrayContaining(['GET /', 'GET /docs', 'GET /assets/*', 'GET /metrics', 'POST /mcp', 'POST /contexts']),
    );
    expect(routes.length).toBeGreaterThan(40);
    for (const route of routes) {
      const scope: RouteScope | undefined = table.get(route);
      expect(
        scope === 'public' || scope === 'per-tool' || scope === 'any-key' || isScope(scope),
        `${route}: ${String(scope)}`,
      ).toBe(true);
    }
    expect([...table.keys()].sort()).toEqual(routes);
  });

  it('makes public only the web UI, the docs, / and /health; only /mcp checks per tool; only key management takes any key', () => {
    for (const [route, scope] of tableOf(app)) {
      const path = route.slice(route.indexOf(' ') + 1);
      expect(scope === 'public', route).toBe(PUBLIC_PATH.test(path));
      expect(scope === 'per-tool', route).toBe(path === '/mcp');
      expect(scope === 'any-key', route).toBe(path.startsWith('/security/keys'));
    }
  });

  it('gives HEAD the scope of GET', () => {
    const table = tableOf(app);
    for (const [route, scope] of table) {
      if (route.startsWith('HEAD ')) {
        expect(scope, route).toBe(table.get(`GET ${route.slice(5)}`));
      }
    }
  });

  it('matches the table in docs/SECURITY.md, REST and MCP', () => {
    const rows = documentedScopes();
    const byRoute = new Map<string, string>();
    for (const { scope, routes } of rows) {
      const declared =
        scope === 'any valid key'
          ? 'per-tool'
          : scope === 'any key, for itself'
            ? 'any-key'
            : scope === 'none (public)'
              ? 'public'
              : scope;
      for (const route of routes) {
        expect(byRoute.has(route), `${route} documented twice`).toBe(false);
        byRoute.set(route, declared);
      }
    }
    const table = tableOf(app);
    for (const [route, scope] of byRoute) {
      expect(table.get(route), `documented ${route}`).toBe(scope);
    }
    // Every route that needs a key is documented; of the public ones, the docs name the families.
    for (const [route, scope] of table) {
      if (scope !== 'public' && !route.startsWith('HEAD ')) {
        expect(byRoute.get(route), `undocumented ${route}`).toBe(scope);
      }
    }
    for (const tool of MCP_TOOL_NAMES) {
      const row = rows.find((r) => r.mcp.includes(tool));
      expect(row?.scope, tool).toBe(MCP_TOOL_SCOPES[tool]);
    }
  });

  it('lets the v1 key, an admin key, through routes of every scope', async () => {
    const headers = { 'x-api-key': KEY };
    for (const url of ['/contexts', '/settings', '/security/events', '/ai/conversations', '/metrics']) {
      const res = await inject(app, { method: 'GET', url, headers });
      expect(res.statusCode, url).toBe(200);
    }
    const events = await app.parts.audit.list({ limit: 10, offset: 0, event: 'forbidden' });
    expect(events).toEqual([]);
  });
});
