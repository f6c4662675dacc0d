import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { logTail, stopProcess, type RunningService } from './running-service.js';
import { aptInstall, findExecutable, freePort, waitFor } from './system.js';

export interface StartRedisOptions {
  /** Keep running after this process exits (for `scripts/services.mjs start`). Default false. */
  detached?: boolean;
  log?: (line: string) => void;
}

/**
 * Starts a throwaway Redis on a free loopback port with persistence off, its files in a temporary
 * directory. Installs the Debian package `redis-server` when missing.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RunningService> {
  let binary = findExecutable('redis-server', ['/usr/bin', '/usr/local/bin']);
  if (binary === undefined) {
    await aptInstall(['redis-server'], options.log);
    binary = findExecutable('redis-server', ['/usr/bin', '/usr/local/bin']);
    if (binary === undefined) throw new Error('redis-server was installed but is not on PATH');
  }
  const dir = mkdtempSync(join(tmpdir(), 'arbor-redis-'));
  const port = await freePort();
  const logFile = join(dir, 'redis.log');
  const child = spawn(
    binary,
    [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', logFile,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no',
      // BullMQ needs keys never to be evicted.
      '--maxmemory-policy', 'noeviction',
    ],
    { stdio: 'ignore', detached: options.detached ?? false },
  );
  if (options.detached) child.unref();
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  const pid = child.pid;
  if (pid === undefined) throw new Error('redis-server could not be spawned');
  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitFor('Redis', async () => {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined); // a refused probe is expected while it starts
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    }, { timeoutMs: 15_000, failed: () => (exited === undefined ? undefined : `${exited}\n${logTail(logFile)}`) });
  } catch (error) {
    await stopProcess(pid, 'SIGTERM', dir);
    throw error;
  }
  return { name: 'redis', url, port, pid, dir, stop: () => stopProcess(pid, 'SIGTERM', dir) };
}
