import { newId } from '../ids.js';

import { toTimestamp, type Clock } from '../domain/types.js';
import type { SecurityEvent, SecurityEventFilter, SecurityEventStore } from '../storage/store.js';
import { createSuccessAggregator, isAggregatable } from './success-aggregation.js';

export interface AuditLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Request metadata attached to an event (no headers, no body). */
export interface EventRequest {
  id: string;
  method: string;
  path: string;
  clientIp: string;
}

export interface EventInput {
  event: string;
  outcome: string;
  request?: EventRequest | undefined;
  actor?: string | null | undefined;
  details?: Record<string, unknown> | undefined;
}

/** Shared by the events that have no details (most of them). */
const NO_DETAILS: Record<string, unknown> = Object.freeze({});

const FLUSH_INTERVAL_MS = 250;
/**
 * Under load a batch this size is written at the next turn of the event loop instead of at the next tick of the
 * timer: events queued for a quarter of a second outlive two young-generation collections, get promoted, and make
 * every request pay for the major collections that follow. Written within milliseconds they die young.
 */
const FLUSH_SOON_AT = 64;
const FLUSH_BATCH = 500;
/** Beyond this many unwritten events the oldest are dropped (and counted) rather than growing memory. */
const MAX_QUEUE = 20_000;
const PRUNE_INTERVAL_MS = 6 * 60 * 60 * 1000;
/** Beyond this many open summary groups (distinct key, client, method and path) all are written at once. */
const MAX_GROUPS = 10_000;

/**
 * The security audit log. `record` only queues (it never slows or fails a request); a timer writes queued events
 * in batches. With `aggregateSeconds` > 0, successful authentications of reads are summarized: one row per key,
 * client, method and path per that many seconds (see `success-aggregation.ts`). Events older than the retention
 * period are deleted at start and every few hours.
 */
export function createAuditService(deps: {
  store: SecurityEventStore;
  clock: Clock;
  log: AuditLogger;
  retentionDays: number;
  aggregateSeconds?: number;
  onRecord?: (event: string, outcome: string) => void;
}) {
  const aggregator = deps.aggregateSeconds ? createSuccessAggregator(deps.aggregateSeconds * 1000) : null;
  let queue: SecurityEvent[] = [];
  let dropped = 0;
  let flushing: Promise<void> | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  let flushSoon: NodeJS.Immediate | null = null;
  let pruneTimer: NodeJS.Timeout | null = null;

  async function writeQueued(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, FLUSH_BATCH);
      queue = queue.slice(batch.length);
      try {
        await deps.store.insertMany(batch);
      } catch (error) {
        // The audit log must never take requests down with it: report the loss and go on.
        deps.log.error(
          { err: error instanceof Error ? error.message : String(error), lost: batch.length },
          'writing security events failed',
        );
      }
    }
    if (dropped > 0) {
      deps.log.warn({ dropped }, 'security event queue overflowed; oldest events were dropped');
      dropped = 0;
    }
  }

  /**
   * Moves the summary rows of ended windows (of every open window with `all`) into the queue, ahead of the events
   * already queued: a summary dates from its window's first request, so among events of the same millisecond it
   * sorts as the older.
   */
  function closeGroups(all: boolean): void {
    if (aggregator !== null) {
      const summaries = aggregator.close(deps.clock.now().getTime(), all);
      if (summaries.length > 0) {
        queue = summaries.concat(queue);
        queued();
      }
    }
  }

  /** Bounds the queue (dropping the oldest) and schedules an early write when a full batch is waiting. */
  function queued(): void {
    if (queue.length > MAX_QUEUE) {
      const excess = queue.length - MAX_QUEUE;
      queue.splice(0, excess);
      dropped += excess;
    }
    if (queue.length >= FLUSH_SOON_AT && flushSoon === null) {
      flushSoon = setImmediate(() => {
        flushSoon = null;
        void flush();
      });
    }
  }

  /** Writes everything queued; summaries whose window is still open stay open. */
  function flush(): Promise<void> {
    flushing ??= writeQueued().finally(() => {
      flushing = null;
    });
    return flushing;
  }

  async function prune(): Promise<number> {
    const cutoff = new Date(deps.clock.now().getTime() - deps.retentionDays * 86_400_000);
    try {
      return await deps.store.deleteBefore(toTimestamp(cutoff));
    } catch (error) {
      deps.log.error({ err: error instanceof Error ? error.message : String(error) }, 'pruning security events failed');
      return 0;
    }
  }

  return {
    record(input: EventInput): void {
      deps.onRecord?.(input.event, input.outcome);
      const now = deps.clock.now();
      if (aggregator !== null && isAggregatable(input)) {
        if (aggregator.add(input, now.getTime()) >= MAX_GROUPS) {
          closeGroups(true);
        }
        return;
      }
      queue.push({
        id: newId(now.getTime()),
        event: input.event,
        outcome: input.outcome,
        requestId: input.request?.id ?? null,
        method: input.request?.method ?? null,
        path: input.request?.path ?? null,
        clientIp: input.request?.clientIp ?? null,
        actor: input.actor ?? null,
        details: input.details ?? NO_DETAILS,
        createdAt: toTimestamp(now),
      });
      queued();
    },
    /** Writes everything recorded so far, summaries of open windows included. */
    flush(): Promise<void> {
      closeGroups(true);
      return flush();
    },
    prune,
    /** Newest first; events still queued (and open summaries) are written first so a caller sees its own events. */
    async list(filter: SecurityEventFilter): Promise<SecurityEvent[]> {
      closeGroups(true);
      await flush();
      return deps.store.list(filter);
    },
    async start(): Promise<void> {
      await prune();
      flushTimer = setInterval(() => {
        closeGroups(false);
        void flush();
      }, FLUSH_INTERVAL_MS);
      flushTimer.unref();
      pruneTimer = setInterval(() => void prune(), PRUNE_INTERVAL_MS);
      pruneTimer.unref();
    },
    async close(): Promise<void> {
      if (flushTimer) {
        clearInterval(flushTimer);
      }
      if (flushSoon) {
        clearImmediate(flushSoon);
        flushSoon = null;
      }
      if (pruneTimer) {
        clearInterval(pruneTimer);
      }
      closeGroups(true);
      await flush();
    },
  };
}
export type AuditService = ReturnType<typeof createAuditService>;
