import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
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

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliWorkspace {
  /** The temporary working directory the CLI runs in (set before the file's tests run). */
  readonly cwd: string;
  /** Runs the built `arbor` binary in `cwd`, without colour and as under CI (no prompts). */
  arbor(args: string[], env?: Record<string, string>): CliResult;
}

/**
 * Gives the calling test file a temporary working directory and a way to run the built CLI in it, as a user
 * would (a child process of `dist/cli/bin.js`); the directory is removed after the file's tests.
 */
export function useCliWorkspace(prefix: string, options: { requires?: string[] } = {}): CliWorkspace {
  const bin = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
  let cwd = '';
  beforeAll(() => {
    for (const path of [bin, ...(options.requires ?? [])]) {
      if (!existsSync(path)) throw new Error(`Build first (npm run build): ${path} is missing`);
    }
    cwd = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));
  return {
    get cwd() {
      return cwd;
    },
    arbor(args, env = {}) {
      const result = spawnSync(process.execPath, [bin, ...args], {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', CI: '1', ...env },
        timeout: 60_000,
      });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
}
