import { Worker } from 'node:worker_threads';

import { EmbeddingError } from './embedder.js';

/**
 * Who waits for a job, highest first: a query (a person waits for a ranking), a write a client waits for, and
 * background indexing.
 */
export type JobPriority = 'query' | 'interactive' | 'background';
const PRIORITIES: readonly JobPriority[] = ['query', 'interactive', 'background'];

export interface WorkerPoolOptions {
  /** URL of the worker module (a .ts URL when running from source). */
  entry: URL;
  /** Upper bound on workers; more than one starts only while work queues up. */
  maxWorkers: number;
  /**
   * Most workers busy with `interactive` or `background` jobs at once. Keeping it below `maxWorkers` leaves a
   * worker for queries, so a ranking never waits behind long writes.
   */
  maxDocumentWorkers: number;
  /** A busy extra worker that stays idle this long is stopped to give its memory back. */
  idleMs: number;
  onLog?: (message: string) => void;
}

export interface JobOptions {
  priority: JobPriority;
  /** Aborting drops the job: a queued job never runs, a running one's result is discarded. */
  signal?: AbortSignal | undefined;
}

interface Job {
  message: object;
  priority: JobPriority;
  queuedAt: number;
  settle: (outcome: { result?: unknown; error?: Error }) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  /** Set once `ready` resolved, so a job can be posted at once instead of after a promise turn. */
  started: boolean;
  busy: Job | null;
  idleTimer: NodeJS.Timeout | null;
}

/** What the pool is doing, for `/health` and metrics. */
export interface PoolStats {
  workers: number;
  busy: number;
  queued: Record<JobPriority, number>;
  /** How long the oldest waiting query or interactive job has waited (ms); 0 when none waits. */
  oldestInteractiveWaitMs: number;
}

/**
 * A small pool of embedding workers with a priority queue. Jobs are small and bounded (the caller splits large work
 * into pieces), so a query waits at most for one piece; an aborted job leaves the queue at once.
 */
export function createWorkerPool(options: WorkerPoolOptions) {
  const queues: Record<JobPriority, Job[]> = { query: [], interactive: [], background: [] };
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const isSource = options.entry.pathname.endsWith('.ts');
    // A worker's JavaScript is a thin layer over the model (which lives in WebAssembly memory): a young generation
    // of 8 MB instead of the default saves about 37 MB per worker at the same embedding speed.
    const resourceLimits = { maxYoungGenerationSizeMb: 8 };
    const worker = isSource
      ? new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), {
          workerData: { tsEntry: options.entry.href },
          resourceLimits,
        })
      : new Worker(options.entry, { resourceLimits });
    worker.unref();
    const slot: Slot = { worker, ready: Promise.resolve(), started: false, busy: null, idleTimer: null };
    slot.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean }) => {
        if (message.ready === true) {
          worker.off('message', onMessage);
          slot.started = true;
          resolve();
        }
      };
      worker.on('message', onMessage);
      worker.once('error', (error) => reject(new EmbeddingError(`embedding worker failed to start: ${error.message}`)));
      worker.once('exit', () => reject(new EmbeddingError('embedding worker exited while starting')));
    });
    // A failed start is reported to the job that waited for it (or to `start()`), never as an unhandled rejection.
    slot.ready.catch(() => undefined);
    worker.on('error', (error) => finish(slot, new EmbeddingError(`embedding worker crashed: ${error.message}`)));
    worker.on('exit', () => finish(slot, new EmbeddingError('embedding worker exited')));
    slots.push(slot);
    return slot;
  }

  /** A worker is gone: its job fails, and the queue moves on to the remaining (or a new) worker. */
  function finish(slot: Slot, error: EmbeddingError): void {
    const index = slots.indexOf(slot);
    if (index < 0) {
      return;
    }
    slots.splice(index, 1);
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
    }
    slot.busy?.settle({ error });
    slot.busy = null;
    if (!closed) {
      pump();
    }
  }

  function run(slot: Slot, job: Job): void {
    slot.busy = job;
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = null;
    }
    const id = nextId++;
    const onMessage = (message: { id?: number; result?: unknown; error?: string }) => {
      if (message.id !== id) {
        return;
      }
      slot.worker.off('message', onMessage);
      slot.busy = null;
      job.settle(
        message.error === undefined ? { result: message.result } : { error: new EmbeddingError(message.error) },
      );
      afterJob(slot);
    };
    slot.worker.on('message', onMessage);
    // Posted synchronously when the worker is up: the caller may do other work (a full-text search) right after
    // submitting, and the worker should already be embedding meanwhile.
    if (slot.started) {
      slot.worker.postMessage({ id, ...job.message });
      return;
    }
    slot.ready.then(
      () => slot.worker.postMessage({ id, ...job.message }),
      (error: unknown) => {
        slot.worker.off('message', onMessage);
        finish(slot, error instanceof EmbeddingError ? error : new EmbeddingError(String(error)));
      },
    );
  }

  function afterJob(slot: Slot): void {
    pump();
    if (slot.busy !== null || slots.indexOf(slot) <= 0) {
      return;
    }
    slot.idleTimer = setTimeout(() => {
      const index = slots.indexOf(slot);
      if (slot.busy === null && index > 0) {
        options.onLog?.('stopping idle embedding worker');
        // Out of the pool before it stops: a job submitted until its exit must not be handed to it.
        slots.splice(index, 1);
        void slot.worker.terminate();
      }
    }, options.idleMs);
    slot.idleTimer.unref();
  }

  function documentWorkersBusy(): number {
    return slots.filter((s) => s.busy !== null && s.busy.priority !== 'query').length;
  }

  /** The next job that may start now: queries first; writes and indexing only while a worker is left for queries. */
  function nextJob(): Job | undefined {
    if (queues.query.length > 0) {
      return queues.query.shift();
    }
    if (documentWorkersBusy() >= options.maxDocumentWorkers) {
      return undefined;
    }
    return queues.interactive.shift() ?? queues.background.shift();
  }

  function pump(): void {
    for (;;) {
      let slot = slots.find((s) => s.busy === null);
      if (slot === undefined && slots.length >= options.maxWorkers) {
        return;
      }
      const job = nextJob();
      if (job === undefined) {
        return;
      }
      if (slot === undefined) {
        if (slots.length > 0) {
          options.onLog?.(`starting embedding worker ${slots.length + 1}`);
        }
        slot = spawn();
      }
      run(slot, job);
    }
  }

  return {
    /** Starts the first worker and waits until its model is loaded. */
    async start(): Promise<void> {
      const slot = slots[0] ?? spawn();
      await slot.ready;
    },

    /** Runs one message on a worker; rejects with EmbeddingError, or with the signal's reason when aborted. */
    submit(message: object, job: JobOptions): Promise<unknown> {
      if (closed) {
        return Promise.reject(new EmbeddingError('embedding pool is closed'));
      }
      const signal = job.signal;
      if (signal?.aborted) {
        return Promise.reject(signal.reason as Error);
      }
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          const queue = queues[entry.priority];
          const index = queue.indexOf(entry);
          if (index >= 0) {
            queue.splice(index, 1);
          }
          entry.settle({ error: signal?.reason as Error });
        };
        let settled = false;
        const entry: Job = {
          message,
          priority: job.priority,
          queuedAt: performance.now(),
          settle: ({ result, error }) => {
            if (settled) {
              return;
            }
            settled = true;
            signal?.removeEventListener('abort', onAbort);
            if (error === undefined) {
              resolve(result);
            } else {
              reject(error);
            }
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queues[job.priority].push(entry);
        pump();
      });
    },

    stats(): PoolStats {
      const now = performance.now();
      const waiting = [queues.query[0], queues.interactive[0]].filter((j) => j !== undefined);
      return {
        workers: slots.length,
        busy: slots.filter((s) => s.busy !== null).length,
        queued: {
          query: queues.query.length,
          interactive: queues.interactive.length,
          background: queues.background.length,
        },
        oldestInteractiveWaitMs: Math.max(0, ...waiting.map((j) => now - j.queuedAt)),
      };
    },

    /** Fails every queued and running job at once and stops the workers. */
    async close(): Promise<void> {
      closed = true;
      const error = new EmbeddingError('embedding pool is closed');
      for (const priority of PRIORITIES) {
        for (const job of queues[priority].splice(0)) {
          job.settle({ error });
        }
      }
      const stopping = slots.splice(0);
      for (const slot of stopping) {
        slot.busy?.settle({ error });
        slot.busy = null;
        if (slot.idleTimer) {
          clearTimeout(slot.idleTimer);
        }
      }
      await Promise.all(stopping.map((s) => s.worker.terminate()));
    },
  };
}
export type WorkerPool = ReturnType<typeof createWorkerPool>;
