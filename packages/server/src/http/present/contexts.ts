import type { ContextUnit as WireContextUnit, ImportResult, Stats } from '@contextpilot/contract';

import type { ContextUnit } from '../../domain/types.js';
import type { ImportOutcome } from '../../services/context-service.js';
import type { ContextCounts } from '../../storage/store.js';

/** The v1 wire shape of a unit (key order of the original API). */
export function presentContext(unit: ContextUnit): WireContextUnit {
  return {
    id: unit.id,
    type: unit.type,
    content: unit.content,
    confidence: unit.confidence,
    created_at: unit.createdAt,
    last_used: unit.lastUsed,
    source: unit.source,
    tags: unit.tags,
    status: unit.status,
    superseded_by: unit.supersededBy,
  };
}

export function presentImport(outcome: ImportOutcome): ImportResult {
  return {
    imported: outcome.imported,
    skipped: outcome.skipped,
    errors: outcome.errors,
    total_errors: outcome.totalErrors,
  };
}

/** `GET /stats`: unit counts, and the fields of the original API whose caches this implementation does not have. */
export function presentStats(
  counts: ContextCounts,
  index: { indexedUnits: number; model: { id: string; dimension: number } },
): Stats {
  return {
    total_contexts: counts.total,
    active_contexts: counts.active,
    superseded_contexts: counts.total - counts.active,
    contexts_by_type: counts.byType,
    contexts_with_embeddings: counts.withEmbeddings,
    embedding_cache: { size: index.indexedUnits, max_size: 0, ttl_seconds: 0 },
    response_cache: { size: 0, max_size: 0, default_ttl: 0 },
    embedding_model: index.model,
  };
}
