import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, openSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { logTail, stopProcess, type RunningService } from './running-service.js';
import { aptInstall, findExecutable, freePort, isRoot, lookupUser, runSync, waitFor } from './system.js';

/** The directory holding `initdb` and `postgres`: Debian's newest /usr/lib/postgresql/<v>/bin, else PATH. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  } catch {
    // not a Debian layout
  }
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (findExecutable('initdb', [dir])?.startsWith(dir) && findExecutable('postgres', [dir])?.startsWith(dir)) return dir;
  }
  const initdb = findExecutable('initdb');
  return initdb === undefined ? undefined : join(initdb, '..');
}

export interface StartPostgresOptions {
  /** Keep running after this process exits (for `scripts/services.mjs start`). Default false. */
  detached?: boolean;
  /** Keep PostgreSQL's durability settings (fsync, synchronous commit) for measurements. Default false. */
  durable?: boolean;
  log?: (line: string) => void;
}

/**
 * Starts a throwaway PostgreSQL server: a fresh cluster in a temporary directory, listening on a free
 * loopback port, superuser `arbor` with trust authentication. Installs the Debian package when missing.
 * PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres` user (or `nobody`).
 * Durability is traded for speed (fsync off) unless `durable` is set: this server is for tests and benchmarks.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<RunningService> {
  let bin = findPostgresBin();
  if (bin === undefined) {
    await aptInstall(['postgresql'], options.log);
    bin = findPostgresBin();
    if (bin === undefined) throw new Error('PostgreSQL was installed but initdb/postgres were not found under /usr/lib/postgresql/*/bin');
  }
  const owner = isRoot() ? (lookupUser('postgres') ?? lookupUser('nobody')) : undefined;
  if (isRoot() && owner === undefined) throw new Error('PostgreSQL cannot run as root and there is no "postgres" or "nobody" user to run it as');

  const dir = mkdtempSync(join(tmpdir(), 'arbor-postgres-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'run');
  mkdirSync(sockets);
  if (owner !== undefined) {
    for (const path of [dir, sockets]) chownSync(path, owner.uid, owner.gid);
  }
  const as = owner === undefined ? {} : { as: owner };
  runSync(join(bin, 'initdb'), ['-D', data, '-U', 'arbor', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync', '--no-instructions'], as);

  const port = await freePort();
  const logFile = join(dir, 'postgres.log');
  const logFd = openSync(logFile, 'a');
  if (owner !== undefined) chownSync(logFile, owner.uid, owner.gid);
  const child = spawn(
    join(bin, 'postgres'),
    [
      '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', sockets,
      ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      '-c', 'max_connections=300', '-c', 'shared_buffers=64MB',
    ],
    { stdio: ['ignore', logFd, logFd], detached: options.detached ?? false, ...(owner === undefined ? {} : { uid: owner.uid, gid: owner.gid }) },
  );
  if (options.detached) child.unref();
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  const url = `postgres://arbor@127.0.0.1:${port}/postgres`;
  const pid = child.pid;
  if (pid === undefined) throw new Error('PostgreSQL could not be spawned');
  try {
    await waitFor('PostgreSQL', async () => {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    }, { timeoutMs: 30_000, failed: () => (exited === undefined ? undefined : `${exited}\n${logTail(logFile)}`) });
  } catch (error) {
    await stopProcess(pid, 'SIGINT', dir);
    throw error;
  }
  return { name: 'postgres', url, port, pid, dir, stop: () => stopProcess(pid, 'SIGINT', dir) };
}
