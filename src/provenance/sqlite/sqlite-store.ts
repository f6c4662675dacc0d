import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ArborError, InvalidRecordError, StepConflictError, StoreCorruptError, StoreError } from '../../errors/index.js';
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
import { checkIdentity, inspectHeader } from './header.js';
import { ARBOR_APPLICATION_ID, LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';

export const DEFAULT_STORE_PATH = '.arbor/arbor.db';

export interface SqliteStoreOptions {
  /** Open without creating or migrating; every write fails. */
  readonly?: boolean;
  /** Milliseconds to wait for another process's write lock. Default 5000. */
  busyTimeoutMs?: number;
}

const STEP_COLUMNS = `s.run_id, s.seq, s.parent_step_id, s.depth, s.kind, s.action, s.effect, s.input_hash, s.output_hash,
  s.status, s.error, s.started_at, s.ended_at, s.duration_us, s.attempt, s.nondeterminism, s.metadata,
  coalesce(s.input_json, bi.content) AS input_json, coalesce(s.output_json, bo.content) AS output_json`;
const STEP_JOINS = `LEFT JOIN blobs bi ON s.input_json IS NULL AND bi.hash = s.input_hash
  LEFT JOIN blobs bo ON s.output_json IS NULL AND bo.hash = s.output_hash`;

/**
 * The embedded default store: one SQLite file in WAL mode. Writes commit per step (synchronous=NORMAL),
 * so a process killed at any moment keeps every step it reported as committed.
 */
export class SqliteStore implements Store {
  readonly location: string;
  readonly #db: Database.Database;
  readonly #statements: ReturnType<SqliteStore['prepare']>;
  #closed = false;

  private constructor(location: string, db: Database.Database) {
    this.location = location;
    this.#db = db;
    this.#statements = this.prepare();
  }

  /** Opens (creating and migrating when needed) the store at `path`. */
  static open(path: string = DEFAULT_STORE_PATH, options: SqliteStoreOptions = {}): SqliteStore {
    const location = path === ':memory:' ? path : resolve(path);
    const memory = location === ':memory:';
    const header = memory ? { exists: false } : inspectHeader(location);
    if (!memory && !header.exists) {
      if (options.readonly) throw new StoreError(`No provenance store at ${location}`, { hint: 'Run something first (for example "arbor demo"), or pass --store.' });
      mkdirSync(dirname(location), { recursive: true });
    }
    let db: Database.Database;
    try {
      db = new Database(location, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    } catch (error) {
      throw toStoreError(location, error);
    }
    try {
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      // Read before any write: a damaged file fails here, a foreign or newer one is refused untouched.
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      const userVersion = Number(db.pragma('user_version', { simple: true }));
      const applicationId = Number(db.pragma('application_id', { simple: true }));
      checkIdentity(location, userVersion, applicationId);
      if (applicationId === 0 && userVersion === 0) refuseForeignTables(db, location);
      if (!options.readonly) {
        if (!memory) {
          db.pragma('journal_mode = WAL');
          // A checkpoint is the only fsync under synchronous = NORMAL, and a step commits alone: at SQLite's
          // default of 1,000 WAL pages the checkpoints' fsyncs cost tens of µs per recorded step on a busy disk.
          // 10,000 pages (~40 MiB) makes them rare; the size limit truncates the WAL back after each one.
          db.pragma('wal_autocheckpoint = 10000');
          db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
        }
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        migrate(db);
      } else if (userVersion < LATEST_SCHEMA_VERSION) {
        throw new StoreError(`The provenance store at ${location} needs a migration and was opened read-only`, {
          hint: 'Open it once without --readonly (any arbor command that writes) to migrate it.',
        });
      }
      return new SqliteStore(location, db);
    } catch (error) {
      db.close();
      throw toStoreError(location, error);
    }
  }

  private prepare() {
    const db = this.#db;
    return {
      insertRun: db.prepare(
        `INSERT INTO runs (id, status, task, environment, parent_run_id, fork_seq, created_at, ended_at, metadata)
         VALUES (@id, @status, @task, @environment, @parentRunId, @forkSeq, @createdAt, @endedAt, @metadata)`,
      ),
      getRun: db.prepare<[string], RunRow>('SELECT * FROM runs WHERE id = ?'),
      findRunIds: db.prepare<[string, number], { id: string }>(
        `SELECT id FROM runs WHERE id >= ? ORDER BY id LIMIT ?`,
      ),
      insertBlob: db.prepare('INSERT OR IGNORE INTO blobs (hash, size, content) VALUES (?, ?, ?)'),
      getBlob: db.prepare<[string], { content: string }>('SELECT content FROM blobs WHERE hash = ?'),
      insertStep: db.prepare(
        `INSERT INTO steps (run_id, seq, parent_step_id, depth, kind, action, effect, input_hash, input_json, output_hash,
           output_json, status, error_code, error, started_at, ended_at, duration_us, attempt, nondeterminism, metadata)
         VALUES (@runId, @seq, @parentStepId, @depth, @kind, @action, @effect, @inputHash, @inputJson, @outputHash,
           @outputJson, @status, @errorCode, @error, @startedAt, @endedAt, @durationUs, @attempt, @nondeterminism, @metadata)
         ON CONFLICT (run_id, seq) DO NOTHING`,
      ),
      completeStep: db.prepare(
        `UPDATE steps SET output_hash = @outputHash, output_json = @outputJson, status = @status, error_code = @errorCode,
           error = @error, ended_at = @endedAt, duration_us = @durationUs, nondeterminism = @nondeterminism, metadata = @metadata
         WHERE run_id = @runId AND seq = @seq AND status = 'running'`,
      ),
      stepIdentity: db.prepare<[string, number], { action: string; input_hash: string; output_hash: string | null; status: string; attempt: number }>(
        'SELECT action, input_hash, output_hash, status, attempt FROM steps WHERE run_id = ? AND seq = ?',
      ),
      getStep: db.prepare<[string, number], StepRow>(`SELECT ${STEP_COLUMNS} FROM steps s ${STEP_JOINS} WHERE s.run_id = ? AND s.seq = ?`),
      listSteps: db.prepare<[string], StepRow>(`SELECT ${STEP_COLUMNS} FROM steps s ${STEP_JOINS} WHERE s.run_id = ? ORDER BY s.seq`),
      maxSeq: db.prepare<[string], { max: number | null }>('SELECT max(seq) AS max FROM steps WHERE run_id = ?'),
      getCached: db.prepare<[string, string], { content: string }>(
        'SELECT b.content FROM cache c JOIN blobs b ON b.hash = c.value_hash WHERE c.namespace = ? AND c.key = ?',
      ),
      putCached: db.prepare(
        'INSERT OR REPLACE INTO cache (namespace, key, value_hash, created_at) VALUES (?, ?, ?, ?)',
      ),
      addGeneratedAction: db.prepare<Record<string, unknown>, GeneratedActionRow>(
        `INSERT INTO generated_actions (name, version, description, code, code_hash, input_schema, output_schema, effect, tags,
           origin_run_id, origin_step_id, created_by, created_at, metadata)
         SELECT @name, coalesce(max(version), 0) + 1, @description, @code, @codeHash, @inputSchema, @outputSchema, @effect, @tags,
           @originRunId, @originStepId, @createdBy, @createdAt, @metadata
         FROM generated_actions WHERE name = @name
         RETURNING *`,
      ),
      getGeneratedAction: db.prepare<[string, number], GeneratedActionRow>('SELECT * FROM generated_actions WHERE name = ? AND version = ?'),
      getLatestGeneratedAction: db.prepare<[string], GeneratedActionRow>(
        'SELECT * FROM generated_actions WHERE name = ? ORDER BY version DESC LIMIT 1',
      ),
      listGeneratedActionVersions: db.prepare<[string], GeneratedActionRow>('SELECT * FROM generated_actions WHERE name = ? ORDER BY version'),
      listLatestGeneratedActions: db.prepare<[], GeneratedActionRow>(
        `SELECT g.* FROM generated_actions g
         WHERE g.version = (SELECT max(version) FROM generated_actions l WHERE l.name = g.name)
         ORDER BY g.name`,
      ),
      putSearchNode: db.prepare(
        `INSERT OR REPLACE INTO search_nodes (run_id, node_id, parent_id, depth, action, input, status, step_id, g, h, value, visits, data)
         VALUES (@runId, @nodeId, @parentId, @depth, @action, @input, @status, @stepId, @g, @h, @value, @visits, @data)`,
      ),
    };
  }

  async createRun(run: RunRecord): Promise<void> {
    const metadata = checkRunRecord(run);
    this.#write(() => this.#statements.insertRun.run({ ...run, metadata }));
  }

  async updateRun(id: string, patch: Partial<Pick<RunRecord, 'status' | 'endedAt' | 'metadata'>>): Promise<void> {
    checkRunPatch(patch);
    const sets: string[] = [];
    const params: Record<string, unknown> = { id };
    const set = (column: string, key: string, value: unknown) => {
      sets.push(`${column} = @${key}`);
      params[key] = value;
    };
    if (patch.status !== undefined) set('status', 'status', patch.status);
    if (patch.endedAt !== undefined) set('ended_at', 'endedAt', patch.endedAt);
    if (patch.metadata !== undefined) set('metadata', 'metadata', JSON.stringify(patch.metadata));
    if (sets.length === 0) return;
    this.#write(() => this.#db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = @id`).run(params));
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = this.#read(() => this.#statements.getRun.get(id));
    return row === undefined ? undefined : toRun(row);
  }

  async listRuns(query: RunQuery = {}): Promise<RunSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const condition = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    const statuses = query.status === undefined ? [] : [query.status].flat();
    if (statuses.length > 0) condition(`r.status IN (${statuses.map(() => '?').join(', ')})`, ...statuses);
    if (query.text !== undefined && query.text !== '') {
      const pattern = `%${query.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      condition(`(r.task LIKE ? ESCAPE '\\' OR r.environment LIKE ? ESCAPE '\\' OR r.id LIKE ? ESCAPE '\\')`, pattern, pattern, pattern);
    }
    if (query.since !== undefined) condition('r.created_at >= ?', query.since);
    if (query.until !== undefined) condition('r.created_at < ?', query.until);
    const sql = `SELECT r.*, (SELECT count(*) FROM steps s WHERE s.run_id = r.id) AS step_count FROM runs r
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY r.created_at DESC, r.id DESC LIMIT ? OFFSET ?`;
    params.push(query.limit ?? 50, query.offset ?? 0);
    const rows = this.#read(() => this.#db.prepare<unknown[], RunRow>(sql).all(...params));
    return rows.map((row) => ({ ...toRun(row), stepCount: row.step_count ?? 0 }));
  }

  async findRunIds(prefix: string, limit = 10): Promise<string[]> {
    const rows = this.#read(() => this.#statements.findRunIds.all(prefix, limit));
    return rows.map((row) => row.id).filter((id) => id.startsWith(prefix));
  }

  async insertStep(step: StepWrite): Promise<void> {
    const s = this.#statements;
    const params = stepParams(step, checkStepWrite(step));
    const write = () => {
      this.#insertBlobs(step, params);
      const result = s.insertStep.run(params);
      if (result.changes === 0) {
          const existing = s.stepIdentity.get(step.runId, step.seq);
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
    };
    // Small payloads: one statement, committed on its own (the common case, and the cheap one).
    this.#write(params.inputJson !== null && (params.outputJson !== null || step.outputJson === null) ? write : this.#db.transaction(write));
  }

  async completeStep(step: StepWrite): Promise<void> {
    const params = stepParams(step, checkStepWrite(step));
    this.#write(() =>
      this.#db.transaction(() => {
        this.#insertBlobs(step, params);
        const result = this.#statements.completeStep.run(params);
        if (result.changes === 0) throw new StepConflictError(step.id);
      })(),
    );
  }

  async getStep(id: string): Promise<StepRecord | undefined> {
    const separator = id.lastIndexOf(':');
    const seq = Number(id.slice(separator + 1));
    if (separator <= 0 || !Number.isInteger(seq)) return undefined;
    const row = this.#read(() => this.#statements.getStep.get(id.slice(0, separator), seq));
    return row === undefined ? undefined : toStep(row);
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    return this.#read(() => this.#statements.listSteps.all(runId)).map(toStep);
  }

  async nextSeq(runId: string, fromSeq = 0): Promise<number> {
    const row = this.#read(() => this.#statements.maxSeq.get(runId));
    return row?.max == null ? fromSeq : Math.max(fromSeq, row.max + 1);
  }

  async putBlob(json: string): Promise<string> {
    if (typeof json !== 'string') throw new InvalidRecordError('blob', [`a blob must be JSON text, got ${typeof json}`]);
    const hash = sha256(json);
    this.#write(() => this.#statements.insertBlob.run(hash, Buffer.byteLength(json), json));
    return hash;
  }

  async getBlob(hash: string): Promise<string | undefined> {
    return this.#read(() => this.#statements.getBlob.get(hash))?.content;
  }

  async getCached(namespace: string, key: string): Promise<string | undefined> {
    return this.#read(() => this.#statements.getCached.get(namespace, key))?.content;
  }

  async putCached(namespace: string, key: string, json: string): Promise<void> {
    if (typeof namespace !== 'string' || typeof key !== 'string' || typeof json !== 'string') {
      throw new InvalidRecordError('cache entry', ['cache entries are a namespace, a key and JSON text, all strings']);
    }
    const hash = sha256(json);
    this.#write(() =>
      this.#db.transaction(() => {
        this.#statements.insertBlob.run(hash, Buffer.byteLength(json), json);
        this.#statements.putCached.run(namespace, key, hash, Date.now());
      })(),
    );
  }

  async putSearchNodes(nodes: SearchNodeRecord[]): Promise<void> {
    checkSearchNodes(nodes);
    const statement = this.#statements.putSearchNode;
    this.#write(() =>
      this.#db.transaction(() => {
        for (const node of nodes) {
          statement.run({
            ...node,
            input: node.input === null ? null : JSON.stringify(node.input),
            data: JSON.stringify(node.data),
          });
        }
      })(),
    );
  }

  async listSearchNodes(
    runId: string,
    query: { parentId?: number | null; limit?: number; offset?: number } = {},
  ): Promise<SearchNodeRecord[]> {
    const byParent = query.parentId !== undefined;
    const sql = `SELECT * FROM search_nodes WHERE run_id = ?
      ${byParent ? (query.parentId === null ? 'AND parent_id IS NULL' : 'AND parent_id = ?') : ''}
      ORDER BY node_id LIMIT ? OFFSET ?`;
    const params: unknown[] = [runId];
    if (byParent && query.parentId !== null) params.push(query.parentId);
    params.push(query.limit ?? -1, query.offset ?? 0);
    const rows = this.#read(() => this.#db.prepare<unknown[], SearchNodeRow>(sql).all(...params));
    return rows.map(toSearchNode);
  }

  async addGeneratedAction(action: Omit<GeneratedActionRecord, 'version'>): Promise<GeneratedActionRecord> {
    const row = this.#write(() =>
      this.#statements.addGeneratedAction.get({
        name: action.name,
        description: action.description,
        code: action.code,
        codeHash: action.codeHash,
        inputSchema: JSON.stringify(action.inputSchema),
        outputSchema: action.outputSchema === null ? null : JSON.stringify(action.outputSchema),
        effect: action.effect,
        tags: JSON.stringify(action.tags),
        originRunId: action.originRunId,
        originStepId: action.originStepId,
        createdBy: action.createdBy,
        createdAt: action.createdAt,
        metadata: JSON.stringify(action.metadata),
      }),
    );
    if (row === undefined) throw new StoreError(`Saving generated action "${action.name}" returned nothing`);
    return toGeneratedAction(row);
  }

  async getGeneratedAction(name: string, version?: number): Promise<GeneratedActionRecord | undefined> {
    const row = this.#read(() =>
      version === undefined ? this.#statements.getLatestGeneratedAction.get(name) : this.#statements.getGeneratedAction.get(name, version),
    );
    return row === undefined ? undefined : toGeneratedAction(row);
  }

  async listGeneratedActions(query: { name?: string } = {}): Promise<GeneratedActionRecord[]> {
    const rows = this.#read(() =>
      query.name === undefined ? this.#statements.listLatestGeneratedActions.all() : this.#statements.listGeneratedActionVersions.all(query.name as string),
    );
    return rows.map(toGeneratedAction);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #insertBlobs(step: StepWrite, params: { inputJson: string | null; outputJson: string | null }): void {
    const insertBlob = this.#statements.insertBlob;
    if (params.inputJson === null) insertBlob.run(step.inputHash, Buffer.byteLength(step.inputJson), step.inputJson);
    if (params.outputJson === null && step.outputHash !== null && step.outputJson !== null) {
      insertBlob.run(step.outputHash, Buffer.byteLength(step.outputJson), step.outputJson);
    }
  }

  #read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw toStoreError(this.location, error);
    }
  }

  #write<T>(fn: () => T): T {
    return this.#read(fn);
  }
}

function refuseForeignTables(db: Database.Database, location: string): void {
  const tables = db
    .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    .all()
    .map((row) => row.name);
  if (tables.length > 0) {
    throw new StoreCorruptError(location, `it is a SQLite database of another application (tables: ${tables.slice(0, 5).join(', ')})`);
  }
}

function migrate(db: Database.Database): void {
  const apply = db.transaction(() => {
    // Read again inside the write lock: another process may have migrated meanwhile.
    const current = Number(db.pragma('user_version', { simple: true }));
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
    if (Number(db.pragma('application_id', { simple: true })) !== ARBOR_APPLICATION_ID) {
      db.pragma(`application_id = ${ARBOR_APPLICATION_ID}`);
    }
  });
  if (Number(db.pragma('user_version', { simple: true })) < LATEST_SCHEMA_VERSION) apply.immediate();
}

function toStoreError(location: string, error: unknown): Error {
  if (ArborError.isInstance(error)) return error;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    const code = error.code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT')) {
      return new StoreCorruptError(location, error.message, error);
    }
    if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY')) {
      return new StoreError(`The provenance store at ${location} is locked by another process`, {
        hint: 'Wait for the other arbor process to finish, or use another --store.',
        cause: error,
      });
    }
    if (code.startsWith('SQLITE_')) {
      return new StoreError(`The provenance store at ${location} failed: ${error.message}`, { cause: error });
    }
  }
  return error instanceof Error ? error : new StoreError(String(error));
}

function stepParams(step: StepWrite, serialized: SerializedStep) {
  return {
    runId: step.runId,
    seq: step.seq,
    parentStepId: step.parentStepId,
    depth: step.depth,
    kind: step.kind,
    action: step.action,
    effect: step.effect,
    inputHash: step.inputHash,
    inputJson: inline(step.inputJson),
    outputHash: step.outputHash,
    outputJson: inline(step.outputJson),
    status: step.status,
    errorCode: step.error?.code ?? null,
    error: serialized.error,
    startedAt: step.startedAt,
    endedAt: step.endedAt,
    durationUs: step.durationUs,
    attempt: step.attempt,
    nondeterminism: serialized.nondeterminism,
    metadata: serialized.metadata,
  };
}

