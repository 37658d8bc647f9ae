import { newId } from '../ids.js';

import { echo } from '../domain/echo.js';
import { exportCsv, exportJson, ImportFormatError, parseImport } from '../domain/transfer/index.js';
import { toTimestamp, type Clock, type ContextType, type ContextUnit } from '../domain/types.js';
import {
  checkConfidence,
  checkContent,
  checkNewUnit,
  checkStatus,
  checkSupersededBy,
  checkTags,
  checkType,
  isContextStatus,
  isContextType,
  type TextLimits,
} from '../domain/unit-rules.js';
import { badRequest, clientClosedRequest, conflict, notFound, payloadTooLarge, serviceUnavailable } from '../errors.js';
import { EmbeddingBusyError, EmbeddingError, type Embedder } from '../providers/embeddings/embedder.js';
import type { ContextCounts, ContextStore, UnitEmbedding } from '../storage/store.js';
import { checked } from './input.js';

export interface CreateContextInput {
  type: ContextType;
  content: string;
  confidence: number;
  tags: string[];
  source: string;
}

/** A change of a unit: each field present is set (`supersededBy: null` clears the link). Checked like a create. */
export interface ContextPatch {
  type?: string | undefined;
  content?: string | undefined;
  confidence?: number | undefined;
  tags?: readonly string[] | undefined;
  status?: string | undefined;
  supersededBy?: string | null | undefined;
}

/** The unit that replaces another: fields left out are taken from the unit it replaces. */
export interface SupersedeInput {
  content: string;
  type?: string | undefined;
  confidence?: number | undefined;
  tags?: readonly string[] | undefined;
  source?: string | undefined;
}

export interface ListContextsInput {
  includeSuperseded: boolean;
  type?: string | undefined;
  tags?: string | undefined;
  search?: string | undefined;
  statusFilter?: string | undefined;
  limit: number;
  offset: number;
}

export interface ImportOutcome {
  imported: number;
  skipped: number;
  errors: string[];
  totalErrors: number;
}

const alreadySuperseded = (id: string) => conflict(`Context unit ${echo(id)} is already superseded`);

/** Retry-After of a write refused because the embedder is saturated. */
const EMBEDDING_RETRY_SECONDS = 5;
/** How many error strings an import response lists (v1 shows the first 10, and the total). */
const MAX_REPORTED_ERRORS = 10;

/**
 * Create, read, update, delete, import and export of context units. Every write sanitizes like a create, embeds
 * before writing, and writes unit and vectors in one transaction.
 */
export function createContextService(deps: {
  store: ContextStore;
  embedder: Pick<Embedder, 'modelId' | 'dimension' | 'embedDocuments'>;
  clock: Clock;
  limits: TextLimits & { maxImportBytes: number; maxImportItems: number };
  onImported?: () => void;
}) {
  const { store, clock, limits } = deps;

  async function embed(content: string, signal: AbortSignal | undefined): Promise<UnitEmbedding> {
    try {
      const [vectors] = await deps.embedder.embedDocuments([content], { signal });
      return { modelId: deps.embedder.modelId, vectors: vectors ?? [] };
    } catch (error) {
      if (signal?.aborted) {
        throw clientClosedRequest();
      }
      if (error instanceof EmbeddingBusyError) {
        throw serviceUnavailable('Embedding model is busy, try again later', EMBEDDING_RETRY_SECONDS);
      }
      if (error instanceof EmbeddingError) {
        throw serviceUnavailable('Embedding model not available');
      }
      throw error;
    }
  }

  async function require(id: string): Promise<ContextUnit> {
    const unit = await store.get(id);
    if (unit === null) {
      throw notFound(`Context unit ${echo(id)} not found`);
    }
    return unit;
  }

  /** An active unit, for a change that only an active unit can take. */
  async function requireActive(id: string): Promise<ContextUnit> {
    const unit = await require(id);
    if (unit.status !== 'active') {
      throw alreadySuperseded(id);
    }
    return unit;
  }

  return {
    /** Aborting `signal` (the client went away) gives the embedding up; nothing is written. */
    async create(input: CreateContextInput, signal?: AbortSignal): Promise<ContextUnit> {
      const fields = checked(() => checkNewUnit(input, limits));
      const embedding = await embed(fields.content, signal);
      const unit: ContextUnit = {
        id: newId(),
        type: fields.type,
        content: fields.content,
        confidence: fields.confidence,
        createdAt: toTimestamp(clock.now()),
        lastUsed: null,
        source: fields.source,
        tags: fields.tags,
        status: 'active',
        supersededBy: null,
      };
      await store.insert(unit, embedding);
      return unit;
    },

    get: require,

    async list(input: ListContextsInput): Promise<ContextUnit[]> {
      const type = input.type === undefined || input.type === '' ? undefined : input.type;
      const status = input.statusFilter === undefined || input.statusFilter === '' ? undefined : input.statusFilter;
      if (type !== undefined && !isContextType(type)) {
        throw badRequest(`Invalid type: ${echo(type)}. Must be one of: preference, goal, decision, fact`);
      }
      if (status !== undefined && !isContextStatus(status)) {
        throw badRequest(`Invalid status: ${echo(status)}. Must be one of: active, superseded`);
      }
      const tags = input.tags
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      return store.list({
        includeSuperseded: input.includeSuperseded,
        type,
        status,
        tags: tags && tags.length > 0 ? tags : undefined,
        search: input.search ? input.search : undefined,
        limit: input.limit,
        offset: input.offset,
      });
    },

    /** Applies the keys present in `patch`; new content is re-embedded in the same write. */
    async update(id: string, patch: ContextPatch, signal?: AbortSignal): Promise<ContextUnit> {
      const current = await require(id);
      const next: ContextUnit = { ...current };
      if (patch.type !== undefined) {
        next.type = checked(() => checkType(patch.type));
      }
      if (patch.confidence !== undefined) {
        next.confidence = checked(() => checkConfidence(patch.confidence));
      }
      if (patch.status !== undefined) {
        next.status = checked(() => checkStatus(patch.status));
      }
      if (patch.tags !== undefined) {
        next.tags = checked(() => checkTags(patch.tags, limits));
      }
      if (patch.supersededBy !== undefined) {
        const link = checked(() => checkSupersededBy(id, patch.supersededBy ?? null));
        if (link !== null && (await store.get(link)) === null) {
          throw badRequest(`Context unit ${echo(link)} not found`);
        }
        next.supersededBy = link;
      }
      let embedding: UnitEmbedding | undefined;
      if (patch.content !== undefined) {
        next.content = checked(() => checkContent(patch.content, limits));
        if (next.content !== current.content) {
          embedding = await embed(next.content, signal);
        }
      }
      await store.update(next, embedding);
      return next;
    },

    /**
     * Replaces an active unit: a new unit (its fields checked like a create, missing ones taken from the old unit)
     * is written and the old one marked superseded by it, in one transaction.
     * @throws AppError 404 for an unknown id, 409 when the unit is already superseded, 400 for a broken rule
     */
    async supersede(id: string, input: SupersedeInput, signal?: AbortSignal): Promise<ContextUnit> {
      const old = await requireActive(id);
      const fields = checked(() =>
        checkNewUnit(
          {
            type: input.type ?? old.type,
            content: input.content,
            confidence: input.confidence ?? old.confidence,
            tags: input.tags ?? old.tags,
            source: input.source ?? old.source,
          },
          limits,
        ),
      );
      const embedding = await embed(fields.content, signal);
      const unit: ContextUnit = {
        id: newId(),
        ...fields,
        createdAt: toTimestamp(clock.now()),
        lastUsed: null,
        status: 'active',
        supersededBy: null,
      };
      if (!(await store.supersede(id, unit, embedding))) {
        // Deleted or superseded by another request while this one was embedding.
        await requireActive(id);
        throw alreadySuperseded(id);
      }
      return unit;
    },

    async delete(id: string): Promise<void> {
      if (!(await store.delete(id))) {
        throw notFound(`Context unit ${echo(id)} not found`);
      }
    },

    /**
     * Imports a JSON or CSV file. Good items are written in one transaction (with `replaceExisting`, everything
     * else is deleted in the same transaction); bad items are reported and skipped. Vectors are computed in the
     * background afterwards, so a large import returns quickly; until then the units rank by full text only.
     */
    async import(file: { filename: string; bytes: Uint8Array }, replaceExisting: boolean): Promise<ImportOutcome> {
      if (file.bytes.byteLength > limits.maxImportBytes) {
        throw payloadTooLarge(`Import file exceeds the maximum size of ${limits.maxImportBytes} bytes`);
      }
      let parsed;
      try {
        parsed = parseImport(file, {
          limits,
          maxItems: limits.maxImportItems,
          now: toTimestamp(clock.now()),
          newId,
        });
      } catch (error) {
        if (error instanceof ImportFormatError) {
          throw badRequest(error.message);
        }
        throw error;
      }
      await store.importUnits(
        parsed.units.map((unit) => ({ unit, embedding: null })),
        { replaceExisting },
      );
      deps.onImported?.();
      return {
        imported: parsed.units.length,
        skipped: parsed.errors.length,
        errors: parsed.errors.slice(0, MAX_REPORTED_ERRORS),
        totalErrors: parsed.errors.length,
      };
    },

    async export(format: string): Promise<{ body: string; contentType: string; filename: string }> {
      if (format !== 'json' && format !== 'csv') {
        throw badRequest(`Unsupported format: ${echo(format)}. Use 'json' or 'csv'`);
      }
      const now = clock.now();
      const stamp = toTimestamp(now).replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
      const units = await store.listAll();
      return format === 'json'
        ? {
            body: exportJson(units, toTimestamp(now)),
            contentType: 'application/json',
            filename: `contexts_${stamp}.json`,
          }
        : { body: exportCsv(units), contentType: 'text/csv; charset=utf-8', filename: `contexts_${stamp}.csv` };
    },

    /** The embedding model whose vectors rank the units. */
    model: { id: deps.embedder.modelId, dimension: deps.embedder.dimension },

    counts(): Promise<ContextCounts> {
      return store.counts(deps.embedder.modelId);
    },
  };
}
export type ContextService = ReturnType<typeof createContextService>;
