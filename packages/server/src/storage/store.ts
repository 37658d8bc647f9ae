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
  people: PeopleStore;
  apiKeys: ApiKeyStore;
  close(): Promise<void>;
}

/** A person (tenant): the owner of API keys and, later, of personal data. */
export interface Person {
  id: string;
  name: string;
  /** RFC 3339 UTC with milliseconds. */
  createdAt: string;
  /** A disabled person keeps their data; whether their keys still work is the caller's decision. */
  disabled: boolean;
}

export interface NewPerson {
  /** Default: a new time-ordered UUID (see `newId`) from `createdAt`. */
  id?: string | undefined;
  name: string;
  /** RFC 3339 UTC with milliseconds, from the caller's clock. */
  createdAt: string;
}

/** The fields `PeopleStore.update` may change; absent ones are kept. */
export interface PersonChanges {
  name?: string | undefined;
  disabled?: boolean | undefined;
}

/**
 * People. Deleting a person deletes their API keys with them (the database cascades); every write is one statement or
 * one transaction.
 */
export interface PeopleStore {
  /** Inserts a person (enabled). Rejects with the driver's constraint error when the id is taken. */
  create(person: NewPerson): Promise<Person>;
  /** Null for an unknown id. */
  get(id: string): Promise<Person | null>;
  /** Every person, oldest first (by `createdAt`, then `id`). */
  list(): Promise<Person[]>;
  /** Changes the given fields; null (and nothing written) for an unknown id. */
  update(id: string, changes: PersonChanges): Promise<Person | null>;
  /** Deletes the person and their API keys; false for an unknown id. */
  delete(id: string): Promise<boolean>;
  /**
   * The oldest person (first of `list`), created as `{ name, createdAt }` when there is none. Atomic across
   * connections and instances: callers racing on an empty store all get the same, single person.
   */
  ensureFirst(name: string, createdAt: string): Promise<Person>;
}

/**
 * An API key as stored: digests only, never the key. `digest` and `previousDigest` are lower-case hex SHA-256 of a
 * key (64 characters); they must not leave the server. Times are RFC 3339 UTC with milliseconds.
 */
export interface StoredApiKey {
  id: string;
  /** The owner (a `Person` id). */
  personId: string;
  name: string;
  /** In the order given at creation; the store does not interpret them. */
  scopes: string[];
  /** Digest of the current key. */
  digest: string;
  /** Digest of the key replaced by the last rotation; null before any rotation. */
  previousDigest: string | null;
  /** Until when the previous key is meant to keep working; set exactly when `previousDigest` is. */
  previousValidUntil: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  /** Null: never expires. */
  expiresAt: string | null;
  /** CIDR strings the key may be used from; empty: any network. The store does not parse them. */
  allowedNetworks: string[];
  /** Null while the key is not revoked. */
  revokedAt: string | null;
}

export interface NewApiKey {
  /** Default: a new time-ordered UUID (see `newId`) from `createdAt`. */
  id?: string | undefined;
  personId: string;
  name: string;
  scopes: readonly string[];
  /** Lower-case hex SHA-256 of the key (64 characters); anything else is refused by the database. */
  digest: string;
  /** RFC 3339 UTC with milliseconds, from the caller's clock. */
  createdAt: string;
  /** Default null: never expires. */
  expiresAt?: string | null | undefined;
  /** Default empty: any network. */
  allowedNetworks?: readonly string[] | undefined;
}

/** What `ApiKeyStore.findByDigest` found: the key, and which of its digests matched. */
export interface ApiKeyMatch {
  key: StoredApiKey;
  /** `previous`: the digest is the key's `previousDigest` (the key replaced by its last rotation). */
  matched: 'current' | 'previous';
}

/**
 * API keys by digest. The store never sees a key in plain text and never judges one: expiry, the rotation's grace
 * period, revocation, scopes and networks are the caller's to check. Digest lookups are index-backed (a unique index on
 * each digest column), so their cost does not grow with the number of keys.
 */
export interface ApiKeyStore {
  /**
   * Inserts a key: no previous digest, never used, not revoked. Rejects with the driver's constraint error when the
   * id or digest is taken, the digest is not 64 lower-case hex characters, or `personId` names no person.
   */
  create(key: NewApiKey): Promise<StoredApiKey>;
  /** Inserts many keys in one transaction (all or none), as `create` would one by one. */
  createMany(keys: readonly NewApiKey[]): Promise<void>;
  /** Null for an unknown id. */
  get(id: string): Promise<StoredApiKey | null>;
  /** Every key (revoked and expired ones too), or one person's, newest first (by `createdAt`, then insertion). */
  list(filter?: { personId?: string | undefined }): Promise<StoredApiKey[]>;
  /**
   * The key whose current or previous digest is `digest` (lower-case hex), whatever its expiry, grace period or
   * revocation; null when none is. Should a digest be one key's current and another's previous, the current wins.
   */
  findByDigest(digest: string): Promise<ApiKeyMatch | null>;
  /**
   * In one statement: the current digest becomes the previous one, valid until `previousValidUntil` (pass the
   * rotation time for no grace period), and `digest` becomes the current one. Whatever previous digest the key had is
   * forgotten. Returns the updated key; null (nothing written) for an unknown id. Rejects like `create` when the new
   * digest is taken or malformed.
   */
  rotate(id: string, next: { digest: string; previousValidUntil: string }): Promise<StoredApiKey | null>;
  /**
   * Marks the key revoked at `at`; the row is kept (listed, and found by digest with its `revokedAt`). A key already
   * revoked keeps its first revocation time. False for an unknown id.
   */
  revoke(id: string, at: string): Promise<boolean>;
  /** Deletes the key; false for an unknown id. */
  delete(id: string): Promise<boolean>;
  /**
   * Records a use at `at`: one indexed update by id, no transaction. Only moves `lastUsedAt` forward, so instances
   * with slightly different clocks or late writes never move it back. Unknown ids are ignored. Does not move `version`
   * for this connection, so callers may use it often (throttling it is still kind to the database).
   */
  touchLastUsed(id: string, at: string): Promise<void>;
  /** How many keys are stored, revoked and expired ones included. */
  count(): Promise<number>;
  /**
   * A number that changes whenever a key or a person may have changed (a key created, rotated, revoked or deleted; a
   * person created, updated or deleted), through this store or through any other connection to the same database,
   * and that needs no row lookup: a cache of keys by digest is valid while it stays the same. Absent when the back end
   * cannot tell; callers then look keys up every time.
   */
  version?(): number;
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
