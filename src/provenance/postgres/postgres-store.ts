import pg from 'pg';
import { ArborError, InvalidRecordError, StepConflictError, StoreCorruptError, StoreError, StoreVersionError } from '../../errors/index.js';
import { sha256 } from '../content-hash.js';
import { inline, toGeneratedAction, toRun, toSearchNode, toStep, type GeneratedActionRow, type RunRow, type SearchNodeRow, type StepRow } from '../rows.js';
import { checkRunPatch, checkRunRecord, checkSearchNodes, checkStepWrite, type SerializedStep } from '../record-checks.js';
import type {
  GeneratedActionRecord,
  RunQuery,
  RunRecord,
  RunSummary,
  SearchNodeRecord,
  StepRecord,
  StepWrite,
  Store,
} from '../store.js';
import { POSTGRES_LATEST_SCHEMA_VERSION, POSTGRES_MIGRATIONS } from './migrations.js';

export interface PostgresStoreOptions {
  /** Open without migrating; every write fails. */
  readonly?: boolean;
  /** Connections in the pool. Default 10 (a worker rarely needs more: steps of one run are sequential). */
  poolSize?: number;
}

const DEFAULT_SCHEMA = 'arbor';
const INT8_OID = 20;

const STEP_COLUMNS = `s.run_id, s.seq, s.parent_step_id, s.depth, s.kind, s.action, s.effect, s.input_hash, s.output_hash,
  s.status, s.error, s.started_at, s.ended_at, s.duration_us, s.attempt, s.nondeterminism, s.metadata,
  coalesce(s.input_json, bi.content) AS input_json, coalesce(s.output_json, bo.content) AS output_json`;
const STEP_JOINS = `LEFT JOIN blobs bi ON s.input_json IS NULL AND bi.hash = s.input_hash
  LEFT JOIN blobs bo ON s.output_json IS NULL AND bo.hash = s.output_hash`;
const STEP_VALUES = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20`;
/** A CTE that stores a large payload as a blob: parameter `content` under parameter `hash`, nothing when it is NULL. */
const blobInsert = (name: string, hash: number, content: number): string => `${name} AS (
    INSERT INTO blobs (hash, size, content) SELECT $${hash}::text, octet_length($${content}::text), $${content}::text WHERE $${content}::text IS NOT NULL
    ON CONFLICT (hash) DO NOTHING
  )`;
// Blobs of large payloads go in with the step, in one statement (one round trip, one transaction).
const WITH_BLOBS = `WITH ${blobInsert('bi', 8, 21)}, ${blobInsert('bo', 10, 22)}`;

const SQL = {
  insertRun: `INSERT INTO runs (id, status, task, environment, parent_run_id, fork_seq, created_at, ended_at, metadata)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  getRun: 'SELECT * FROM runs WHERE id = $1',
  findRunIds: 'SELECT id FROM runs WHERE id >= $1 ORDER BY id LIMIT $2',
  insertStep: `INSERT INTO steps (run_id, seq, parent_step_id, depth, kind, action, effect, input_hash, input_json, output_hash,
      output_json, status, error_code, error, started_at, ended_at, duration_us, attempt, nondeterminism, metadata)
    VALUES (${STEP_VALUES}) ON CONFLICT (run_id, seq) DO NOTHING RETURNING seq`,
  completeStep: `WITH ${blobInsert('bi', 12, 13)}, ${blobInsert('bo', 3, 14)}
    UPDATE steps SET output_hash = $3, output_json = $4, status = $5, error_code = $6, error = $7, ended_at = $8,
      duration_us = $9, nondeterminism = $10, metadata = $11
    WHERE run_id = $1 AND seq = $2 AND status = 'running'
    RETURNING seq`,
  stepIdentity: 'SELECT action, input_hash, output_hash, status, attempt FROM steps WHERE run_id = $1 AND seq = $2',
  getStep: `SELECT ${STEP_COLUMNS} FROM steps s ${STEP_JOINS} WHERE s.run_id = $1 AND s.seq = $2`,
  listSteps: `SELECT ${STEP_COLUMNS} FROM steps s ${STEP_JOINS} WHERE s.run_id = $1 ORDER BY s.seq`,
  maxSeq: 'SELECT max(seq) AS max FROM steps WHERE run_id = $1',
  insertBlob: 'INSERT INTO blobs (hash, size, content) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING',
  getBlob: 'SELECT content FROM blobs WHERE hash = $1',
  getCached: 'SELECT b.content FROM cache c JOIN blobs b ON b.hash = c.value_hash WHERE c.namespace = $1 AND c.key = $2',
  addGeneratedAction: `INSERT INTO generated_actions (name, version, description, code, code_hash, input_schema, output_schema, effect, tags,
      origin_run_id, origin_step_id, created_by, created_at, metadata)
    SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
    FROM generated_actions WHERE name = $1
    RETURNING *`,
  getGeneratedAction: 'SELECT * FROM generated_actions WHERE name = $1 AND version = $2',
  getLatestGeneratedAction: 'SELECT * FROM generated_actions WHERE name = $1 ORDER BY version DESC LIMIT 1',
  listGeneratedActionVersions: 'SELECT * FROM generated_actions WHERE name = $1 ORDER BY version',
  listLatestGeneratedActions: `SELECT DISTINCT ON (name) * FROM generated_actions ORDER BY name, version DESC`,
  putCached: `WITH b AS (INSERT INTO blobs (hash, size, content) VALUES ($3, $4, $5) ON CONFLICT (hash) DO NOTHING)
    INSERT INTO cache (namespace, key, value_hash, created_at) VALUES ($1, $2, $3, $6)
    ON CONFLICT (namespace, key) DO UPDATE SET value_hash = EXCLUDED.value_hash, created_at = EXCLUDED.created_at`,
} as const;

/**
 * The shared store for many processes and machines: PostgreSQL through node-postgres (`pg`). Same
 * contract and the same schema versions as the SQLite store; Arbor's tables live in their own schema
 * (`arbor` by default, `?schema=` in the URL), so a database shared with other applications is fine.
 * Each step is one statement in autocommit (with its large payloads), so a worker killed at any moment
 * keeps every step it saw committed; deterministic step ids make a retried write a no-op.
 */
export class PostgresStore implements Store {
  readonly location: string;
  readonly schema: string;
  readonly #pool: pg.Pool;
  #closed = false;

  private constructor(location: string, schema: string, pool: pg.Pool) {
    this.location = location;
    this.schema = schema;
    this.#pool = pool;
  }

  /** Connects, checks the schema version (refusing newer or foreign schemas untouched) and migrates. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const { connectionString, schema, location } = parseLocation(url);
    const pool = new pg.Pool({
      connectionString,
      max: options.poolSize ?? 10,
      // Qualified once per connection, so every statement can name tables plainly.
      options: `-c search_path=${quoteIdent(schema)}${options.readonly ? ' -c default_transaction_read_only=on' : ''}`,
      // BIGINT to numbers: the record checks admit safe integers only, so nothing is rounded.
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
      connectionTimeoutMillis: 15_000,
    });
    // An idle connection dropped by the server must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    try {
      await prepareSchema(pool, schema, location, options.readonly ?? false);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw toStoreError(location, error);
    }
    return new PostgresStore(location, schema, pool);
  }

  async createRun(run: RunRecord): Promise<void> {
    const metadata = checkRunRecord(run);
    await this.#query(SQL.insertRun, [run.id, run.status, run.task, run.environment, run.parentRunId, run.forkSeq, run.createdAt, run.endedAt, metadata]);
  }

  async updateRun(id: string, patch: Partial<Pick<RunRecord, 'status' | 'endedAt' | 'metadata'>>): Promise<void> {
    checkRunPatch(patch);
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.status !== undefined) set('status', patch.status);
    if (patch.endedAt !== undefined) set('ended_at', patch.endedAt);
    if (patch.metadata !== undefined) set('metadata', JSON.stringify(patch.metadata));
    if (sets.length === 0) return;
    await this.#query(`UPDATE runs SET ${sets.join(', ')} WHERE id = $1`, params);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = (await this.#query<RunRow>(SQL.getRun, [id])).rows[0];
    return row === undefined ? undefined : toRun(row);
  }

  async listRuns(query: RunQuery = {}): Promise<RunSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const statuses = query.status === undefined ? [] : [query.status].flat();
    if (statuses.length > 0) where.push(`r.status = ANY(${param(statuses)}::text[])`);
    if (query.text !== undefined && query.text !== '') {
      const pattern = param(`%${query.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`(r.task ILIKE ${pattern} ESCAPE '\\' OR r.environment ILIKE ${pattern} ESCAPE '\\' OR r.id ILIKE ${pattern} ESCAPE '\\')`);
    }
    if (query.since !== undefined) where.push(`r.created_at >= ${param(query.since)}`);
    if (query.until !== undefined) where.push(`r.created_at < ${param(query.until)}`);
    const sql = `SELECT r.*, (SELECT count(*) FROM steps s WHERE s.run_id = r.id) AS step_count FROM runs r
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY r.created_at DESC, r.id DESC LIMIT ${param(query.limit ?? 50)} OFFSET ${param(query.offset ?? 0)}`;
    const rows = (await this.#query<RunRow>(sql, params)).rows;
    return rows.map((row) => ({ ...toRun(row), stepCount: row.step_count ?? 0 }));
  }

  async findRunIds(prefix: string, limit = 10): Promise<string[]> {
    const rows = (await this.#query<{ id: string }>(SQL.findRunIds, [prefix, limit])).rows;
    return rows.map((row) => row.id).filter((id) => id.startsWith(prefix));
  }

  async insertStep(step: StepWrite): Promise<void> {
    const params = stepParams(step, checkStepWrite(step));
    const blobs = blobParams(step, params);
    const sql = blobs === null ? SQL.insertStep : `${WITH_BLOBS} ${SQL.insertStep}`;
    const result = await this.#query(sql, blobs === null ? params : [...params, ...blobs], blobs === null ? 'arbor_insert_step' : 'arbor_insert_step_blobs');
    if (result.rowCount === 0) {
      const existing = (await this.#query<{ action: string; input_hash: string; output_hash: string | null; status: string; attempt: number }>(SQL.stepIdentity, [step.runId, step.seq])).rows[0];
      if (
        existing === undefined ||
        existing.action !== step.action ||
        existing.input_hash !== step.inputHash ||
        existing.output_hash !== step.outputHash ||
        existing.status !== step.status ||
        existing.attempt !== step.attempt
      ) {
        throw new StepConflictError(step.id);
      }
    }
  }

  async completeStep(step: StepWrite): Promise<void> {
    const params = stepParams(step, checkStepWrite(step));
    const [inputBlob, outputBlob] = blobParams(step, params) ?? [null, null];
    const result = await this.#query(
      SQL.completeStep,
      [step.runId, step.seq, step.outputHash, params[10], step.status, step.error?.code ?? null, params[13], step.endedAt, step.durationUs,
        params[18], params[19], step.inputHash, inputBlob, outputBlob],
      'arbor_complete_step',
    );
    if (result.rowCount === 0) throw new StepConflictError(step.id);
  }

  async getStep(id: string): Promise<StepRecord | undefined> {
    const separator = id.lastIndexOf(':');
    const seq = Number(id.slice(separator + 1));
    if (separator <= 0 || !Number.isSafeInteger(seq) || id.slice(separator + 1).trim() === '') return undefined;
    const row = (await this.#query<StepRow>(SQL.getStep, [id.slice(0, separator), seq], 'arbor_get_step')).rows[0];
    return row === undefined ? undefined : toStep(row);
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    return (await this.#query<StepRow>(SQL.listSteps, [runId], 'arbor_list_steps')).rows.map(toStep);
  }

  async nextSeq(runId: string, fromSeq = 0): Promise<number> {
    const row = (await this.#query<{ max: number | null }>(SQL.maxSeq, [runId], 'arbor_max_seq')).rows[0];
    return row?.max == null ? fromSeq : Math.max(fromSeq, row.max + 1);
  }

  async putBlob(json: string): Promise<string> {
    if (typeof json !== 'string') throw new InvalidRecordError('blob', [`a blob must be JSON text, got ${typeof json}`]);
    const hash = sha256(json);
    await this.#query(SQL.insertBlob, [hash, Buffer.byteLength(json), json]);
    return hash;
  }

  async getBlob(hash: string): Promise<string | undefined> {
    return (await this.#query<{ content: string }>(SQL.getBlob, [hash])).rows[0]?.content;
  }

  async getCached(namespace: string, key: string): Promise<string | undefined> {
    return (await this.#query<{ content: string }>(SQL.getCached, [namespace, key])).rows[0]?.content;
  }

  async putCached(namespace: string, key: string, json: string): Promise<void> {
    if (typeof namespace !== 'string' || typeof key !== 'string' || typeof json !== 'string') {
      throw new InvalidRecordError('cache entry', ['cache entries are a namespace, a key and JSON text, all strings']);
    }
    await this.#query(SQL.putCached, [namespace, key, sha256(json), Buffer.byteLength(json), json, Date.now()]);
  }

  async putSearchNodes(nodes: SearchNodeRecord[]): Promise<void> {
    checkSearchNodes(nodes);
    if (nodes.length === 0) return;
    // Last write of a node wins, as with INSERT OR REPLACE (one statement cannot update a row twice).
    const unique = [...new Map(nodes.map((node) => [`${node.runId}\u0000${node.nodeId}`, node])).values()];
    const columns = 13;
    const chunkSize = 1000;
    await this.#transaction(async (client) => {
      for (let start = 0; start < unique.length; start += chunkSize) {
        const chunk = unique.slice(start, start + chunkSize);
        const params: unknown[] = [];
        const rows = chunk.map((node, index) => {
          params.push(node.runId, node.nodeId, node.parentId, node.depth, node.action, node.input === null ? null : JSON.stringify(node.input),
            node.status, node.stepId, node.g, node.h, node.value, node.visits, JSON.stringify(node.data));
          return `(${Array.from({ length: columns }, (_, column) => `$${index * columns + column + 1}`).join(', ')})`;
        });
        await client.query(
          `INSERT INTO search_nodes (run_id, node_id, parent_id, depth, action, input, status, step_id, g, h, value, visits, data)
           VALUES ${rows.join(', ')}
           ON CONFLICT (run_id, node_id) DO UPDATE SET parent_id = EXCLUDED.parent_id, depth = EXCLUDED.depth, action = EXCLUDED.action,
             input = EXCLUDED.input, status = EXCLUDED.status, step_id = EXCLUDED.step_id, g = EXCLUDED.g, h = EXCLUDED.h,
             value = EXCLUDED.value, visits = EXCLUDED.visits, data = EXCLUDED.data`,
          params,
        );
      }
    });
  }

  async listSearchNodes(
    runId: string,
    query: { parentId?: number | null; limit?: number; offset?: number } = {},
  ): Promise<SearchNodeRecord[]> {
    const params: unknown[] = [runId];
    let filter = '';
    if (query.parentId === null) filter = 'AND parent_id IS NULL';
    else if (query.parentId !== undefined) {
      params.push(query.parentId);
      filter = `AND parent_id = $${params.length}`;
    }
    params.push(query.limit ?? null, query.offset ?? 0);
    const sql = `SELECT * FROM search_nodes WHERE run_id = $1 ${filter} ORDER BY node_id LIMIT $${params.length - 1} OFFSET $${params.length}`;
    const rows = (await this.#query<SearchNodeRow>(sql, params)).rows;
    return rows.map(toSearchNode);
  }

  async addGeneratedAction(action: Omit<GeneratedActionRecord, 'version'>): Promise<GeneratedActionRecord> {
    const params = [
      action.name, action.description, action.code, action.codeHash, JSON.stringify(action.inputSchema),
      action.outputSchema === null ? null : JSON.stringify(action.outputSchema), action.effect, JSON.stringify(action.tags),
      action.originRunId, action.originStepId, action.createdBy, action.createdAt, JSON.stringify(action.metadata),
    ];
    // Two writers saving the same name at once both compute the same next version; the primary key refuses
    // the second, which then reads the new maximum and tries again (SQLite serializes writers instead).
    for (let attempt = 1; ; attempt++) {
      try {
        const row = (await this.#query<GeneratedActionRow>(SQL.addGeneratedAction, params)).rows[0];
        if (row === undefined) throw new StoreError(`Saving generated action "${action.name}" returned nothing`);
        return toGeneratedAction(row);
      } catch (error) {
        if (attempt >= 5 || !isUniqueViolation(error)) throw error;
      }
    }
  }

  async getGeneratedAction(name: string, version?: number): Promise<GeneratedActionRecord | undefined> {
    if (version !== undefined && !Number.isSafeInteger(version)) return undefined;
    const result = version === undefined
      ? await this.#query<GeneratedActionRow>(SQL.getLatestGeneratedAction, [name])
      : await this.#query<GeneratedActionRow>(SQL.getGeneratedAction, [name, version]);
    const row = result.rows[0];
    return row === undefined ? undefined : toGeneratedAction(row);
  }

  async listGeneratedActions(query: { name?: string } = {}): Promise<GeneratedActionRecord[]> {
    const result = query.name === undefined
      ? await this.#query<GeneratedActionRow>(SQL.listLatestGeneratedActions, [])
      : await this.#query<GeneratedActionRow>(SQL.listGeneratedActionVersions, [query.name]);
    return result.rows.map(toGeneratedAction);
  }

  /** Runs SQL on this store's schema (for administration, tests and the worker's own bookkeeping). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.#query<R>(sql, params);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async #query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[], name?: string): Promise<pg.QueryResult<R>> {
    if (this.#closed) throw new StoreError(`The provenance store at ${this.location} is closed`);
    try {
      return await this.#pool.query<R>(name === undefined ? { text, values } : { name, text, values });
    } catch (error) {
      throw toStoreError(this.location, error);
    }
  }

  async #transaction(fn: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    if (this.#closed) throw new StoreError(`The provenance store at ${this.location} is closed`);
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw toStoreError(this.location, error);
    }
    try {
      await client.query('BEGIN');
      await fn(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw toStoreError(this.location, error);
    } finally {
      client.release();
    }
  }
}

/** Splits Arbor's own `schema` parameter off the URL and redacts the password for messages. */
export function parseLocation(url: string): { connectionString: string; schema: string; location: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreError(`"${url.replace(/:[^:@/]*@/, ':***@')}" is not a valid PostgreSQL URL`, { hint: 'Use postgres://user:password@host:5432/database (optionally ?schema=name).' });
  }
  const schema = parsed.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new StoreError(`Invalid schema name "${schema}" in the store URL`, { hint: 'Use letters, digits and underscores (at most 63), not starting with a digit.' });
  }
  parsed.searchParams.delete('schema');
  const connectionString = parsed.toString();
  const redacted = new URL(parsed.toString());
  if (redacted.password !== '') redacted.password = '***';
  if (schema !== DEFAULT_SCHEMA) redacted.searchParams.set('schema', schema);
  return { connectionString, schema, location: redacted.toString() };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function prepareSchema(pool: pg.Pool, schema: string, location: string, readonly: boolean): Promise<void> {
  const client = await pool.connect();
  try {
    // Read before any write: a newer or foreign schema is refused untouched.
    const current = await readVersion(client, schema, location);
    if (current >= POSTGRES_LATEST_SCHEMA_VERSION) return;
    if (readonly) {
      throw new StoreError(`The provenance store at ${location} needs a migration and was opened read-only`, {
        hint: 'Open it once without --readonly (any arbor command that writes) to migrate it.',
      });
    }
    await client.query('BEGIN');
    try {
      // Workers starting together must not migrate twice: one transaction-scoped lock per schema.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`arbor-migrate:${schema}`]);
      const locked = await readVersion(client, schema, location);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.arbor_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      for (const migration of POSTGRES_MIGRATIONS) {
        if (migration.version <= locked) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO arbor_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}

/** The schema's applied version (0 when it has no Arbor tables yet). Refuses foreign and newer schemas. */
async function readVersion(client: pg.PoolClient, schema: string, location: string): Promise<number> {
  // A catalog query (not to_regclass, whose cache may predate another process's committed migration).
  const marker = await client.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = 'arbor_migrations') AS present`,
    [schema],
  );
  if (marker.rows[0]?.present !== true) {
    const tables = await client.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_catalog.pg_tables WHERE schemaname = $1 ORDER BY tablename LIMIT 5`,
      [schema],
    );
    if (tables.rows.length > 0) {
      throw new StoreCorruptError(location, `schema "${schema}" belongs to another application (tables: ${tables.rows.map((row) => row.name).join(', ')})`);
    }
    return 0;
  }
  const row = (await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${quoteIdent(schema)}.arbor_migrations`)).rows[0];
  const version = row?.version ?? 0;
  if (version > POSTGRES_LATEST_SCHEMA_VERSION) throw new StoreVersionError(location, version, POSTGRES_LATEST_SCHEMA_VERSION);
  return version;
}

/** SQLSTATE classes and node errors that mean the server could not be reached or refused the login. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'EAI_AGAIN']);

function toStoreError(location: string, error: unknown): Error {
  if (ArborError.isInstance(error)) return error;
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && (UNREACHABLE.has(code) || code.startsWith('08') || code === '57P01' || code === '57P03')) {
    return new StoreError(`Cannot reach the PostgreSQL provenance store at ${location}: ${message}`, {
      hint: 'Check that the server is running and the host and port in --store / ARBOR_STORE are right.',
      cause: error,
      data: { code },
    });
  }
  if (code === '3D000') {
    return new StoreError(`The database of the provenance store at ${location} does not exist`, { hint: 'Create it first (createdb <name>), or point --store at an existing database.', cause: error, data: { code } });
  }
  if (code === '28P01' || code === '28000') {
    return new StoreError(`PostgreSQL refused the login for ${location}: ${message}`, { hint: 'Check the user and password in the store URL.', cause: error, data: { code } });
  }
  if (code === '42501' || code === '25006') {
    return new StoreError(`The provenance store at ${location} refused a write: ${message}`, { hint: 'The user needs CREATE on the database (to migrate) and write access to the schema; or the store was opened read-only.', cause: error, data: { code } });
  }
  if (/timeout exceeded when trying to connect|Connection terminated/i.test(message)) {
    return new StoreError(`Cannot reach the PostgreSQL provenance store at ${location}: ${message}`, { hint: 'Check that the server is running and accepts connections.', cause: error });
  }
  return new StoreError(`The provenance store at ${location} failed: ${message}`, { cause: error, ...(code === undefined ? {} : { data: { code } }) });
}

/** Positional parameters $1..$20 of a step row (with the parts the record checks serialized). */
function stepParams(step: StepWrite, serialized: SerializedStep): unknown[] {
  return [
    step.runId, step.seq, step.parentStepId, step.depth, step.kind, step.action, step.effect, step.inputHash, inline(step.inputJson),
    step.outputHash, inline(step.outputJson), step.status, step.error?.code ?? null, serialized.error,
    step.startedAt, step.endedAt, step.durationUs, step.attempt, serialized.nondeterminism, serialized.metadata,
  ];
}

/** A unique-key violation (SQLSTATE 23505), possibly wrapped in a StoreError by `#query`. */
function isUniqueViolation(error: unknown): boolean {
  const cause = error instanceof Error && 'cause' in error ? error.cause : undefined;
  return [error, cause].some((candidate) => candidate instanceof Error && 'code' in candidate && candidate.code === '23505');
}

/** $21 and $22: the input and output JSON that go to `blobs` (too large to inline), or null when neither does. */
function blobParams(step: StepWrite, params: unknown[]): [string | null, string | null] | null {
  const input = params[8] === null ? step.inputJson : null;
  const output = params[10] === null && step.outputHash !== null ? step.outputJson : null;
  return input === null && output === null ? null : [input, output];
}

