import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Policy } from '../planning/policy.js';
import { limitPolicy, RedisRateLimiter } from './rate-limiter.js';

const connections: Redis[] = [];
let url: string;
beforeAll(() => {
  url = `${inject('redisUrl')}/4`;
});
afterAll(() => {
  for (const connection of connections) connection.disconnect();
});

/** A limiter on a connection of its own, as each worker process has. */
function workerLimiter(endpoint: string, limit: ConstructorParameters<typeof RedisRateLimiter>[2]): RedisRateLimiter {
  const connection = new Redis(url);
  connections.push(connection);
  return new RedisRateLimiter(connection, endpoint, limit);
}

/** The most grants found in any window of `windowMs` (the grant times are sorted). */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && (sorted[end] as number) < (sorted[start] as number) + windowMs) end++;
    most = Math.max(most, end - start);
  }
  return most;
}

describe('RedisRateLimiter', () => {
  it('never lets any window hold more requests than the limit, across workers, and still uses the quota', async () => {
    const endpoint = `e-${ulid()}`;
    const limiters = Array.from({ length: 4 }, () => workerLimiter(endpoint, { requestsPerWindow: 8, windowMs: 250 }));
    const granted: number[] = [];
    const until = Date.now() + 1200;
    await Promise.all(
      limiters.flatMap((limiter) =>
        Array.from({ length: 3 }, async () => {
          while (Date.now() < until) granted.push((await limiter.acquire()).grantedAt);
        }),
      ),
    );
    expect(busiestWindow(granted, 250)).toBeLessThanOrEqual(8);
    // Up to 8 per 250 ms over ~1.2 s: windows roll on, the limit throttles without starving anyone.
    expect(granted.length).toBeGreaterThan(16);
    expect(limiters.reduce((sum, limiter) => sum + limiter.stats.granted, 0)).toBe(granted.length);
  });

  it('limits tokens per window too, and refuses a call larger than the whole limit', async () => {
    const endpoint = `e-${ulid()}`;
    const limiters = Array.from({ length: 2 }, () => workerLimiter(endpoint, { tokensPerWindow: 1000, windowMs: 250 }));
    const granted: number[] = [];
    const until = Date.now() + 800;
    await Promise.all(limiters.map(async (limiter) => {
      while (Date.now() < until) granted.push((await limiter.acquire(300)).grantedAt);
    }));
    expect(busiestWindow(granted, 250)).toBeLessThanOrEqual(3);
    await expect(limiters[0]?.acquire(1001)).rejects.toMatchObject({ code: 'ARBOR_USAGE' });
  });

  it('counts a request where it was sent, however late after its grant', async () => {
    const endpoint = `e-${ulid()}`;
    const limiter = workerLimiter(endpoint, { requestsPerWindow: 1, windowMs: 300, guardMs: 0 });
    const first = await limiter.acquire();
    // A busy process sends it 250 ms after the grant: the next window opens 300 ms after the sending.
    limiter.stamp(first, first.grantedAt + 250);
    const second = await limiter.acquire();
    expect(second.grantedAt - first.grantedAt).toBeGreaterThanOrEqual(550);
  });

  it('holds back every worker after one of them is answered 429', async () => {
    const endpoint = `e-${ulid()}`;
    const [a, b] = [workerLimiter(endpoint, { requestsPerWindow: 1000 }), workerLimiter(endpoint, { requestsPerWindow: 1000 })];
    await a?.acquire();
    const pausedAt = Date.now();
    await a?.pause(400);
    const next = await b?.acquire();
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(380);
    expect(next?.waitedMs).toBeGreaterThanOrEqual(350);
    // A shorter pause never shortens a longer one.
    await a?.pause(300);
    await b?.pause(50);
    const started = Date.now();
    await a?.acquire();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('makes a limited policy wait out a 429 with the whole pool, then try again', async () => {
    const endpoint = `e-${ulid()}`;
    let calls = 0;
    const flaky: Policy = {
      name: 'flaky',
      propose: async () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('Too Many Requests'), { code: 'ARBOR_MODEL_RATE_LIMITED', data: { status: 429, retryAfterMs: 300 } });
        return { value: [{ action: 'a', input: {}, probability: 1 }], usage: { modelCalls: 1, inputTokens: 10, outputTokens: 2 } };
      },
      evaluate: async () => ({ value: [], usage: { modelCalls: 1, inputTokens: 1, outputTokens: 1 } }),
    };
    const limiter = workerLimiter(endpoint, { requestsPerWindow: 100 });
    const other = workerLimiter(endpoint, { requestsPerWindow: 100 });
    const policy = limitPolicy(flaky, limiter);
    const started = Date.now();
    const proposing = policy.propose({ task: { instruction: 't' }, observation: null, trajectory: [] }, [], 1);
    while (limiter.stats.rateLimited === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const pausedAt = Date.now();
    await other.acquire();
    // Another worker's call waits out the pause the 429 (Retry-After 300 ms) put on the whole pool.
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(200);
    const result = await proposing;
    expect(result.value[0]?.action).toBe('a');
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});
