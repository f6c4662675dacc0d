import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GeneratedActionRecord } from '../store.js';
import { ARBOR_APPLICATION_ID, MIGRATIONS } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'arbor-generated-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function draft(name: string, code: string): Omit<GeneratedActionRecord, 'version'> {
  return {
    name, description: `does ${name}`, code, codeHash: `hash-${code.length}`, inputSchema: { type: 'object' }, outputSchema: null, effect: 'read',
    tags: ['t'], originRunId: null, originStepId: null, createdBy: 'user', createdAt: 1, metadata: { note: 1 },
  };
}

describe('SqliteStore generated actions (migration 2)', () => {
  it('numbers versions per name and lists the latest of each', async () => {
    const store = SqliteStore.open(join(dir, 'arbor.db'));
    expect((await store.addGeneratedAction(draft('a', 'v1'))).version).toBe(1);
    expect((await store.addGeneratedAction(draft('a', 'v22'))).version).toBe(2);
    expect(await store.addGeneratedAction(draft('b', 'v1'))).toMatchObject({ name: 'b', version: 1, tags: ['t'], metadata: { note: 1 }, outputSchema: null });
    expect((await store.listGeneratedActions()).map((record) => `${record.name}@${record.version}`)).toEqual(['a@2', 'b@1']);
    expect((await store.listGeneratedActions({ name: 'a' })).map((record) => record.code)).toEqual(['v1', 'v22']);
    expect((await store.getGeneratedAction('a'))?.version).toBe(2);
    expect((await store.getGeneratedAction('a', 1))?.code).toBe('v1');
    expect(await store.getGeneratedAction('a', 3)).toBeUndefined();
    await store.close();
  });

  it('migrates a version 1 store in place, keeping its runs', async () => {
    const path = join(dir, 'old.db');
    const db = new Database(path);
    db.exec(MIGRATIONS[0]?.sql ?? '');
    db.pragma('user_version = 1');
    db.pragma(`application_id = ${ARBOR_APPLICATION_ID}`);
    db.prepare(`INSERT INTO runs (id, status, created_at) VALUES ('R1', 'succeeded', 1)`).run();
    db.close();

    const store = SqliteStore.open(path);
    expect((await store.getRun('R1'))?.status).toBe('succeeded');
    expect((await store.addGeneratedAction(draft('a', 'v1'))).version).toBe(1);
    await store.close();
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(2);
    check.close();
  });
});
