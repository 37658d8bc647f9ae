import { newId } from '../ids.js';

import { toTimestamp } from '../domain/types.js';
import type { SecurityEvent } from '../storage/store.js';
import { EDGE_REFUSAL_EVENTS, type EventInput, type EventRequest } from './audit-events.js';

/** Reads: requests that change nothing. Every other method keeps a row per request. */
const AGGREGATED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Whether an event may be folded into a summary row: a successful key check on a read of a matched route, or a request
 * refused before any route ran (a foreign Host, a cross-site write; their details are part of what groups them).
 * Other failures, writes, unmatched paths and the security endpoints (reading the audit log, rotating the key) always
 * get a row of their own. The route pattern decides, not the path as sent, which a client may spell with escapes.
 */
export function isAggregatable(input: EventInput): input is EventInput & { request: EventRequest } {
  if (input.request !== undefined && EDGE_REFUSAL_EVENTS.has(input.event)) {
    return true;
  }
  const route = input.request?.route;
  return (
    input.event === 'api_key_auth' &&
    input.outcome === 'valid_key' &&
    input.details === undefined &&
    route !== undefined &&
    AGGREGATED_METHODS.has(input.request?.method ?? '') &&
    !route.startsWith('/security/')
  );
}

interface Group {
  event: string;
  outcome: string;
  request: EventRequest;
  actor: string | null;
  details: Record<string, unknown>;
  firstMs: number;
  lastMs: number;
  lastRequestId: string;
  requests: number;
}

/**
 * Successful authentications of reads, summarized: one row per key, client, method and path per window; refusals
 * before any route, one row per client per window. The row is the window's first request (its id, time, path and
 * details); when more requests followed, `details` says how many and names the last. Writing a row for every
 * authenticated read costs more than the rest of the check together.
 */
export function createSuccessAggregator(windowMs: number) {
  /** Open groups, oldest first (a Map keeps insertion order). */
  const groups = new Map<string, Group>();

  function toRow(group: Group): SecurityEvent {
    return {
      id: newId(group.firstMs),
      event: group.event,
      outcome: group.outcome,
      requestId: group.request.id,
      method: group.request.method,
      path: group.request.path,
      clientIp: group.request.clientIp,
      actor: group.actor,
      details:
        group.requests === 1
          ? group.details
          : {
              ...group.details,
              requests: group.requests,
              last_request_id: group.lastRequestId,
              last_at: toTimestamp(new Date(group.lastMs)),
            },
      createdAt: toTimestamp(new Date(group.firstMs)),
    };
  }

  /** Ends the groups `shouldEnd` picks, oldest first, at most `max` of them; returns their rows. */
  function end(shouldEnd: (group: Group) => boolean, max = Infinity): SecurityEvent[] {
    const rows: SecurityEvent[] = [];
    for (const [key, group] of groups) {
      if (rows.length >= max) {
        break;
      }
      if (shouldEnd(group)) {
        rows.push(toRow(group));
        groups.delete(key);
      }
    }
    return rows;
  }

  /** Over when its window has passed, or when the clock went back behind its start. */
  const isOver = (group: Group, nowMs: number) => nowMs - group.firstMs >= windowMs || nowMs < group.firstMs;

  return {
    /** Counts the event into its group; returns the row of the group it ended, if its window was over. */
    add(input: EventInput & { request: EventRequest }, nowMs: number): SecurityEvent | null {
      const { request } = input;
      const actor = input.actor ?? null;
      const details = input.details ?? {};
      // A refusal before any route is grouped by client alone: its path, Host and Origin are the client's to vary,
      // and one row per variation would let anyone fill the log (and push real events out of a full queue). The row
      // keeps the first request's path and details as a sample.
      const key = EDGE_REFUSAL_EVENTS.has(input.event)
        ? `${input.event}\n${input.outcome}\n${request.clientIp}`
        : `${input.event}\n${input.outcome}\n${actor ?? ''}\n${request.clientIp}\n${request.method}\n${request.path}`;
      const group = groups.get(key);
      if (group !== undefined && !isOver(group, nowMs)) {
        group.lastMs = nowMs;
        group.lastRequestId = request.id;
        group.requests++;
        return null;
      }
      if (group !== undefined) {
        groups.delete(key);
      }
      groups.set(key, {
        event: input.event,
        outcome: input.outcome,
        request,
        actor,
        details,
        firstMs: nowMs,
        lastMs: nowMs,
        lastRequestId: request.id,
        requests: 1,
      });
      return group === undefined ? null : toRow(group);
    },

    /** Open groups. */
    get size(): number {
      return groups.size;
    },

    /** Ends the groups whose window is over (every group with `all`) and returns their rows. */
    close(nowMs: number, all = false): SecurityEvent[] {
      return end((group) => all || isOver(group, nowMs));
    },

    /** Ends the `count` oldest groups and returns their rows. */
    closeOldest(count: number): SecurityEvent[] {
      return end(() => true, count);
    },
  };
}
export type SuccessAggregator = ReturnType<typeof createSuccessAggregator>;
