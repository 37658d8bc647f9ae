import type { RankableUnit } from '../domain/ranking.js';
import type { ContextStatus, ContextType, ContextUnit } from '../domain/types.js';
import type {
  ConversationRecord,
  MessageRecord,
  Person,
  SecurityEvent,
  SecurityEventFilter,
  StoredApiKey,
} from './store.js';

/*
 * Rows as both SQL back ends return them. A JSON column arrives as text from SQLite and already parsed from a
 * PostgreSQL `jsonb` column, so its row type allows both and the mapper parses only text.
 */

/** A JSON column's value: parsed when SQLite returns it as text, as is when PostgreSQL already parsed it. */
function fromJson<T>(value: string | T): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

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
    tags: fromJson(row.tags),
    status: row.status as ContextStatus,
    supersededBy: row.superseded_by,
  };
}

/** The columns ranking reads of a `context_units` row. */
export type RankingRow = Pick<ContextRow, 'id' | 'type' | 'confidence' | 'tags' | 'status'>;

export function rowToRankingFields(row: RankingRow): RankableUnit {
  return {
    id: row.id,
    type: row.type as ContextType,
    confidence: Number(row.confidence),
    tags: fromJson(row.tags),
    status: row.status as ContextStatus,
  };
}

/** A `conversations` row as both SQL back ends return it; `message_count` only where the query counts them. */
export interface ConversationRow {
  id: string;
  task: string;
  prompt_type: string;
  created_at: string;
  last_message_at: string;
  provider: string;
  model: string;
  context_ids: string | string[];
  message_count?: number;
}

export function rowToConversation(row: ConversationRow): ConversationRecord {
  return {
    id: row.id,
    task: row.task,
    promptType: row.prompt_type === 'compact' ? 'compact' : 'full',
    createdAt: row.created_at,
    lastMessageAt: row.last_message_at,
    provider: row.provider,
    model: row.model,
    contextIds: fromJson(row.context_ids),
  };
}

/** A `messages` row as both SQL back ends return it. */
export interface MessageRow {
  id: string;
  role: string;
  content: string;
  created_at: string;
  tokens: number | null;
  finish_reason: string | null;
  model: string | null;
  context_ids: string | string[] | null;
  task: string | null;
}

export function rowToMessage(row: MessageRow): MessageRecord {
  return {
    id: row.id,
    role: row.role as MessageRecord['role'],
    content: row.content,
    createdAt: row.created_at,
    tokens: row.tokens,
    finishReason: row.finish_reason,
    model: row.model,
    contextIds: row.context_ids === null ? null : fromJson(row.context_ids),
    task: row.task,
  };
}

/** A `security_events` row as both SQL back ends return it. */
export interface EventRow {
  id: string;
  event: string;
  outcome: string;
  request_id: string | null;
  method: string | null;
  path: string | null;
  client_ip: string | null;
  actor: string | null;
  details: string | Record<string, unknown>;
  created_at: string;
}

export function rowToEvent(row: EventRow): SecurityEvent {
  return {
    id: row.id,
    event: row.event,
    outcome: row.outcome,
    requestId: row.request_id,
    method: row.method,
    path: row.path,
    clientIp: row.client_ip,
    actor: row.actor,
    details: fromJson(row.details),
    createdAt: row.created_at,
  };
}

/** The `security_events` columns a list filter constrains, with their values; filters that are not set are left out. */
export function eventFilterColumns(filter: SecurityEventFilter): { column: string; value: string }[] {
  const set: { column: string; value: string }[] = [];
  for (const [column, value] of [
    ['event', filter.event],
    ['outcome', filter.outcome],
    ['request_id', filter.requestId],
  ] as const) {
    if (value !== undefined) {
      set.push({ column, value });
    }
  }
  return set;
}

/** A `people` row as both SQL back ends return it: `disabled` is 0/1 in SQLite, a boolean in PostgreSQL. */
export interface PersonRow {
  id: string;
  name: string;
  created_at: string;
  disabled: number | boolean;
}

export const PERSON_COLUMNS = 'id, name, created_at, disabled';

export function rowToPerson(row: PersonRow): Person {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    disabled: row.disabled === true || row.disabled === 1,
  };
}

/** An `api_keys` row as both SQL back ends return it. */
export interface ApiKeyRow {
  id: string;
  person_id: string;
  name: string;
  scopes: string | string[];
  digest: string;
  previous_digest: string | null;
  previous_valid_until: string | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  allowed_networks: string | string[];
  revoked_at: string | null;
}

export const API_KEY_COLUMNS =
  'id, person_id, name, scopes, digest, previous_digest, previous_valid_until, created_at, last_used_at, expires_at, allowed_networks, revoked_at';

export function rowToApiKey(row: ApiKeyRow): StoredApiKey {
  return {
    id: row.id,
    personId: row.person_id,
    name: row.name,
    scopes: fromJson(row.scopes),
    digest: row.digest,
    previousDigest: row.previous_digest,
    previousValidUntil: row.previous_valid_until,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    allowedNetworks: fromJson(row.allowed_networks),
    revokedAt: row.revoked_at,
  };
}

/** Keeps the change log bounded: entries older than this many writes are pruned. */
export const CHANGE_LOG_KEEP = 50_000;

/**
 * Units (by position) one `pendingEmbeddings` call looks at. A scan over units that already have vectors costs about
 * one to ten microseconds per unit in SQLite (more when ids are random and the index pages are not cached); this
 * bounds one call to about ten milliseconds.
 */
export const PENDING_SCAN_WINDOW = 1_000;
