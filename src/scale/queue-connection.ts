import { Redis } from 'ioredis';
import { QueueError, UsageError } from '../errors/index.js';

/** The queue BullMQ jobs of Arbor go to unless told otherwise. */
export const DEFAULT_QUEUE_NAME = 'arbor-tasks';

/** A Redis URL with its password hidden, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/** Checks that `url` names Redis (redis:// or rediss://). */
export function checkQueueUrl(url: string | undefined): string {
  if (url === undefined || url === '') {
    throw new UsageError('No work queue given', 'Pass --queue redis://host:6379 or set ARBOR_QUEUE.');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`"${redactRedisUrl(url)}" is not a Redis URL`, 'Use redis://host:6379 (or rediss:// for TLS).');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UsageError(`"${redactRedisUrl(url)}" is not a Redis URL`, 'Use redis://host:6379 (or rediss:// for TLS).');
  }
  return url;
}

/**
 * Opens a Redis connection for BullMQ (which needs `maxRetriesPerRequest: null` on blocking connections)
 * and checks it answers, so a wrong URL fails at once with a typed error instead of retrying forever.
 */
export async function connectQueue(url: string): Promise<Redis> {
  checkQueueUrl(url);
  let connected = false;
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    // No retries before the first connection (a wrong URL fails at once); after it, reconnect for ever.
    retryStrategy: (times) => (connected ? Math.min(times * 200, 2000) : null),
  });
  let lastError: unknown;
  redis.on('error', (error: unknown) => {
    lastError = error;
  });
  try {
    await withTimeout(redis.connect(), 10_000);
    await redis.ping();
    connected = true;
  } catch (error) {
    // A refused connection has ended already; disconnecting it again would hold the process for 2 s.
    if (redis.status !== 'end') redis.disconnect();
    const cause = lastError ?? error;
    throw new QueueError(redactRedisUrl(url), cause instanceof Error ? cause.message : String(cause), cause);
  }
  return redis;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}
