import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreCorruptError } from '../../errors/index.js';
import { createTempStore } from '../../internal/temp-store.js';
import { hashJson } from '../content-hash.js';
import { stepIdOf, type StepWrite } from '../store.js';
import { LATEST_SCHEMA_VERSION } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

let temp: ReturnType<typeof createTempStore>;
beforeEach(() => {
  temp = createTempStore();
});
afterEach(async () => {
  await temp.cleanup();
});

function step(runId: string, seq: number, output: unknown = { ok: true }): StepWrite {
  const input = hashJson({ seq });
  const out = hashJson(output);
  return {
    id: stepIdOf(runId, seq), runId, seq, parentStepId: seq === 0 ? null : stepIdOf(runId, seq - 1), depth: 0, kind: 'action',
    action: 'noop', effect: 'read', inputJson: input.json, inputHash: input.hash, outputJson: out.json, outputHash: out.hash,
    status: 'ok', error: null, startedAt: 1, endedAt: 2, durationUs: 1000, attempt: 1, nondeterminism: [], metadata: {},
  };
}

async function createRun(store: SqliteStore, id: string) {
  await store.createRun({ id, status: 'running', task: 't', environment: null, parentRunId: null, forkSeq: null, createdAt: Date.now(), endedAt: null, metadata: {} });
}

// Store-generic behaviour (runs, steps, blobs, lineage, fork, diff, replay, concurrent writers, versions) is
// proven by the shared conformance suite in sqlite-store.conformance.test.ts; these cases are SQLite's own.
describe('SqliteStore', () => {
  it('creates a WAL database at the latest schema version, marked as Arbor\'s', () => {
    const db = new Database(temp.path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(0x41524252);
    db.close();
  });

  it('stores equal outputs once, by content hash', async () => {
    await createRun(temp.store, 'R1');
    const big = { text: 'x'.repeat(100_000) };
    for (let seq = 0; seq < 5; seq++) await temp.store.insertStep(step('R1', seq, big));
    const db = new Database(temp.path, { readonly: true });
    const { count } = db.prepare('SELECT count(*) AS count FROM blobs WHERE size > 50000').get() as { count: number };
    db.close();
    expect(count).toBe(1);
    expect((await temp.store.listSteps('R1')).map((s) => s.output)).toEqual(Array(5).fill(big));
  });

  it('refuses a corrupted file with a typed error and leaves it byte for byte untouched', async () => {
    await createRun(temp.store, 'R1');
    await temp.store.insertStep(step('R1', 0));
    await temp.store.close();
    const bytes = readFileSync(temp.path);
    const damaged = Buffer.from(bytes);
    damaged.write('garbage!', 0, 'latin1'); // breaks the header magic
    writeFileSync(temp.path, damaged);
    expect(() => SqliteStore.open(temp.path)).toThrow(StoreCorruptError);
    expect(readFileSync(temp.path).equals(damaged)).toBe(true);

    const notSqlite = join(temp.dir, 'notes.db');
    writeFileSync(notSqlite, 'just some text, not a database at all, and long enough to have a header'.repeat(3));
    const before = readFileSync(notSqlite);
    expect(() => SqliteStore.open(notSqlite)).toThrow(/not a SQLite database/);
    expect(readFileSync(notSqlite).equals(before)).toBe(true);
  });

  it('refuses pages damaged behind a valid header with a typed error', async () => {
    await createRun(temp.store, 'R1');
    for (let seq = 0; seq < 200; seq++) await temp.store.insertStep(step('R1', seq, { padding: 'y'.repeat(500) }));
    await temp.store.close();
    const db = new Database(temp.path);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = readFileSync(temp.path);
    const pageSize = bytes.readUInt16BE(16);
    // Overwrite the first page's b-tree (sqlite_master) after the 100-byte header with noise.
    bytes.fill(0xa5, 100, pageSize);
    writeFileSync(temp.path, bytes);
    const open = () => SqliteStore.open(temp.path);
    expect(open).toThrow(StoreCorruptError);
    expect(readFileSync(temp.path).equals(bytes)).toBe(true);
  });

  it('loses no step it reported as committed when the writing process is killed with SIGKILL', async () => {
    const child = fileURLToPath(new URL('../../../dist/provenance/sqlite/fixtures/record-steps-child.js', import.meta.url));
    if (!existsSync(child)) throw new Error(`Build first (npm run build): ${child} is missing`);
    await temp.store.close();
    const proc = spawn(process.execPath, [child, temp.path, '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const committed: string[] = [];
    let runId = '';
    let buffer = '';
    await new Promise<void>((resolve) => {
      proc.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith('run ')) runId = line.slice(4);
          if (line.startsWith('committed ')) committed.push(line.slice('committed '.length));
          if (committed.length === 300 && proc.exitCode === null) proc.kill('SIGKILL');
        }
      });
      proc.on('exit', () => resolve());
    });
    expect(proc.signalCode).toBe('SIGKILL');
    expect(committed.length).toBeGreaterThanOrEqual(300);
    expect(committed.length).toBeLessThan(1000);
    const reopened = SqliteStore.open(temp.path);
    const recorded = new Set((await reopened.listSteps(runId)).map((s) => s.id));
    await reopened.close();
    const lost = committed.filter((id) => !recorded.has(id));
    expect(lost).toEqual([]);
  });
});
