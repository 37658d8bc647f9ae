import { Worker } from 'node:worker_threads';

import { EmbeddingError } from './embedder.js';

export interface WorkerPoolOptions {
  /** URL of the worker module (a .ts URL when running from source). */
  entry: URL;
  /** Upper bound on workers; a second one starts only while work queues up. */
  maxWorkers: number;
  /** A busy extra worker that stays idle this long is stopped to give its memory back. */
  idleMs: number;
  onLog?: (message: string) => void;
}

interface Job {
  message: { kind: string; texts: string[] };
  resolve: (value: Float32Array[][]) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  /** Set once `ready` resolved, so a job can be posted at once instead of after a promise turn. */
  started: boolean;
  busy: Job | null;
  idleTimer: NodeJS.Timeout | null;
}

/**
 * A small pool of embedding workers. Jobs are answered in submission order per worker; the first worker is kept
 * alive, extra ones are started under load and stopped when idle.
 */
export function createWorkerPool(options: WorkerPoolOptions) {
  const queue: Job[] = [];
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
    });
    worker.on('error', (error) => {
      slot.busy?.reject(new EmbeddingError(`embedding worker crashed: ${error.message}`));
      slot.busy = null;
      remove(slot);
    });
    worker.on('exit', () => {
      slot.busy?.reject(new EmbeddingError('embedding worker exited'));
      slot.busy = null;
      remove(slot);
    });
    slots.push(slot);
    return slot;
  }

  function remove(slot: Slot): void {
    const index = slots.indexOf(slot);
    if (index >= 0) {
      slots.splice(index, 1);
    }
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
    }
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
    const onMessage = (message: { id?: number; vectors?: Float32Array[][]; error?: string }) => {
      if (message.id !== id) {
        return;
      }
      slot.worker.off('message', onMessage);
      slot.busy = null;
      if (message.error !== undefined) {
        job.reject(new EmbeddingError(message.error));
      } else {
        job.resolve(message.vectors ?? []);
      }
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
        slot.busy = null;
        job.reject(error instanceof Error ? error : new EmbeddingError(String(error)));
        remove(slot);
      },
    );
  }

  function afterJob(slot: Slot): void {
    const job = queue.shift();
    if (job) {
      run(slot, job);
      return;
    }
    if (slots.indexOf(slot) > 0) {
      slot.idleTimer = setTimeout(() => {
        if (slot.busy === null) {
          options.onLog?.('stopping idle embedding worker');
          void slot.worker.terminate();
        }
      }, options.idleMs);
      slot.idleTimer.unref();
    }
  }

  function pump(): void {
    while (queue.length > 0) {
      const free = slots.find((s) => s.busy === null);
      if (free) {
        run(free, queue.shift() as Job);
        continue;
      }
      // Every worker is busy: start another (up to the limit) rather than queue behind a long batch.
      if (slots.length < options.maxWorkers) {
        if (slots.length > 0) {
          options.onLog?.(`starting embedding worker ${slots.length + 1}`);
        }
        run(spawn(), queue.shift() as Job);
        continue;
      }
      return;
    }
  }

  return {
    /** Starts the first worker and waits until its model is loaded. */
    async start(): Promise<void> {
      const slot = slots[0] ?? spawn();
      await slot.ready;
    },
    submit(message: { kind: string; texts: string[] }): Promise<Float32Array[][]> {
      if (closed) {
        return Promise.reject(new EmbeddingError('embedding pool is closed'));
      }
      return new Promise((resolve, reject) => {
        queue.push({ message, resolve, reject });
        pump();
      });
    },
    get queued(): number {
      return queue.length + slots.filter((s) => s.busy !== null).length;
    },
    async close(): Promise<void> {
      closed = true;
      for (const job of queue.splice(0)) {
        job.reject(new EmbeddingError('embedding pool is closed'));
      }
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}
export type WorkerPool = ReturnType<typeof createWorkerPool>;
