import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../provenance/sqlite/sqlite-store.js';

/** A real SQLite store in a fresh temporary directory, for tests and benchmarks. */
export function createTempStore(prefix = 'arbor-test-'): { store: SqliteStore; path: string; dir: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'arbor.db');
  const store = SqliteStore.open(path);
  return {
    store,
    path,
    dir,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
