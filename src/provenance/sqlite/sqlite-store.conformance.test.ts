import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { describeStoreConformance, type StoreHarness } from '../conformance/store-conformance.js';
import { openStore } from '../open-store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const sqliteHarness: StoreHarness = {
  async freshLocation() {
    const dir = mkdtempSync(join(tmpdir(), 'arbor-conformance-'));
    dirs.push(dir);
    return join(dir, 'arbor.db');
  },
  open: (location) => openStore({ location }),
  async markNewerSchema(location, version) {
    const db = new Database(location);
    db.pragma(`user_version = ${version}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
    db.close();
  },
  async makeForeign(location) {
    const db = new Database(location);
    db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada')");
    db.close();
  },
  async fingerprint(location) {
    const hash = createHash('sha256');
    for (const path of [location, `${location}-wal`]) if (existsSync(path)) hash.update(readFileSync(path));
    return hash.digest('hex');
  },
};

describeStoreConformance('SQLite', () => sqliteHarness);
