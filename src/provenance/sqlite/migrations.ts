/**
 * Versioned schema migrations. `PRAGMA user_version` holds the number of the last one applied; a store
 * whose version is higher than the last entry here was written by a newer Arbor and is refused untouched.
 * Never edit a released migration: append a new one. The PostgreSQL store keeps the same numbering.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, steps, blobs, cache and search nodes',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        task TEXT,
        environment TEXT,
        parent_run_id TEXT REFERENCES runs(id),
        fork_seq INTEGER,
        created_at INTEGER NOT NULL,
        ended_at INTEGER,
        metadata TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX runs_created_at ON runs(created_at);
      CREATE INDEX runs_parent ON runs(parent_run_id);

      CREATE TABLE blobs (
        hash TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        content TEXT NOT NULL
      ) WITHOUT ROWID;

      -- One row per step, keyed by (run_id, seq); the step id is "<run_id>:<seq>". Payloads up to
      -- INLINE_LIMIT bytes live in the row (one B-tree write per step keeps recording cheap); larger
      -- ones live once in blobs, by hash.
      CREATE TABLE steps (
        run_id TEXT NOT NULL REFERENCES runs(id),
        seq INTEGER NOT NULL,
        parent_step_id TEXT,
        depth INTEGER NOT NULL DEFAULT 0,
        kind TEXT NOT NULL DEFAULT 'action',
        action TEXT NOT NULL,
        effect TEXT NOT NULL,
        input_hash TEXT NOT NULL,
        input_json TEXT,
        output_hash TEXT,
        output_json TEXT,
        status TEXT NOT NULL,
        error_code TEXT,
        error TEXT,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        duration_us INTEGER,
        attempt INTEGER NOT NULL DEFAULT 1,
        nondeterminism TEXT NOT NULL DEFAULT '[]',
        metadata TEXT NOT NULL DEFAULT '{}',
        UNIQUE (run_id, seq)
      );

      CREATE TABLE cache (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value_hash TEXT NOT NULL REFERENCES blobs(hash),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (namespace, key)
      ) WITHOUT ROWID;

      CREATE TABLE search_nodes (
        run_id TEXT NOT NULL REFERENCES runs(id),
        node_id INTEGER NOT NULL,
        parent_id INTEGER,
        depth INTEGER NOT NULL,
        action TEXT,
        input TEXT,
        status TEXT NOT NULL,
        step_id TEXT,
        g REAL,
        h REAL,
        value REAL,
        visits INTEGER NOT NULL DEFAULT 0,
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
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        description TEXT NOT NULL,
        code TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        input_schema TEXT NOT NULL,
        output_schema TEXT,
        effect TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        origin_run_id TEXT,
        origin_step_id TEXT,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (name, version)
      ) WITHOUT ROWID;
      CREATE INDEX generated_actions_origin ON generated_actions(origin_run_id);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** `PRAGMA application_id` of Arbor stores: "ARBR" in ASCII. */
export const ARBOR_APPLICATION_ID = 0x41524252;
