import { afterEach, beforeEach } from 'vitest';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { createTempStore } from './temp-store.js';

/**
 * Gives every test of the calling file a fresh SQLite store in a temporary directory, removed afterwards.
 * `onOpen` receives it before each test (assign it to the file's `store` variable).
 */
export function useTempStore(onOpen: (store: SqliteStore, paths: { path: string; dir: string }) => void): void {
  let cleanup: (() => Promise<void>) | undefined;
  beforeEach(() => {
    const temp = createTempStore();
    cleanup = temp.cleanup;
    onOpen(temp.store, { path: temp.path, dir: temp.dir });
  });
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });
}
