import type { ContextStatus, ContextType, ContextUnit } from '../domain/types.js';

/** A `context_units` row as both SQL back ends return it. */
export interface ContextRow {
  id: string;
  type: string;
  content: string;
  confidence: number;
  created_at: string;
  last_used: string | null;
  source: string;
  tags: string | string[];
  status: string;
  superseded_by: string | null;
}

export function rowToUnit(row: ContextRow): ContextUnit {
  return {
    id: row.id,
    type: row.type as ContextType,
    content: row.content,
    confidence: Number(row.confidence),
    createdAt: row.created_at,
    lastUsed: row.last_used,
    source: row.source,
    tags: typeof row.tags === 'string' ? (JSON.parse(row.tags) as string[]) : row.tags,
    status: row.status as ContextStatus,
    supersededBy: row.superseded_by,
  };
}

/** Keeps the change log bounded: entries older than this many writes are pruned. */
export const CHANGE_LOG_KEEP = 50_000;
