import type { ContextUnit } from '../domain/types.js';
import type { Embedder } from '../providers/embeddings/embedder.js';
import type { ContextStore } from '../storage/store.js';

export interface IndexerLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Units per embedding call. The embedder sorts a call's chunks by length before batching them for the model, so a
 * larger call batches with less padding.
 */
const BATCH_SIZE = 128;
/** Wait before retrying after the embedder failed, so a broken provider is not hammered. */
const RETRY_DELAY_MS = 5_000;

/**
 * Background embedding of units that have no vectors of the current model: imported units, and every unit after
 * the embedding model changed. Keeps `concurrency` batches in flight, so the embedding workers always have the next
 * batch while one is being saved, and logs progress. Its work yields to queries and writes (background priority).
 */
export function createIndexer(deps: {
  store: Pick<ContextStore, 'pendingEmbeddings' | 'countPendingEmbeddings' | 'saveEmbeddings'>;
  embedder: Pick<Embedder, 'modelId' | 'embedDocuments'>;
  log: IndexerLogger;
  concurrency: number;
  onIndexed?: () => void;
  /** Told how many units wait for vectors whenever they are counted (to make room for them ahead). */
  onPending?: (count: number) => void;
}) {
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;
  let pending = 0;
  let retryTimer: NodeJS.Timeout | null = null;
  const idleWaiters: (() => void)[] = [];

  /** Embeds a batch and saves its vectors in one transaction (one commit per batch, not per unit). */
  async function embedBatch(units: readonly ContextUnit[]): Promise<number> {
    const vectors = await deps.embedder.embedDocuments(
      units.map((u) => u.content),
      { background: true },
    );
    const entries = units.flatMap((unit, i) => {
      const unitVectors = vectors[i];
      return unitVectors && unitVectors.length > 0
        ? [{ id: unit.id, content: unit.content, embedding: { modelId: deps.embedder.modelId, vectors: unitVectors } }]
        : [];
    });
    return entries.length === 0 ? 0 : deps.store.saveEmbeddings(entries);
  }

  /**
   * Indexes in passes over the store, oldest unit first, each step continuing where the last one stopped (a step
   * looks at a bounded window of units, so no store call blocks for long, however large the store). A pass that saved
   * vectors is followed by another from the oldest unit, for units written behind the scan meanwhile; a pass that
   * saved nothing ends the run, so a unit that cannot be embedded is not retried in a loop.
   */
  async function drain(): Promise<void> {
    pending = await deps.store.countPendingEmbeddings(deps.embedder.modelId);
    if (pending === 0) {
      return;
    }
    deps.onPending?.(pending);
    const total = pending;
    let done = 0;
    let lastLog = 0;
    let after = 0;
    let savedInPass = 0;
    let foundInPass = 0;
    deps.log.info({ pending: total, model: deps.embedder.modelId }, 'indexing units without vectors');
    const inFlight = new Set<Promise<void>>();
    // The first failed batch, set from its callback; the loop stops starting batches after it.
    const failed: { error?: Error } = {};
    const start = (units: readonly ContextUnit[]) => {
      const batch = embedBatch(units).then(
        (saved) => {
          savedInPass += saved;
          done += saved;
          // Counted down rather than recounted (a count scans every unit); `wake` adds what imports bring meanwhile.
          pending = Math.max(0, pending - saved);
          deps.onIndexed?.();
          if (done - lastLog >= 500) {
            lastLog = done;
            deps.log.info({ indexed: done, total, model: deps.embedder.modelId }, 'indexing progress');
          }
        },
        (error: unknown) => {
          failed.error ??= error instanceof Error ? error : new Error(String(error));
        },
      );
      const tracked = batch.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    };
    while (!closed && failed.error === undefined) {
      const step = await deps.store.pendingEmbeddings(deps.embedder.modelId, BATCH_SIZE, after);
      after = step.next;
      foundInPass += step.units.length;
      if (step.units.length > 0) {
        start(step.units);
        if (inFlight.size >= deps.concurrency) {
          await Promise.race(inFlight);
        }
      } else if (step.exhausted) {
        // The pass ends when its last batches are saved.
        await Promise.all(inFlight);
        if (savedInPass === 0 || failed.error !== undefined) {
          break;
        }
        after = 0;
        savedInPass = 0;
        foundInPass = 0;
      }
    }
    await Promise.all(inFlight);
    if (failed.error !== undefined) {
      throw failed.error;
    }
    // A whole pass that met no unit without vectors leaves nothing pending (units written since have called `wake`):
    // the recount (a scan of every unit's vectors, tens of ms at 100k units) is only needed for units that failed.
    pending = foundInPass === 0 ? 0 : await deps.store.countPendingEmbeddings(deps.embedder.modelId);
    deps.log.info({ indexed: done, total, pending, model: deps.embedder.modelId }, 'indexing finished');
  }

  function run(): void {
    if (closed) {
      return;
    }
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch((error: unknown) => {
        if (closed) {
          return;
        }
        deps.log.error({ err: error instanceof Error ? error.message : String(error) }, 'indexing failed; will retry');
        retryTimer = setTimeout(run, RETRY_DELAY_MS);
        retryTimer.unref();
      })
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        } else if (retryTimer === null || pending === 0) {
          idleWaiters.splice(0).forEach((resolve) => resolve());
        }
      });
  }

  return {
    /** Starts indexing if anything is pending (cheap to call after every import). */
    wake(): void {
      // Count at once, so /health reports new work before the next indexing round starts.
      void deps.store
        .countPendingEmbeddings(deps.embedder.modelId)
        .then((n) => {
          pending = Math.max(pending, n);
          if (n > 0) {
            deps.onPending?.(n);
          }
        })
        // Best effort: the indexing round counts again and logs failures itself.
        .catch(() => undefined);
      if (retryTimer) {
        clearTimeout(retryTimer);
        retryTimer = null;
      }
      run();
    },
    /** Resolves when nothing is being indexed. */
    idle(): Promise<void> {
      if (!running && !again) {
        return Promise.resolve();
      }
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    get pending(): number {
      return pending;
    },
    /** Starts no further batch; what is in flight ends on its own (see `close`). */
    stop(): void {
      closed = true;
    },
    async close(): Promise<void> {
      closed = true;
      if (retryTimer) {
        clearTimeout(retryTimer);
      }
      await running;
    },
  };
}
export type Indexer = ReturnType<typeof createIndexer>;
