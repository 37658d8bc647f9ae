import { newId } from '../ids.js';

import { toTimestamp, type Clock } from '../domain/types.js';
import type { SecurityEvent, SecurityEventFilter, SecurityEventStore } from '../storage/store.js';
import type { EventInput } from './audit-events.js';
import { createSuccessAggregator, isAggregatable } from './success-aggregation.js';

export interface AuditLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
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
/**
 * Open summaries (distinct key, client, method and path) are bounded: at this many, the oldest
 * `CLOSE_AT_MAX_GROUPS` are written early. Closing a few at a time keeps the pause of the request that hits the bound
 * short.
 */
const MAX_GROUPS = 10_000;
const CLOSE_AT_MAX_GROUPS = 1_000;

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
  /** Rows dropped from a full queue since the last warning, and the requests they stood for. */
  let dropped = { rows: 0, requests: 0 };
  let closed = false;
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
    if (dropped.rows > 0) {
      deps.log.warn(dropped, 'security event queue overflowed; oldest events were dropped');
      dropped = { rows: 0, requests: 0 };
    }
  }

  /** Bounds the queue (dropping the oldest) and schedules an early write when a full batch is waiting. */
  function queued(): void {
    if (queue.length > MAX_QUEUE) {
      for (const row of queue.splice(0, queue.length - MAX_QUEUE)) {
        dropped.rows++;
        dropped.requests += typeof row.details.requests === 'number' ? row.details.requests : 1;
      }
    }
    if (queue.length >= FLUSH_SOON_AT && flushSoon === null) {
      flushSoon = setImmediate(() => {
        flushSoon = null;
        void flush();
      });
    }
  }

  function enqueue(rows: readonly SecurityEvent[]): void {
    if (rows.length > 0) {
      queue.push(...rows);
      queued();
    }
  }

  /** Queues the summaries of ended windows (of every open window with `all`). */
  function closeGroups(all: boolean): void {
    if (aggregator !== null) {
      enqueue(aggregator.close(deps.clock.now().getTime(), all));
    }
  }

  /** Starts writing the queue, or joins the write in progress. */
  function flush(): Promise<void> {
    flushing ??= writeQueued().finally(() => {
      flushing = null;
    });
    return flushing;
  }

  /** Returns once everything queued so far is written, including rows queued while a write was finishing. */
  async function drain(): Promise<void> {
    while (flushing !== null || queue.length > 0) {
      await flush();
    }
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
      if (closed) {
        return;
      }
      const now = deps.clock.now();
      if (aggregator !== null && isAggregatable(input)) {
        const ended = aggregator.add(input, now.getTime());
        if (ended !== null) {
          enqueue([ended]);
        }
        if (aggregator.size >= MAX_GROUPS) {
          enqueue(aggregator.closeOldest(CLOSE_AT_MAX_GROUPS));
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
    /** Writes everything recorded so far, the summaries of open windows included. */
    flush(): Promise<void> {
      closeGroups(true);
      return drain();
    },
    prune,
    /**
     * Newest first. This instance's queued events and open summaries are written first, so a caller sees its own
     * events; other instances sharing the store write theirs on their own schedule.
     */
    async list(filter: SecurityEventFilter): Promise<SecurityEvent[]> {
      closeGroups(true);
      await drain();
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
    /** Stops the timers and writes everything recorded; events recorded afterwards are counted, not stored. */
    async close(): Promise<void> {
      closed = true;
      if (flushTimer) {
        clearInterval(flushTimer);
      }
      if (pruneTimer) {
        clearInterval(pruneTimer);
      }
      closeGroups(true);
      if (flushSoon) {
        clearImmediate(flushSoon);
        flushSoon = null;
      }
      await drain();
    },
  };
}
export type AuditService = ReturnType<typeof createAuditService>;
