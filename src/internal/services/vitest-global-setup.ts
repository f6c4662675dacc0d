import type { TestProject } from 'vitest/node';
import type { RunningService } from './running-service.js';
import { startPostgres } from './postgres-server.js';
import { startRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server URL (superuser); tests create their own databases on it. */
    postgresUrl: string;
    /** A Redis server URL; tests use their own key prefixes (queue names) on it. */
    redisUrl: string;
  }
}

/**
 * Vitest global setup: one real PostgreSQL and one real Redis for the whole test run, started on free
 * loopback ports (installed with apt-get first when missing and running as root, as in CI), stopped and
 * deleted afterwards. ARBOR_TEST_POSTGRES_URL / ARBOR_TEST_REDIS_URL point the tests at existing servers
 * instead. Tests that need them fail rather than skip when they cannot be had.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.error(`[services] ${line}`);
  const started: RunningService[] = [];
  const external = { postgres: process.env.ARBOR_TEST_POSTGRES_URL, redis: process.env.ARBOR_TEST_REDIS_URL };
  const [postgres, redis] = await Promise.allSettled([
    external.postgres ? Promise.resolve(external.postgres) : startPostgres({ log }).then((service) => (started.push(service), service.url)),
    external.redis ? Promise.resolve(external.redis) : startRedis({ log }).then((service) => (started.push(service), service.url)),
  ]);
  const failure = [postgres, redis].find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(started.map((service) => service.stop()));
    throw new Error(
      `Tests need PostgreSQL and Redis and they could not be started: ${String(failure.reason instanceof Error ? failure.reason.message : failure.reason)}\n` +
        'Install them (apt-get install postgresql redis-server), or set ARBOR_TEST_POSTGRES_URL and ARBOR_TEST_REDIS_URL to servers of yours.',
    );
  }
  project.provide('postgresUrl', (postgres as PromiseFulfilledResult<string>).value);
  project.provide('redisUrl', (redis as PromiseFulfilledResult<string>).value);
  return async () => {
    await Promise.all(started.map((service) => service.stop()));
  };
}
