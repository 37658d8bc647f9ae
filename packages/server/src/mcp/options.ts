import type { FastifyRequest } from 'fastify';
import type { CallCost, CallInfo, McpServerOptions } from '@contextpilot/mcp';
import type { Logger } from 'pino';

import { isScope } from '@contextpilot/contract';

import { AppError } from '../errors.js';
import { spendBudget, type RateBudget } from '../http/plugins/rate-limit.js';
import { clientIp, eventRequest } from '../http/request-facts.js';
import { CREATE_BUDGET } from '../http/routes/contexts.js';
import { promptBudget } from '../http/routes/prompt.js';
import { keyActor, type EventRequest } from '../services/audit-events.js';
import type { AuditService } from '../services/audit-service.js';
import type { CounterStore } from '../storage/counters/counter-store.js';

/** The REST budget each kind of MCP call counts against (the one of the route that does the same work). */
const BUDGETS: Record<CallCost, RateBudget> = {
  create: CREATE_BUDGET,
  rank: promptBudget(false),
  'rank-compact': promptBudget(true),
};

/** What a `/mcp` request's authentication tells the MCP server, for each call that request carries. */
interface CallFacts {
  /** The key's fingerprint (null with authentication off). */
  keyFingerprint: string | null;
  clientIp: string;
  /** The request, for the audit events of its calls. */
  request: EventRequest;
}

/**
 * The `authInfo` the transport hands to every call of a `/mcp` request: the scopes of the request's principal (none
 * without one) and, in `extra`, the facts the rate limits and audit events of a call need.
 */
export function mcpAuthInfo(request: FastifyRequest) {
  const keyFingerprint = request.keyFingerprint ?? null;
  const facts: CallFacts = { keyFingerprint, clientIp: clientIp(request), request: eventRequest(request) };
  return {
    token: '',
    clientId: keyFingerprint ?? 'anonymous',
    scopes: [...(request.principal?.scopes ?? [])],
    extra: { ...facts },
  };
}

/** The facts `mcpAuthInfo` left for a call; null for a call that did not come through `/mcp`. */
function callFacts(info: CallInfo): CallFacts | null {
  const extra = info.authInfo?.extra;
  // Written by `mcpAuthInfo` above, with exactly these fields.
  return extra !== undefined && typeof extra.clientIp === 'string' ? (extra as unknown as CallFacts) : null;
}

/** How the MCP server reports this process's errors: an AppError with its message, anything else logged, generic. */
export function errorOptions(
  log: Pick<Logger, 'error'>,
): Pick<McpServerOptions, 'describeError' | 'onUnexpectedError'> {
  return {
    describeError: (error) => (error instanceof AppError ? error.message : null),
    onUnexpectedError: (error) => log.error({ err: error }, 'MCP call failed'),
  };
}

/**
 * Counts each MCP call with a cost against the REST budget it stands for, per client IP (what the `/mcp` request's
 * authentication left in `authInfo`), so that MCP gives no way around the API's rate limits.
 */
export function rateLimitOptions(counters: CounterStore): Pick<McpServerOptions, 'beforeCall'> {
  return {
    beforeCall: async (cost, info) => {
      const ip = callFacts(info)?.clientIp ?? 'unknown';
      const { refusal } = await spendBudget(counters, BUDGETS[cost], ip);
      if (refusal !== null) {
        throw refusal;
      }
    },
  };
}

/**
 * Checks each MCP call against the scopes of the `/mcp` request that carries it (what `mcpAuthInfo` left; a call
 * without them holds none), and records every refusal as a `forbidden` event, as the REST routes' scope check does.
 */
export function scopeOptions(
  audit: Pick<AuditService, 'record'>,
): Pick<McpServerOptions, 'grantedScopes' | 'onForbidden'> {
  return {
    grantedScopes: (info) => (info.authInfo?.scopes ?? []).filter(isScope),
    onForbidden: ({ scope, kind, name }, info) => {
      const facts = callFacts(info);
      audit.record({
        event: 'forbidden',
        outcome: 'missing_scope',
        request: facts?.request,
        actor: keyActor(facts?.keyFingerprint),
        details: { scope, [kind]: name },
      });
    },
  };
}
