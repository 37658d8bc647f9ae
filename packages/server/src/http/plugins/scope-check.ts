import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';

import { hasScope, isScope, missingScopeMessage, type Scope } from '@contextpilot/contract';

import { AppError } from '../../errors.js';
import { keyActor } from '../../services/audit-events.js';
import type { AuditService } from '../../services/audit-service.js';
import { eventRequest, routeOf } from '../request-facts.js';

/**
 * What a route needs, declared next to its definition as `config.scope`:
 * - a `Scope`: the request's key must hold it (or `admin`); checked by `scope-check` before the handler;
 * - `'per-tool'`: any valid key, and the handler checks the scope of each operation itself (`/mcp`, where every MCP
 *   tool, prompt and resource declares its own);
 * - `'any-key'`: any valid key, and the handler limits what it does to what the key itself may do (key management:
 *   a key manages its own person's keys and grants only scopes it holds; `admin` manages everyone's);
 * - `'public'`: no key at all. Only outside the protected context (`/`, `/health`, the docs, the web UI's files).
 */
export type RouteScope = Scope | 'per-tool' | 'any-key' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope this route needs (see `RouteScope`). Every route declares one, or the app does not start. */
    scope?: RouteScope;
  }
  interface FastifyInstance {
    /** Every route of the app with the scope it declared, in the order they were added (`route-scopes`). */
    routeScopes: readonly RouteScopeEntry[];
  }
}

export interface RouteScopeEntry {
  method: string;
  url: string;
  scope: RouteScope;
}

/** Marks the protected context: routes there declare a scope or `'per-tool'`, never `'public'`. */
const PROTECTED_CONTEXT = Symbol('contextpilot.protectedContext');
/** Marks a context that holds a third-party plugin's public routes, which take no config of ours. */
const PLUGIN_PUBLIC_CONTEXT = Symbol('contextpilot.pluginPublicContext');

function isRouteScope(value: unknown): value is RouteScope {
  return value === 'public' || value === 'per-tool' || value === 'any-key' || isScope(value);
}

/** A route whose declaration is missing or does not fit its context: a programming error, found at start-up. */
function declarationError(route: RouteOptions, problem: string): Error {
  const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
  return new Error(`Route ${methods} ${route.url}: ${problem}`);
}

/**
 * Makes every route declare its scope: a route without `config.scope`, with an unknown value, with `'public'` in the
 * protected context or with a scope outside it makes registration throw, so the app does not start. Registered first,
 * at the root, before any route. Keeps the table of routes and scopes as `app.routeScopes`.
 */
export const routeScopesPlugin = fp(
  (app: FastifyInstance) => {
    const table: RouteScopeEntry[] = [];
    app.decorate('routeScopes', table);
    // `this` is the context the route is registered in.
    app.addHook('onRoute', function check(this: FastifyInstance, route) {
      const declared: unknown = route.config?.scope;
      const pluginPublic = this.hasDecorator(PLUGIN_PUBLIC_CONTEXT);
      if (declared === undefined && pluginPublic) {
        route.config = { ...route.config, scope: 'public' };
      } else if (declared === undefined) {
        throw declarationError(route, 'declare the scope it needs as config.scope next to its definition');
      } else if (!isRouteScope(declared)) {
        throw declarationError(route, `unknown scope ${JSON.stringify(declared)}`);
      }
      const scope = route.config?.scope as RouteScope;
      const isProtected = this.hasDecorator(PROTECTED_CONTEXT);
      if (isProtected && scope === 'public') {
        throw declarationError(route, 'a route in the protected context cannot be public');
      }
      if (!isProtected && scope !== 'public') {
        throw declarationError(route, `scope "${scope}" outside the protected context would never be checked`);
      }
      for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
        table.push({ method, url: route.url, scope });
      }
    });
  },
  { name: 'route-scopes' },
);

/**
 * Runs `register` (which registers a third-party plugin whose routes take no config of ours: the docs, static files)
 * in a context of its own where a route without a declared scope is public. Nothing but public routes may be
 * registered this way.
 */
export async function publicPluginContext(
  app: FastifyInstance,
  register: (context: FastifyInstance) => PromiseLike<unknown>,
): Promise<void> {
  await app.register(async (context) => {
    context.decorate(PLUGIN_PUBLIC_CONTEXT, true);
    await register(context);
  });
}

export interface ScopeCheckOptions {
  audit: Pick<AuditService, 'record'>;
}

/** The 403 of a key that lacks `scope`, in the envelope every error uses. */
export const missingScope = (scope: Scope) =>
  new AppError({ status: 403, message: missingScopeMessage(scope), details: { scope } });

/**
 * The scope each route of the protected context declares, checked against `request.principal` after the key, the
 * signature and the rate limit, before the body is parsed and the handler runs. Where it runs among the other hooks:
 * `README.md` in this folder.
 */
export const scopeCheckPlugin = fp(
  (app: FastifyInstance, options: ScopeCheckOptions) => {
    const { audit } = options;
    // Lands in the context this plugin is registered in: its routes are the protected ones.
    app.decorate(PROTECTED_CONTEXT, true);
    // Not an async hook: a request whose key holds the scope passes without a promise.
    app.addHook('preParsing', (request, _reply, payload, done) => {
      const scope = routeOf(request).scope;
      const principal = request.principal;
      if (scope === undefined || scope === 'public' || principal === undefined) {
        // Start-up refuses the first two in this context (`route-scopes`) and `auth` sets a principal on every
        // request: reaching here is a wiring mistake, and the request is refused.
        done(new Error(`No scope or principal to check for ${request.method} ${request.routeOptions.url}`), payload);
        return;
      }
      if (scope === 'per-tool' || scope === 'any-key' || hasScope(principal.scopes, scope)) {
        done(null, payload);
        return;
      }
      audit.record({
        event: 'forbidden',
        outcome: 'missing_scope',
        request: eventRequest(request),
        actor: keyActor(request.keyFingerprint),
        details: { scope },
      });
      done(missingScope(scope), payload);
    });
  },
  { name: 'scope-check', dependencies: ['auth', 'rate-limit'] },
);
