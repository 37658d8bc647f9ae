import type { RankableUnit } from '../domain/ranking.js';
import type { ContextStatus, ContextType, ContextUnit } from '../domain/types.js';

/** Vectors of one unit's chunks under one embedding model. */
export interface UnitEmbedding {
  modelId: string;
  /** One L2-normalised vector per chunk, in chunk order. */
  vectors: Float32Array[];
}

export interface ContextFilter {
  includeSuperseded: boolean;
  type?: ContextType | undefined;
  status?: ContextStatus | undefined;
  /** Keep units having any of these tags (case-insensitive). */
  tags?: string[] | undefined;
  /** Case-insensitive substring of the content or of any tag. */
  search?: string | undefined;
  limit: number;
  offset: number;
}

export interface ContextCounts {
  total: number;
  active: number;
  /** Active units per type, in first-seen order. */
  byType: Partial<Record<ContextType, number>>;
  /** Active units that have vectors of the given model. */
  withEmbeddings: number;
}

export interface TextHit {
  id: string;
  /** Full-text relevance, higher is better, > 0. */
  score: number;
}

export interface ChangeBatch {
  /** Sequence number to pass to the next call. */
  lastSeq: number;
  /** Units written or deleted since the given sequence. */
  ids: string[];
  /** True when the log no longer reaches back that far: the caller must reload everything. */
  truncated: boolean;
}

/** Vectors computed for a unit's content. */
export interface EmbeddedContent {
  id: string;
  /** The content that was embedded. */
  content: string;
  embedding: UnitEmbedding;
}

/** Units waiting for vectors found by one step of a scan, and where the next step continues. */
export interface PendingBatch {
  units: ContextUnit[];
  /** Opaque position to pass as `after` to continue the scan (0 starts from the oldest unit). */
  next: number;
  /** True when the scan has passed the newest unit: nothing after `next` needs vectors. */
  exhausted: boolean;
}

export interface ImportItem {
  unit: ContextUnit;
  embedding: UnitEmbedding | null;
}

/**
 * Storage of context units, their chunk vectors and the full-text index. Every method is atomic: a multi-row write
 * happens whole or not at all. Timestamps are RFC 3339 strings.
 */
export interface ContextStore {
  get(id: string): Promise<ContextUnit | null>;
  getMany(ids: readonly string[]): Promise<ContextUnit[]>;
  /** Units in insertion order, filtered in the store. */
  list(filter: ContextFilter): Promise<ContextUnit[]>;
  /** Every unit (superseded too), in insertion order, for export. */
  listAll(): Promise<ContextUnit[]>;
  insert(unit: ContextUnit, embedding: UnitEmbedding | null): Promise<void>;
  /** Replaces the unit's fields; `embedding` undefined keeps the vectors, null drops them (re-index later). */
  update(unit: ContextUnit, embedding?: UnitEmbedding | null): Promise<void>;
  delete(id: string): Promise<boolean>;
  /**
   * In one transaction: inserts `replacement` and marks the unit `oldId` superseded by it, when that unit exists and
   * is active. False when it does not (missing, or superseded meanwhile): nothing is written.
   */
  supersede(oldId: string, replacement: ContextUnit, embedding: UnitEmbedding | null): Promise<boolean>;
  /** Upserts by id in one transaction; with `replaceExisting` every unit not in the batch is deleted first. */
  importUnits(items: readonly ImportItem[], options: { replaceExisting: boolean }): Promise<void>;
  touchLastUsed(ids: readonly string[], at: string): Promise<void>;
  counts(modelId: string): Promise<ContextCounts>;
  /**
   * For each given unit whose source is not `manual`, the next unit (by insertion order) with the same source:
   * a map from that next unit's id to the given unit's id.
   */
  successors(ids: readonly string[]): Promise<Map<string, string>>;
  /** BM25-style search over active units; `terms` come from `queryTerms`. */
  textSearch(terms: readonly string[], limit: number): Promise<TextHit[]>;
  /** Vectors of the given model for the given units (all units when `ids` is undefined). */
  readEmbeddings(
    modelId: string,
    ids?: readonly string[],
  ): AsyncIterable<{ id: string; status: ContextStatus; vectors: Float32Array[] }>;
  /**
   * What ranking needs of each unit (every unit, superseded too, when `ids` is undefined; unknown ids are left out),
   * so that candidates can be fused in memory and only the selected units read whole.
   */
  readRankingFields(ids?: readonly string[]): AsyncIterable<RankableUnit>;
  /**
   * One step of a scan for units that have no vectors of this model yet, oldest first: at most `limit` units after
   * position `after` (default 0: from the oldest), looking at a bounded window of units per call so that no call
   * blocks for long on a large store. A step may return no units and still not be `exhausted`.
   */
  pendingEmbeddings(modelId: string, limit: number, after?: number): Promise<PendingBatch>;
  countPendingEmbeddings(modelId: string): Promise<number>;
  /**
   * Stores vectors computed in the background, in one transaction, for each unit whose content is still the one that
   * was embedded (a unit edited or deleted meanwhile is skipped). Returns how many units were saved.
   */
  saveEmbeddings(entries: readonly EmbeddedContent[]): Promise<number>;
  changesSince(seq: number): Promise<ChangeBatch>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Settings key/value store (plain values; secrets are encrypted before they reach it). */
export interface SettingsStore {
  getAll(): Promise<Map<string, string>>;
  get(key: string): Promise<string | null>;
  set(entries: Record<string, string | null>): Promise<void>;
  /**
   * A number that changes whenever a setting may have changed, through this store or through any other connection
   * to the same database, and that needs no row lookup. Absent when the back end cannot tell; callers that cache a
   * setting then read it every time.
   */
  version?(): number;
}

export interface Storage {
  /** `sqlite`, `postgres` or `memory`. */
  kind: string;
  contexts: ContextStore;
  settings: SettingsStore;
  events: SecurityEventStore;
  conversations: ConversationStore;
  signatures: SignatureStore;
  close(): Promise<void>;
}

/**
 * Request signatures already accepted, by digest, so that each is accepted once. Kept in the database so that a
 * restart forgets none and every instance sharing the database sees the same set. Times are epoch milliseconds.
 */
export interface SignatureStore {
  /**
   * Records `digest` as used until `expiresAtMs`, unless it is recorded already and still unexpired at `nowMs`.
   * True when it was recorded by this call: the first use. Atomic across connections and instances.
   */
  add(digest: Buffer, expiresAtMs: number, nowMs: number): Promise<boolean>;
  /** Deletes the digests expired at `nowMs`; returns how many. */
  deleteExpired(nowMs: number): Promise<number>;
}

/** One row of the security audit log. Never holds a key, secret, signature or body. */
export interface SecurityEvent {
  id: string;
  event: string;
  outcome: string;
  requestId: string | null;
  method: string | null;
  path: string | null;
  clientIp: string | null;
  actor: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

export interface SecurityEventFilter {
  limit: number;
  offset: number;
  event?: string | undefined;
  outcome?: string | undefined;
  requestId?: string | undefined;
}

/** The persisted security audit log. */
export interface SecurityEventStore {
  insertMany(events: readonly SecurityEvent[]): Promise<void>;
  /** Newest first. */
  list(filter: SecurityEventFilter): Promise<SecurityEvent[]>;
  /** Deletes events created before the given time; returns how many. */
  deleteBefore(createdAt: string): Promise<number>;
}

export interface ConversationRecord {
  id: string;
  /** The first turn's task. */
  task: string;
  promptType: 'full' | 'compact';
  createdAt: string;
  lastMessageAt: string;
  /** The provider and model that answered last. */
  provider: string;
  model: string;
  /** The first turn's context ids. */
  contextIds: string[];
}

export interface MessageRecord {
  id: string;
  role: 'system' | 'user' | 'assistant';
  /** For user turns the full prompt sent (v1), for assistant turns the reply. */
  content: string;
  createdAt: string;
  tokens: number | null;
  finishReason: string | null;
  model: string | null;
  /** User turns: the contexts used for this turn. */
  contextIds: string[] | null;
  /** User turns: the task as the user typed it (sanitized). */
  task: string | null;
}

export interface ConversationSummaryRecord extends ConversationRecord {
  messageCount: number;
}

/** Conversations and their messages. Each write is one transaction. */
export interface ConversationStore {
  create(conversation: ConversationRecord, messages: readonly MessageRecord[]): Promise<void>;
  /** Appends a turn and updates provider/model/last activity; false when the conversation no longer exists. */
  appendTurn(
    id: string,
    update: { provider: string; model: string; lastMessageAt: string },
    messages: readonly MessageRecord[],
  ): Promise<boolean>;
  get(id: string): Promise<(ConversationRecord & { messages: MessageRecord[] }) | null>;
  /** Most recent activity first; `search` matches the task or any message, case-insensitively. */
  list(options: { limit: number; offset: number; search?: string | undefined }): Promise<ConversationSummaryRecord[]>;
  delete(id: string): Promise<boolean>;
}
