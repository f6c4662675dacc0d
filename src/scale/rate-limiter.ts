import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CancelledError, UsageError } from '../errors/index.js';
import type { ModelV1 } from '../models/v1/index.js';
import type { Policy, PolicyResult, PolicyUsage } from '../planning/policy.js';
import { wrapPolicy } from '../planning/wrap-policy.js';

/** Limits of one endpoint (a model provider's quota), shared by every worker that talks to it. */
export interface RateLimit {
  /** Requests allowed in any window of `windowMs`. */
  requestsPerWindow?: number;
  /** Input plus output tokens allowed in any window of `windowMs`. */
  tokensPerWindow?: number;
  /** Length of the sliding window. Default 60,000 ms (limits per minute). */
  windowMs?: number;
  /**
   * Extra spacing added to the window when granting: a call is counted where the provider receives it, a
   * little after the grant and by a varying amount, so a limiter that is exact at the grant could still
   * look one call over at the provider. Default 2% of the window, at most 1 s.
   */
  guardMs?: number;
}

export interface RateLimiterStats {
  /** Requests granted by this limiter instance. */
  granted: number;
  /** Total time its callers waited for a grant. */
  waitedMs: number;
  /** 429 answers reported (each paused the whole pool). */
  rateLimited: number;
}

/**
 * An exact sliding-window log in Redis (sorted sets scored by Redis's own clock, so every machine agrees):
 * a request is granted only if the window ending now holds fewer than the limit, so no window of that
 * length ever holds more. A pause key, set when any worker gets a 429, holds everyone back.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local maxRequests = tonumber(ARGV[2])
local maxTokens = tonumber(ARGV[3])
local tokens = tonumber(ARGV[4])
local id = ARGV[5]
local paused = redis.call('PTTL', KEYS[3])
if paused > 0 then return {0, paused} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
if maxRequests > 0 and redis.call('ZCARD', KEYS[1]) >= maxRequests then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now + 1}
end
if maxTokens > 0 then
  if tokens > maxTokens then return {-1, 0} end
  local entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  local used = 0
  for i = 1, #entries, 2 do used = used + tonumber(string.match(entries[i], ':(%d+)$')) end
  if used + tokens > maxTokens then
    for i = 1, #entries, 2 do
      used = used - tonumber(string.match(entries[i], ':(%d+)$'))
      if used + tokens <= maxTokens then return {0, tonumber(entries[i + 1]) + window - now + 1} end
    end
    return {0, window}
  end
end
redis.call('ZADD', KEYS[1], now, id)
if tokens > 0 then redis.call('ZADD', KEYS[2], now, id .. ':' .. tokens) end
redis.call('PEXPIRE', KEYS[1], window + 1000)
redis.call('PEXPIRE', KEYS[2], window + 1000)
return {1, now}
`;

/** Adds tokens spent beyond a grant's estimate, at the current time. */
const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1] .. ':' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) + 1000)
return 1
`;

/**
 * Re-dates a grant to the moment its request was sent (the caller's clock, taken right before sending):
 * the limiter then counts each request where it really happened, however long the process took between
 * the grant and the sending (a busy event loop, a slow network). Never moves a time back.
 */
const STAMP = `
redis.call('ZADD', KEYS[1], 'GT', tonumber(ARGV[3]), ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('ZADD', KEYS[2], 'GT', tonumber(ARGV[3]), ARGV[1] .. ':' .. ARGV[2]) end
return 1
`;

/** Extends the shared pause to at least `ms` from now (never shortens it). */
const PAUSE = `
local current = redis.call('PTTL', KEYS[1])
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
`;

type Evaluator = (script: string, keys: string[], args: (string | number)[]) => Promise<unknown>;

/**
 * A per-endpoint limit on requests and tokens, shared through Redis by every worker process on every
 * machine. `acquire` waits until the call fits; `pause` (after a 429) holds back the whole pool.
 */
export class RedisRateLimiter {
  readonly endpoint: string;
  readonly limit: Required<RateLimit>;
  readonly stats: RateLimiterStats = { granted: 0, waitedMs: 0, rateLimited: 0 };
  readonly #keys: { requests: string; tokens: string; pause: string };
  readonly #eval: Evaluator;

  constructor(redis: Redis, endpoint: string, limit: RateLimit, options: { prefix?: string } = {}) {
    const windowMs = limit.windowMs ?? 60_000;
    for (const [name, value] of Object.entries({ requestsPerWindow: limit.requestsPerWindow, tokensPerWindow: limit.tokensPerWindow, windowMs })) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new UsageError(`Rate limit ${name} must be a positive integer, got ${value}`);
    }
    this.endpoint = endpoint;
    const guardMs = limit.guardMs ?? Math.min(1000, Math.round(windowMs * 0.02));
    if (!Number.isInteger(guardMs) || guardMs < 0) throw new UsageError(`Rate limit guardMs must be an integer >= 0, got ${guardMs}`);
    this.limit = { requestsPerWindow: limit.requestsPerWindow ?? 0, tokensPerWindow: limit.tokensPerWindow ?? 0, windowMs, guardMs };
    // One hash tag, so the three keys live on one slot of a Redis Cluster.
    const base = `{${options.prefix ?? 'arbor'}:rate:${endpoint}}`;
    this.#keys = { requests: `${base}:requests`, tokens: `${base}:tokens`, pause: `${base}:pause` };
    this.#eval = (script, keys, args) => redis.eval(script, keys.length, ...keys, ...args);
  }

  /** Waits until one request of `tokens` (an estimate; see `settle`) fits the limits, then takes it. */
  async acquire(tokens = 0, signal?: AbortSignal): Promise<{ grantId: string; tokens: number; waitedMs: number; grantedAt: number }> {
    const started = Date.now();
    const grantId = randomBytes(8).toString('hex');
    const estimate = Math.max(0, Math.ceil(tokens));
    for (;;) {
      if (signal?.aborted) throw new CancelledError(`Waiting for the rate limit of ${this.endpoint}`, signal.reason);
      const [granted, value] = (await this.#eval(ACQUIRE, [this.#keys.requests, this.#keys.tokens, this.#keys.pause], [
        this.limit.windowMs + this.limit.guardMs, this.limit.requestsPerWindow, this.limit.tokensPerWindow, estimate, grantId,
      ])) as [number, number];
      if (granted === 1) {
        const waitedMs = Date.now() - started;
        this.stats.granted++;
        this.stats.waitedMs += waitedMs;
        // `value` is the grant's time on Redis's clock (the clock the windows are measured with).
        return { grantId, tokens: estimate, waitedMs, grantedAt: value };
      }
      if (granted === -1) {
        throw new UsageError(`One call of ${estimate} tokens exceeds the token limit of ${this.endpoint} (${this.limit.tokensPerWindow} per ${this.limit.windowMs} ms)`, 'Raise the token limit or make the prompt smaller.');
      }
      // A little jitter, so workers woken together do not all ask at once.
      await sleep(Math.max(1, value) + Math.floor(Math.random() * 10), signal);
    }
  }

  /**
   * Records when the granted request is sent: call it right before sending, with `Date.now()`. It does not
   * wait for Redis (the request should not), and a failure to record only makes the limit a little looser.
   */
  stamp(grant: { grantId: string; tokens: number }, sentAt = Date.now()): void {
    this.#eval(STAMP, [this.#keys.requests, this.#keys.tokens], [grant.grantId, grant.tokens, sentAt]).catch(() => undefined);
  }

  /** Records tokens a granted call spent beyond its estimate (they count from now on). */
  async settle(grantId: string, extraTokens: number): Promise<void> {
    const extra = Math.ceil(extraTokens);
    if (extra <= 0 || this.limit.tokensPerWindow === 0) return;
    await this.#eval(SETTLE, [this.#keys.tokens], [`${grantId}-extra`, extra, this.limit.windowMs + this.limit.guardMs]);
  }

  /** Holds back every worker's calls to this endpoint for `ms` (after a 429 answer). */
  async pause(ms: number): Promise<void> {
    this.stats.rateLimited++;
    await this.#eval(PAUSE, [this.#keys.pause], [Math.max(1, Math.ceil(ms))]);
  }
}

export interface LimitPolicyOptions {
  /** Tokens a call is expected to spend, reserved before it is made. Default: this process's running average. */
  estimateTokens?: () => number;
  /** How often a call answered with 429 is tried again (after the pool's pause). Default 5. */
  maxRetries?: number;
  /** The pause after a 429 without Retry-After; doubles on each retry. Default 1000 ms. */
  pauseMs?: number;
}

/** Whether an error is a provider's "429 Too Many Requests". */
export function isRateLimited(error: unknown): error is Error & { retryAfterMs?: number } {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { code?: unknown; status?: unknown; statusCode?: unknown; data?: { status?: unknown } };
  return candidate.code === 'ARBOR_MODEL_RATE_LIMITED' || candidate.status === 429 || candidate.statusCode === 429 || candidate.data?.status === 429;
}

function retryAfterOf(error: unknown): number | undefined {
  const candidate = error as { retryAfterMs?: unknown; data?: { retryAfterMs?: unknown } };
  const value = candidate.retryAfterMs ?? candidate.data?.retryAfterMs;
  return typeof value === 'number' && value > 0 ? value : undefined;
}

/**
 * Wraps a policy so that every call first takes a grant from the shared limiter, and a 429 pauses the
 * whole pool before the call is tried again.
 */
export function limitPolicy(policy: Policy, limiter: RedisRateLimiter, options: LimitPolicyOptions = {}): Policy {
  const maxRetries = options.maxRetries ?? 5;
  const basePause = options.pauseMs ?? 1000;
  let calls = 0;
  let spent = 0;
  const estimate = options.estimateTokens ?? (() => (calls === 0 ? 0 : Math.round(spent / calls)));
  const limited = async <T>(call: () => Promise<PolicyResult<T>>, signal: AbortSignal | undefined): Promise<PolicyResult<T>> => {
    for (let attempt = 0; ; attempt++) {
      const reserved = estimate();
      const grant = await limiter.acquire(reserved, signal);
      const { grantId } = grant;
      try {
        limiter.stamp(grant);
        const result = await call();
        const used = tokensOf(result.usage);
        calls++;
        spent += used;
        await limiter.settle(grantId, used - reserved);
        return result;
      } catch (error) {
        if (!isRateLimited(error) || attempt >= maxRetries) throw error;
        await limiter.pause(retryAfterOf(error) ?? basePause * 2 ** attempt);
      }
    }
  };
  // Every method, proposeAndValue included: a call the limiter does not see would break the shared limit.
  return wrapPolicy(policy, (call, _method, callOptions) => limited(call, callOptions?.signal));
}

function tokensOf(usage: PolicyUsage): number {
  return usage.inputTokens + usage.outputTokens;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError('Waiting for a rate limit', signal?.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Wraps a model so that every request (first attempts, retries and repairs alike) takes a grant from the
 * shared limiter, reserving its output cap plus an estimate of its prompt, and so that a 429 answer pauses
 * the whole pool. It does not retry: the ModelClient does, and its next attempt waits for the pause.
 */
export function limitModel(model: ModelV1, limiter: RedisRateLimiter, options: { pauseMs?: number; charsPerToken?: number } = {}): ModelV1 {
  const charsPerToken = options.charsPerToken ?? 4;
  return {
    specificationVersion: model.specificationVersion,
    provider: model.provider,
    modelId: model.modelId,
    generate: async (request) => {
      const { abortSignal, ...rest } = request;
      const reserved = Math.ceil(JSON.stringify(rest.messages).length / charsPerToken) + (rest.maxOutputTokens ?? 0);
      const grant = await limiter.acquire(reserved, abortSignal);
      const { grantId } = grant;
      try {
        limiter.stamp(grant);
        const result = await model.generate(request);
        await limiter.settle(grantId, (result.usage.inputTokens ?? 0) + (result.usage.outputTokens ?? 0) - reserved);
        return result;
      } catch (error) {
        if (isRateLimited(error)) await limiter.pause(retryAfterOf(error) ?? options.pauseMs ?? 1000);
        throw error;
      }
    },
  };
}
