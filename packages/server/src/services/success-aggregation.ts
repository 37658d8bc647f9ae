import { newId } from '../ids.js';

import { toTimestamp } from '../domain/types.js';
import type { SecurityEvent } from '../storage/store.js';
import type { EventInput, EventRequest } from './audit-service.js';

/** Reads: requests that change nothing. Every other method keeps a row per request. */
const AGGREGATED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Whether an event may be folded into a summary row: a successful key check on a read. Failures, writes and any
 * access to the security endpoints (reading the audit log, rotating the key) always get a row of their own.
 */
export function isAggregatable(input: EventInput): input is EventInput & { request: EventRequest } {
  return (
    input.outcome === 'valid_key' &&
    input.details === undefined &&
    input.request !== undefined &&
    AGGREGATED_METHODS.has(input.request.method) &&
    !input.request.path.startsWith('/security/')
  );
}

interface Group {
  event: string;
  outcome: string;
  request: EventRequest;
  actor: string | null;
  firstMs: number;
  lastMs: number;
  lastRequestId: string;
  requests: number;
}

/**
 * Successful authentications of reads, summarized: one row per key, client, method and path per window. The row is
 * the window's first request (its id, time and path); when more requests followed, `details` says how many and
 * names the last. Writing a row for every authenticated read costs more than the rest of the check together.
 */
export function createSuccessAggregator(windowMs: number) {
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
          ? {}
          : {
              requests: group.requests,
              last_request_id: group.lastRequestId,
              last_at: toTimestamp(new Date(group.lastMs)),
            },
      createdAt: toTimestamp(new Date(group.firstMs)),
    };
  }

  return {
    /** Counts the event into its group; returns the number of open groups. */
    add(input: EventInput & { request: EventRequest }, nowMs: number): number {
      const { request } = input;
      const actor = input.actor ?? null;
      const key = `${input.event}\n${input.outcome}\n${actor ?? ''}\n${request.clientIp}\n${request.method}\n${request.path}`;
      const group = groups.get(key);
      if (group === undefined) {
        groups.set(key, {
          event: input.event,
          outcome: input.outcome,
          request,
          actor,
          firstMs: nowMs,
          lastMs: nowMs,
          lastRequestId: request.id,
          requests: 1,
        });
      } else {
        group.lastMs = nowMs;
        group.lastRequestId = request.id;
        group.requests++;
      }
      return groups.size;
    },

    /** Ends the groups whose window is over (every group with `all`) and returns their rows. */
    close(nowMs: number, all = false): SecurityEvent[] {
      const rows: SecurityEvent[] = [];
      for (const [key, group] of groups) {
        if (all || nowMs - group.firstMs >= windowMs) {
          rows.push(toRow(group));
          groups.delete(key);
        }
      }
      return rows;
    },
  };
}
export type SuccessAggregator = ReturnType<typeof createSuccessAggregator>;
