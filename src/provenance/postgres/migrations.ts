import type { Migration } from '../sqlite/migrations.js';

/**
 * The PostgreSQL schema, version for version the same as SQLite's MIGRATIONS (same numbers and names; a
 * test fails when the two lists drift). Applied versions are rows of `arbor_migrations`, whose presence
 * also marks a schema as Arbor's. Append only, like the SQLite list.
 *
 * Differences from SQLite, on purpose: integers are BIGINT (SQLite's are 64-bit, and the record checks let
 * any safe integer through); times and durations are DOUBLE PRECISION, which holds every integer up to 2^53
 * exactly and also the fractional values SQLite keeps as REAL, so both stores return what they were given;
 * ids compare in byte order (COLLATE "C") so prefix lookups and ordering match SQLite's; JSON stays TEXT,
 * so the exact canonical bytes that were hashed are the bytes stored.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, steps, blobs, cache and search nodes',
    sql: `
      CREATE TABLE runs (
        id TEXT COLLATE "C" PRIMARY KEY,
        status TEXT NOT NULL,
        task TEXT,
        environment TEXT,
        parent_run_id TEXT COLLATE "C" REFERENCES runs(id),
        fork_seq BIGINT,
        created_at DOUBLE PRECISION NOT NULL,
        ended_at DOUBLE PRECISION,
        metadata TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX runs_created_at ON runs(created_at);
      CREATE INDEX runs_parent ON runs(parent_run_id);

      CREATE TABLE blobs (
        hash TEXT COLLATE "C" PRIMARY KEY,
        size BIGINT NOT NULL,
        content TEXT NOT NULL
      );

      CREATE TABLE steps (
        run_id TEXT COLLATE "C" NOT NULL REFERENCES runs(id),
        seq BIGINT NOT NULL,
        parent_step_id TEXT COLLATE "C",
        depth BIGINT NOT NULL DEFAULT 0,
        kind TEXT NOT NULL DEFAULT 'action',
        action TEXT NOT NULL,
        effect TEXT NOT NULL,
        input_hash TEXT COLLATE "C" NOT NULL,
        input_json TEXT,
        output_hash TEXT COLLATE "C",
        output_json TEXT,
        status TEXT NOT NULL,
        error_code TEXT,
        error TEXT,
        started_at DOUBLE PRECISION NOT NULL,
        ended_at DOUBLE PRECISION,
        duration_us DOUBLE PRECISION,
        attempt BIGINT NOT NULL DEFAULT 1,
        nondeterminism TEXT NOT NULL DEFAULT '[]',
        metadata TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, seq)
      );

      CREATE TABLE cache (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value_hash TEXT COLLATE "C" NOT NULL REFERENCES blobs(hash),
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (namespace, key)
      );

      CREATE TABLE search_nodes (
        run_id TEXT COLLATE "C" NOT NULL REFERENCES runs(id),
        node_id BIGINT NOT NULL,
        parent_id BIGINT,
        depth BIGINT NOT NULL,
        action TEXT,
        input TEXT,
        status TEXT NOT NULL,
        step_id TEXT COLLATE "C",
        g DOUBLE PRECISION,
        h DOUBLE PRECISION,
        value DOUBLE PRECISION,
        visits BIGINT NOT NULL DEFAULT 0,
        data TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, node_id)
      );
      CREATE INDEX search_nodes_parent ON search_nodes(run_id, parent_id);
    `,
  },
  {
    version: 2,
    name: 'generated actions (the action library)',
    sql: `
      -- Functions an agent or a user saved as actions: every version kept, with its source and where it
      -- came from (the run, and the code step in which it ran successfully).
      CREATE TABLE generated_actions (
        name TEXT COLLATE "C" NOT NULL,
        version BIGINT NOT NULL,
        description TEXT NOT NULL,
        code TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        input_schema TEXT NOT NULL,
        output_schema TEXT,
        effect TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        origin_run_id TEXT COLLATE "C",
        origin_step_id TEXT COLLATE "C",
        created_by TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (name, version)
      );
      CREATE INDEX generated_actions_origin ON generated_actions(origin_run_id);
    `,
  },
];

export const POSTGRES_LATEST_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]?.version ?? 0;
