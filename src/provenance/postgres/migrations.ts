import type { Migration } from '../sqlite/migrations.js';

/**
 * The PostgreSQL schema, version for version the same as SQLite's MIGRATIONS (same numbers and names; a
 * test fails when the two lists drift). Applied versions are rows of `arbor_migrations`, whose presence
 * also marks a schema as Arbor's. Append only, like the SQLite list.
 *
 * Differences from SQLite, on purpose: epoch milliseconds and microseconds are BIGINT; ids compare in
 * byte order (COLLATE "C") so prefix lookups and ordering match SQLite's; JSON stays TEXT, so the exact
 * canonical bytes that were hashed are the bytes stored.
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
        fork_seq INTEGER,
        created_at BIGINT NOT NULL,
        ended_at BIGINT,
        metadata TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX runs_created_at ON runs(created_at);
      CREATE INDEX runs_parent ON runs(parent_run_id);

      CREATE TABLE blobs (
        hash TEXT COLLATE "C" PRIMARY KEY,
        size INTEGER NOT NULL,
        content TEXT NOT NULL
      );

      CREATE TABLE steps (
        run_id TEXT COLLATE "C" NOT NULL REFERENCES runs(id),
        seq INTEGER NOT NULL,
        parent_step_id TEXT COLLATE "C",
        depth INTEGER NOT NULL DEFAULT 0,
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
        started_at BIGINT NOT NULL,
        ended_at BIGINT,
        duration_us BIGINT,
        attempt INTEGER NOT NULL DEFAULT 1,
        nondeterminism TEXT NOT NULL DEFAULT '[]',
        metadata TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, seq)
      );

      CREATE TABLE cache (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value_hash TEXT COLLATE "C" NOT NULL REFERENCES blobs(hash),
        created_at BIGINT NOT NULL,
        PRIMARY KEY (namespace, key)
      );

      CREATE TABLE search_nodes (
        run_id TEXT COLLATE "C" NOT NULL REFERENCES runs(id),
        node_id INTEGER NOT NULL,
        parent_id INTEGER,
        depth INTEGER NOT NULL,
        action TEXT,
        input TEXT,
        status TEXT NOT NULL,
        step_id TEXT COLLATE "C",
        g DOUBLE PRECISION,
        h DOUBLE PRECISION,
        value DOUBLE PRECISION,
        visits INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, node_id)
      );
      CREATE INDEX search_nodes_parent ON search_nodes(run_id, parent_id);
    `,
  },
];

export const POSTGRES_LATEST_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]?.version ?? 0;
