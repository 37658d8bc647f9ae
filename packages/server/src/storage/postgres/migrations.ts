/**
 * Versioned schema of the PostgreSQL back end. Append only: a released migration never changes. Tables are created
 * unqualified, in the schema that `search_path` names, so one database can hold several instances (and test runs).
 * Columns mirror `sqlite/migrations.ts`; timestamps stay RFC 3339 `text` so that values round-trip exactly.
 */
export const POSTGRES_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE context_units (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  type text NOT NULL CHECK (type IN ('preference', 'decision', 'fact', 'goal')),
  content text NOT NULL,
  confidence double precision NOT NULL DEFAULT 1.0 CHECK (confidence >= 0 AND confidence <= 1),
  created_at text NOT NULL,
  last_used text,
  source text NOT NULL DEFAULT 'manual',
  tags jsonb NOT NULL DEFAULT '[]'::jsonb,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded')),
  superseded_by text,
  -- Content weighs more than tags, like the column weights SQLite passes to bm25().
  search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', content), 'A') || setweight(to_tsvector('english', tags), 'B')
  ) STORED
);
CREATE INDEX context_units_status ON context_units (status);
CREATE INDEX context_units_source_seq ON context_units (source, seq);
CREATE INDEX context_units_search ON context_units USING gin (search_vector);

CREATE TABLE context_embeddings (
  context_id text NOT NULL REFERENCES context_units (id) ON DELETE CASCADE,
  chunk_index integer NOT NULL,
  model_id text NOT NULL,
  vector bytea NOT NULL,
  PRIMARY KEY (context_id, chunk_index)
);
CREATE INDEX context_embeddings_model ON context_embeddings (model_id, context_id);

CREATE TABLE context_changes (
  seq bigserial PRIMARY KEY,
  context_id text NOT NULL
);

CREATE TABLE conversations (
  id text PRIMARY KEY,
  task text NOT NULL,
  prompt_type text NOT NULL,
  created_at text NOT NULL,
  last_message_at text NOT NULL,
  provider text NOT NULL,
  model text NOT NULL,
  context_ids jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX conversations_last_message ON conversations (last_message_at);

CREATE TABLE messages (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content text NOT NULL,
  created_at text NOT NULL,
  tokens integer,
  finish_reason text,
  model text,
  context_ids jsonb,
  task text
);
CREATE INDEX messages_conversation ON messages (conversation_id, seq);

CREATE TABLE security_events (
  -- Insertion order breaks ties between equal created_at (SQLite uses its rowid).
  seq bigserial NOT NULL,
  id text PRIMARY KEY,
  event text NOT NULL,
  outcome text NOT NULL,
  request_id text,
  method text,
  path text,
  client_ip text,
  actor text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at text NOT NULL
);
CREATE INDEX security_events_created ON security_events (created_at, seq);
CREATE INDEX security_events_event ON security_events (event, outcome);
CREATE INDEX security_events_request ON security_events (request_id);

CREATE TABLE settings (
  key text PRIMARY KEY,
  value text NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'accepted request signatures',
    sql: `
CREATE TABLE used_signatures (
  digest bytea PRIMARY KEY,
  expires_at bigint NOT NULL
);
CREATE INDEX used_signatures_expires ON used_signatures (expires_at);
`,
  },
  {
    version: 3,
    name: 'people and their API keys',
    // As in SQLite (migration 5): digests only, checked to be lower-case hex SHA-256, each digest column behind a
    // unique index. seq breaks ties between equal created_at in the list order (SQLite uses its rowid).
    sql: `
CREATE TABLE people (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at text NOT NULL,
  disabled boolean NOT NULL DEFAULT false
);
CREATE INDEX people_created ON people (created_at, id);

CREATE TABLE api_keys (
  seq bigserial NOT NULL,
  id text PRIMARY KEY,
  person_id text NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  name text NOT NULL,
  scopes jsonb NOT NULL DEFAULT '[]'::jsonb,
  digest text NOT NULL UNIQUE CHECK (digest ~ '^[0-9a-f]{64}$'),
  previous_digest text CHECK (previous_digest ~ '^[0-9a-f]{64}$'),
  previous_valid_until text,
  created_at text NOT NULL,
  last_used_at text,
  expires_at text,
  allowed_networks jsonb NOT NULL DEFAULT '[]'::jsonb,
  revoked_at text,
  CHECK ((previous_digest IS NULL) = (previous_valid_until IS NULL))
);
CREATE UNIQUE INDEX api_keys_previous_digest ON api_keys (previous_digest) WHERE previous_digest IS NOT NULL;
CREATE INDEX api_keys_person ON api_keys (person_id, created_at, seq);
CREATE INDEX api_keys_created ON api_keys (created_at, seq);
`,
  },
];
