import type { CallCost, McpServerOptions } from '@contextpilot/mcp';
import type { Logger } from 'pino';

import { AppError } from '../errors.js';
import { spendBudget, type RateBudget } from '../http/plugins/rate-limit.js';
import { CREATE_BUDGET } from '../http/routes/contexts.js';
import { promptBudget } from '../http/routes/prompt.js';
import type { CounterStore } from '../storage/counters/counter-store.js';

/** The REST budget each kind of MCP call counts against (the one of the route that does the same work). */
const BUDGETS: Record<CallCost, RateBudget> = {
  create: CREATE_BUDGET,
  rank: promptBudget(false),
  'rank-compact': promptBudget(true),
};

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
      const ip = info.authInfo?.extra?.clientIp;
      const { refusal } = await spendBudget(counters, BUDGETS[cost], typeof ip === 'string' ? ip : 'unknown');
      if (refusal !== null) {
        throw refusal;
      }
    },
  };
}
