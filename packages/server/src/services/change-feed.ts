import type { ContextStore } from '../storage/store.js';

export interface ChangeFeedLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Tells subscribers that context units changed: created, edited, superseded, deleted, imported or re-embedded, by this
 * process or by any other sharing the database. It follows the store's change log every `intervalMs` while anyone
 * listens, so a subscriber hears of a write within about that time, once per poll however many units changed.
 */
export function createChangeFeed(deps: {
  store: Pick<ContextStore, 'changesSince'>;
  intervalMs: number;
  log: ChangeFeedLogger;
}) {
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | null = null;
  /** Null until the first read: changes made before anyone listened are not news. */
  let lastSeq: number | null = null;
  let polling = false;

  async function poll(): Promise<void> {
    if (polling) {
      return;
    }
    polling = true;
    try {
      const batch = await deps.store.changesSince(lastSeq ?? 0);
      const changed = lastSeq !== null && (batch.truncated || batch.ids.length > 0);
      lastSeq = batch.lastSeq;
      if (changed) {
        for (const listener of [...listeners]) {
          listener();
        }
      }
    } catch (error) {
      // The next poll tries again; a storage outage is reported by the requests that meet it.
      deps.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'change feed poll failed');
    } finally {
      polling = false;
    }
  }

  function stopTimer(): void {
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  }

  return {
    /** Calls `listener` after units changed; returns the function that stops it. */
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      if (timer === null) {
        void poll();
        timer = setInterval(() => void poll(), deps.intervalMs);
        // Listening never keeps the process alive on its own.
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          stopTimer();
          lastSeq = null;
        }
      };
    },
    close(): void {
      listeners.clear();
      stopTimer();
    },
  };
}
export type ChangeFeed = ReturnType<typeof createChangeFeed>;
