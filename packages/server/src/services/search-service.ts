import {
  DEFAULT_WEIGHTS,
  filterTest,
  rankCandidates,
  type RankFilter,
  type Candidate,
  type RankableUnit,
  type Ranked,
  type RankingWeights,
} from '../domain/ranking.js';
import { queryTerms } from '../domain/text-query.js';
import type { ContextUnit } from '../domain/types.js';
import { VectorIndex } from '../domain/vector-index.js';
import { clientClosedRequest } from '../errors.js';
import { EmbeddingBusyError, type Embedder } from '../providers/embeddings/embedder.js';
import type { ContextStore, TextHit } from '../storage/store.js';

export interface SearchLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RankRequest {
  task: string;
  limit: number;
  minScore?: number | undefined;
  /** Only units of these types / with these tags are ranked. */
  filter?: RankFilter | undefined;
  /** Aborted when the client went away: the task's embedding is given up. */
  signal?: AbortSignal | undefined;
}

/** Milliseconds spent in each step of one ranking (for the benchmark and the debug log). */
export interface RankTimings {
  /** From the start until the task's vector was ready. */
  embedMs: number;
  /** Ranking work: the full-text search (which runs while the task is embedded) plus everything after. */
  rankMs: number;
  /** Of `rankMs`: the full-text search. */
  lexicalMs: number;
  /** Of `rankMs`: the vector search. */
  denseMs: number;
}

/** Candidates of one task, and for sequence propagation the predecessor of each unit that has one among them. */
export interface CandidateSet {
  candidates: Candidate<RankableUnit>[];
  predecessorOf: Map<string, string>;
}

/** Followers of this many times `limit` of the best candidates join the candidates. */
const SEQUENCE_FANOUT = 2;

/**
 * Units loaded between two turns of the event loop when the whole index is (re)loaded: the store's rows arrive through
 * promise turns only, which would otherwise keep other requests (and the collection of the rows' garbage) waiting for
 * the whole load, seconds at 100k units.
 */
const LOAD_SLICE = 2_000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How many candidates each retriever contributes before fusion. */
export const candidatePool = (limit: number) => Math.max(100, limit * 10);

/**
 * A filtered ranking draws this many times the usual pool from each retriever before the filter keeps its units, so
 * that a narrow filter still finds its best matches among many units of other kinds.
 */
const FILTERED_POOL_FACTOR = 10;

/**
 * Hybrid retrieval: store-native full text (BM25) and an in-memory vector index, fused by `rankCandidates`.
 * Candidates are fused on what ranking needs of each unit (confidence, tags, status), kept in memory beside the
 * vectors; only the selected units are read whole. Both follow the store's change log, so writes by other instances
 * sharing the database are seen before each ranking.
 */
export function createSearchService(deps: {
  store: Pick<
    ContextStore,
    'textSearch' | 'getMany' | 'readEmbeddings' | 'readRankingFields' | 'changesSince' | 'successors'
  >;
  embedder: Pick<Embedder, 'modelId' | 'dimension' | 'embedQuery'>;
  log: SearchLogger;
  weights?: RankingWeights;
}) {
  const index = new VectorIndex(deps.embedder.dimension);
  /** Ranking fields of every unit in the store, superseded included (a superseded unit is never ranked). */
  const rankingFields = new Map<string, RankableUnit>();
  /** One shared array per distinct tag list: tags repeat across units (about 10 MB saved at 100k units). */
  const tagLists = new Map<string, string[]>();

  function keep(fields: RankableUnit): void {
    const key = fields.tags.join('\u0000');
    const shared = tagLists.get(key);
    if (shared === undefined) {
      tagLists.set(key, fields.tags);
    }
    rankingFields.set(fields.id, shared === undefined ? fields : { ...fields, tags: shared });
  }
  const weights = deps.weights ?? DEFAULT_WEIGHTS;
  let lastSeq = 0;
  let syncing: Promise<void> | null = null;
  let degraded: string | null = null;

  async function loadAll(): Promise<void> {
    index.clear();
    rankingFields.clear();
    tagLists.clear();
    let rows = 0;
    for await (const row of deps.store.readEmbeddings(deps.embedder.modelId)) {
      index.upsert(row.id, row.vectors, row.status === 'active');
      if (++rows % LOAD_SLICE === 0) {
        await yieldToEventLoop();
      }
    }
    for await (const fields of deps.store.readRankingFields()) {
      keep(fields);
      if (++rows % LOAD_SLICE === 0) {
        await yieldToEventLoop();
      }
    }
  }

  async function applyChanges(): Promise<void> {
    const batch = await deps.store.changesSince(lastSeq);
    if (batch.truncated) {
      lastSeq = batch.lastSeq;
      await loadAll();
      return;
    }
    if (batch.ids.length > 0) {
      const seen = new Set<string>();
      for await (const row of deps.store.readEmbeddings(deps.embedder.modelId, batch.ids)) {
        index.upsert(row.id, row.vectors, row.status === 'active');
        seen.add(row.id);
      }
      const fresh = new Map<string, RankableUnit>();
      for await (const fields of deps.store.readRankingFields(batch.ids)) {
        fresh.set(fields.id, fields);
      }
      for (const id of batch.ids) {
        if (!seen.has(id)) {
          index.remove(id);
        }
        const fields = fresh.get(id);
        if (fields === undefined) {
          rankingFields.delete(id);
        } else {
          keep(fields);
        }
      }
    }
    lastSeq = batch.lastSeq;
  }

  /** Brings the vector index and ranking fields up to date with the store (one cheap query when nothing changed). */
  function sync(): Promise<void> {
    // Concurrent rankings share one sync instead of each reading the same changes.
    syncing ??= applyChanges().finally(() => {
      syncing = null;
    });
    return syncing;
  }

  async function embedTask(task: string, signal: AbortSignal | undefined): Promise<Float32Array | null> {
    try {
      const vector = await deps.embedder.embedQuery(task, { signal });
      if (degraded !== null) {
        degraded = null;
        deps.log.info({}, 'embedding model available again: hybrid ranking restored');
      }
      return vector;
    } catch (error) {
      if (signal?.aborted) {
        throw clientClosedRequest();
      }
      if (error instanceof EmbeddingBusyError) {
        // The model works but is saturated: this ranking uses full text only, and /health reports the load.
        deps.log.warn({ err: error.message }, 'query embedding missed its deadline: ranking with full text only');
        return null;
      }
      // Full-text ranking still works; report the degraded state instead of failing the request.
      degraded = error instanceof Error ? error.message : String(error);
      deps.log.warn({ err: degraded }, 'query embedding failed: ranking with full text only');
      return null;
    }
  }

  /**
   * The candidates of a task before fusion: the best `pool` units by full text and by vector similarity, each
   * with both raw scores, plus the units that follow the strongest of them in their source's sequence (for
   * sequence propagation, see `rankCandidates`). Exposed so the evaluation can compare fusion methods on exactly
   * what ranking sees.
   */
  async function candidates(
    task: string,
    pool: number,
    limit: number,
    timings?: RankTimings,
    signal?: AbortSignal,
    accept: ((unit: RankableUnit) => boolean) | null = null,
  ): Promise<CandidateSet> {
    const started = performance.now();
    // The full-text search does not need the task's vector: it runs while the embedding worker computes it.
    const [queryVector, lexicalSearch] = await Promise.all([
      embedTask(task, signal),
      timedTextSearch(task, pool),
      sync(),
    ]);
    const embedded = performance.now();
    const lexicalHits = lexicalSearch.hits;
    const lexical = new Map(lexicalHits.map((h) => [h.id, h.score]));
    const semantic = new Map<string, number>();
    const denseStarted = performance.now();
    if (queryVector !== null) {
      for (const hit of index.search(queryVector, pool)) {
        semantic.set(hit.id, hit.similarity);
      }
      const missing = lexicalHits.map((h) => h.id).filter((id) => !semantic.has(id));
      for (const [id, similarity] of index.similarities(queryVector, missing)) {
        semantic.set(id, similarity);
      }
    }
    const denseMs = performance.now() - denseStarted;
    const found: Candidate<RankableUnit>[] = [];
    for (const id of new Set([...lexical.keys(), ...semantic.keys()])) {
      // A unit written after the last sync is not known yet; the next ranking sees it.
      const unit = rankingFields.get(id);
      if (unit !== undefined && (accept === null || accept(unit))) {
        found.push({ unit, lexical: lexical.get(id) ?? 0, semantic: semantic.get(id) ?? 0 });
      }
    }
    const predecessorOf = await followers(task, found, limit, queryVector, accept);
    if (timings) {
      timings.embedMs = embedded - started;
      timings.rankMs = lexicalSearch.ms + (performance.now() - embedded);
      timings.lexicalMs = lexicalSearch.ms;
      timings.denseMs = denseMs;
    }
    return { candidates: found, predecessorOf };
  }

  async function timedTextSearch(task: string, pool: number): Promise<{ hits: TextHit[]; ms: number }> {
    const started = performance.now();
    const hits = await deps.store.textSearch(queryTerms(task), pool);
    return { hits, ms: performance.now() - started };
  }

  /** Adds to `found` the units that follow its strongest members in their source; returns follower → predecessor. */
  async function followers(
    task: string,
    found: Candidate<RankableUnit>[],
    limit: number,
    queryVector: Float32Array | null,
    accept: ((unit: RankableUnit) => boolean) | null,
  ): Promise<Map<string, string>> {
    if (weights.sequence <= 0 || found.length === 0) {
      return new Map();
    }
    // Only the predecessors that can still make the final list matter.
    const strongest = rankCandidates(task, found, { limit: limit * SEQUENCE_FANOUT, weights }).map((r) => r.unit.id);
    const predecessorOf = await deps.store.successors(strongest);
    const present = new Set(found.map((c) => c.unit.id));
    const added = [...predecessorOf.keys()].filter((id) => !present.has(id));
    if (added.length > 0) {
      const similarity = queryVector === null ? new Map<string, number>() : index.similarities(queryVector, added);
      for (const id of added) {
        const unit = rankingFields.get(id);
        if (unit !== undefined && (accept === null || accept(unit))) {
          found.push({ unit, lexical: 0, semantic: similarity.get(id) ?? 0 });
        }
      }
    }
    return predecessorOf;
  }

  return {
    /** Loads every stored vector of the current model. Call once at start-up. */
    async init(): Promise<void> {
      lastSeq = (await deps.store.changesSince(0)).lastSeq;
      await loadAll();
      deps.log.info(
        { units: rankingFields.size, vectors: index.size, model: deps.embedder.modelId },
        'vector index loaded',
      );
    },
    sync,
    candidates,

    /** Ranks active units for a task; best first, at most `limit`, each with its score breakdown. */
    async rank(request: RankRequest, timings?: RankTimings): Promise<Ranked<ContextUnit>[]> {
      if (request.limit <= 0) {
        return [];
      }
      const accept = filterTest(request.filter);
      const pool = candidatePool(request.limit) * (accept === null ? 1 : FILTERED_POOL_FACTOR);
      const found = await candidates(request.task, pool, request.limit, timings, request.signal, accept);
      const started = performance.now();
      const ranked = rankCandidates(request.task, found.candidates, {
        limit: request.limit,
        minScore: request.minScore,
        weights,
        predecessorOf: found.predecessorOf,
      });
      const units = new Map((await deps.store.getMany(ranked.map((r) => r.unit.id))).map((u) => [u.id, u]));
      if (timings) {
        timings.rankMs += performance.now() - started;
      }
      // A unit deleted since the last sync drops out.
      return ranked.flatMap((r) => {
        const unit = units.get(r.unit.id);
        return unit === undefined ? [] : [{ ...r, unit }];
      });
    },
    /** Waits for a sync in progress (call before closing the store). */
    async close(): Promise<void> {
      await syncing?.catch(() => undefined);
    },
    /** Null when hybrid ranking works; otherwise why it fell back to full text. */
    get degradedReason(): string | null {
      return degraded;
    },
    get indexedUnits(): number {
      return index.size;
    },
    /** Makes room in the vector index for units about to be embedded (see `VectorIndex.reserve`). */
    expectUnits(count: number): void {
      try {
        index.reserve(count);
      } catch (error) {
        // Only an optimisation: the index still grows row by row as vectors arrive.
        deps.log.warn({ err: error instanceof Error ? error.message : String(error), count }, 'could not reserve room');
      }
    },
  };
}
export type SearchService = ReturnType<typeof createSearchService>;
