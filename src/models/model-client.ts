import { performance } from 'node:perf_hooks';
import {
  ArborError,
  BudgetExceededError,
  CancelledError,
  ModelCacheMissError,
  ModelTimeoutError,
  UsageError,
} from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';
import { hashJson, type Store } from '../provenance/index.js';
import { estimateInputTokens, estimateOutputTokens, loadDefaultTokenCounter, type TokenCounter } from './token-count.js';
import type { ModelV1, ModelV1CallOptions, ModelV1Result } from './v1/index.js';

/** The store namespace model responses are kept under. */
export const MODEL_RESPONSE_NAMESPACE = 'model-response';

/**
 * How the response cache is used. `read-write` (default with a store): answer from the cache when the same
 * call was made before, else call the model and keep its answer. `replay`: never call the model; a miss
 * throws ModelCacheMissError. `off`: always call, keep nothing.
 */
export type ModelCacheMode = 'read-write' | 'replay' | 'off';

export interface RetrySettings {
  /** Retries after the first attempt, for 429, 5xx and connection failures. Default 3. */
  maxRetries?: number;
  /** Backoff before the first retry; it doubles each time, with jitter. Default 500 ms. */
  initialDelayMs?: number;
  /** Cap on one backoff. Default 20 s. */
  maxDelayMs?: number;
  /** The longest Retry-After the client waits; a server asking for more ends the call at once. Default 60 s. */
  maxRetryAfterMs?: number;
}

export type ModelCallEvent =
  | { type: 'model-call-start'; callId: string; model: string; purpose?: string; attempt: number }
  | { type: 'model-call-retry'; callId: string; model: string; purpose?: string; attempt: number; delayMs: number; error: ArborError }
  | { type: 'model-call-end'; call: ModelCall; purpose?: string }
  | { type: 'model-call-error'; callId: string; model: string; purpose?: string; error: ArborError };

export interface ModelClientOptions {
  model: ModelV1;
  /** Where responses are cached and recorded (the provenance store). Without it nothing is cached. */
  store?: Store;
  /** Default `read-write` with a store, `off` without. */
  cache?: ModelCacheMode;
  /** Time limit of one attempt. Default 60 s. */
  timeoutMs?: number;
  retry?: RetrySettings;
  /** Ask for streamed (SSE) answers. Default false. */
  stream?: boolean;
  /** Counts tokens when the provider reports no usage, and for budget checks. Default: gpt-tokenizer (cl100k). */
  countTokens?: TokenCounter;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
  onEvent?: (event: ModelCallEvent) => void;
}

/** What a call asks of the model: everything in ModelV1CallOptions except the transport settings. */
export type ModelRequest = Omit<ModelV1CallOptions, 'abortSignal' | 'stream' | 'headers'>;

export interface ModelCallOptions {
  signal?: AbortSignal;
  /**
   * Tokens the caller may still spend. The call is refused with BudgetExceededError, before anything is
   * sent, when its estimated input plus `maxOutputTokens` exceeds this. Without `maxOutputTokens`, the
   * call's output is capped to what is left.
   */
  remainingTokens?: number;
  /** What the call is for (`propose`, `evaluate`, `repair`...), recorded with it. */
  purpose?: string;
}

export interface ModelCallUsage {
  inputTokens: number;
  outputTokens: number;
  /** `provider` when the provider reported both counts, `estimate` when Arbor counted, `mixed` otherwise. */
  source: 'provider' | 'estimate' | 'mixed';
}

/** One model call as made (or replayed from the cache). */
export interface ModelCall {
  /** The cache key: the call's identity, under which its prompt and response are kept in the store. */
  id: string;
  model: string;
  result: ModelV1Result;
  /** What the call spent; for a cached answer, what the recorded call spent (so budgets replay exactly). */
  usage: ModelCallUsage;
  cached: boolean;
  /** HTTP attempts made: 0 when the answer came from the cache. */
  attempts: number;
  durationMs: number;
}

/** What is kept in the store for each call: enough for an inspector to show the prompt and the answer. */
export interface RecordedModelCall {
  version: 1;
  id: string;
  model: { provider: string; modelId: string };
  purpose?: string;
  request: JsonValue;
  result: JsonValue;
  usage: JsonValue;
  attempts: number;
  durationMs: number;
  createdAt: number;
}

const RETRYABLE = new Set(['ARBOR_MODEL_RATE_LIMITED', 'ARBOR_MODEL_SERVER_ERROR', 'ARBOR_MODEL_UNREACHABLE']);

/**
 * Calls a model the way a search needs: refuses calls the token budget cannot pay for, answers repeated
 * calls from the provenance store's cache (so a replayed search makes no model calls), retries 429, 5xx
 * and connection failures with jittered exponential backoff (honouring Retry-After), limits each attempt
 * in time, stops on cancellation, and counts tokens (the provider's counts, else gpt-tokenizer's).
 */
export class ModelClient {
  readonly model: ModelV1;
  readonly name: string;
  readonly #options: ModelClientOptions;
  readonly #cache: ModelCacheMode;

  constructor(options: ModelClientOptions) {
    if (options.model?.specificationVersion !== 'arbor.model.v1') {
      throw new UsageError('ModelClient needs an Arbor model', 'Wrap AI SDK models with fromAiSdk(model), or create one with createModel("openai:gpt-4o-mini").');
    }
    const cache = options.cache ?? (options.store === undefined ? 'off' : 'read-write');
    if (cache !== 'off' && options.store === undefined) {
      throw new UsageError(`Cache mode "${cache}" needs a store`, 'Pass the provenance store (store: await openStore()) or use cache: "off".');
    }
    this.model = options.model;
    this.name = `${options.model.provider}:${options.model.modelId}`;
    this.#options = options;
    this.#cache = cache;
  }

  get cacheMode(): ModelCacheMode {
    return this.#cache;
  }

  /** The identity of a call: model, prompt hash and parameters. Equal requests give equal keys. */
  cacheKey(request: ModelRequest): string {
    const prompt = hashJson({ messages: request.messages, tools: request.tools ?? [], output: request.output ?? { type: 'text' } }).hash;
    const parameters = {
      maxOutputTokens: request.maxOutputTokens ?? null,
      temperature: request.temperature ?? null,
      topP: request.topP ?? null,
      seed: request.seed ?? null,
      stopSequences: request.stopSequences ?? null,
      toolChoice: request.toolChoice ?? null,
    };
    return hashJson({ version: 1, model: this.name, prompt, parameters }).hash;
  }

  /** Estimated input tokens of a request (what the budget check uses). */
  async estimateInputTokens(request: ModelRequest): Promise<number> {
    return estimateInputTokens(request, await this.#counter());
  }

  async generate(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelCall> {
    const { signal, purpose } = options;
    if (signal?.aborted) throw new CancelledError(`Model call to ${this.name}`, signal.reason);
    const budgeted = await this.#applyBudget(request, options.remainingTokens);
    const id = this.cacheKey(budgeted);

    if (this.#cache !== 'off') {
      const cached = await this.#options.store?.getCached(MODEL_RESPONSE_NAMESPACE, id);
      if (cached !== undefined) {
        const record = JSON.parse(cached) as RecordedModelCall;
        const call: ModelCall = { id, model: this.name, result: record.result as unknown as ModelV1Result, usage: record.usage as unknown as ModelCallUsage, cached: true, attempts: 0, durationMs: 0 };
        this.#options.onEvent?.({ type: 'model-call-end', call, ...(purpose === undefined ? {} : { purpose }) });
        return call;
      }
      if (this.#cache === 'replay') throw new ModelCacheMissError(this.name, id);
    }

    const started = performance.now();
    const { result, attempts } = await this.#callWithRetries(budgeted, id, options);
    const durationMs = Math.round(performance.now() - started);
    const usage = await this.#usageOf(budgeted, result);
    const call: ModelCall = { id, model: this.name, result, usage, cached: false, attempts, durationMs };
    if (this.#cache === 'read-write') {
      const record: RecordedModelCall = {
        version: 1,
        id,
        model: { provider: this.model.provider, modelId: this.model.modelId },
        ...(purpose === undefined ? {} : { purpose }),
        request: toJson(budgeted),
        result: toJson(result),
        usage: toJson(usage),
        attempts,
        durationMs,
        createdAt: Date.now(),
      };
      await this.#options.store?.putCached(MODEL_RESPONSE_NAMESPACE, id, JSON.stringify(record));
    }
    this.#options.onEvent?.({ type: 'model-call-end', call, ...(purpose === undefined ? {} : { purpose }) });
    return call;
  }

  async #applyBudget(request: ModelRequest, remaining: number | undefined): Promise<ModelRequest> {
    if (remaining === undefined) return request;
    const input = await this.estimateInputTokens(request);
    if (request.maxOutputTokens !== undefined) {
      const wanted = input + request.maxOutputTokens;
      if (wanted > remaining) throw new BudgetExceededError('tokens', remaining, wanted);
      return request;
    }
    // Leave room for at least a short answer; otherwise the call would be cut off before it says anything.
    const room = remaining - input;
    if (room < 16) throw new BudgetExceededError('tokens', remaining, input + 16);
    return { ...request, maxOutputTokens: room };
  }

  async #callWithRetries(request: ModelRequest, id: string, options: ModelCallOptions): Promise<{ result: ModelV1Result; attempts: number }> {
    const retry = this.#options.retry ?? {};
    const maxRetries = retry.maxRetries ?? 3;
    const timeoutMs = this.#options.timeoutMs ?? 60_000;
    const { signal, purpose } = options;
    const tag = purpose === undefined ? {} : { purpose };
    for (let attempt = 1; ; attempt++) {
      this.#options.onEvent?.({ type: 'model-call-start', callId: id, model: this.name, attempt, ...tag });
      try {
        const result = await this.#attempt(request, timeoutMs, signal);
        return { result, attempts: attempt };
      } catch (thrown) {
        const error = ArborError.from(thrown, 'ARBOR_MODEL_FAILED');
        const retryAfterMs = retryAfterOf(error);
        const retryable = RETRYABLE.has(error.code) && attempt <= maxRetries && (retryAfterMs === undefined || retryAfterMs <= (retry.maxRetryAfterMs ?? 60_000));
        if (!retryable) {
          const final = withAttempts(error, attempt);
          this.#options.onEvent?.({ type: 'model-call-error', callId: id, model: this.name, error: final, ...tag });
          throw final;
        }
        const backoff = Math.min(retry.maxDelayMs ?? 20_000, (retry.initialDelayMs ?? 500) * 2 ** (attempt - 1));
        // Equal jitter: half the backoff fixed, half random, so clients that failed together spread out.
        const delayMs = retryAfterMs ?? Math.round(backoff / 2 + ((this.#options.random ?? Math.random)() * backoff) / 2);
        this.#options.onEvent?.({ type: 'model-call-retry', callId: id, model: this.name, attempt, delayMs, error, ...tag });
        await sleep(delayMs, signal, this.name);
      }
    }
  }

  async #attempt(request: ModelRequest, timeoutMs: number, outer: AbortSignal | undefined): Promise<ModelV1Result> {
    if (outer?.aborted) throw new CancelledError(`Model call to ${this.name}`, outer.reason);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new ModelTimeoutError(this.name, timeoutMs));
    }, timeoutMs);
    const onOuterAbort = () => controller.abort(new CancelledError(`Model call to ${this.name}`, outer?.reason));
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    // Race the adapter against the abort, so an adapter that ignores its signal still stops on time.
    const aborted = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true }));
    try {
      return await Promise.race([
        this.model.generate({ ...request, stream: this.#options.stream ?? false, abortSignal: controller.signal }),
        aborted,
      ]);
    } catch (error) {
      if (timedOut) throw new ModelTimeoutError(this.name, timeoutMs);
      if (outer?.aborted) throw new CancelledError(`Model call to ${this.name}`, outer.reason);
      throw error;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
      aborted.catch(() => undefined);
    }
  }

  async #usageOf(request: ModelRequest, result: ModelV1Result): Promise<ModelCallUsage> {
    const { inputTokens, outputTokens } = result.usage;
    if (inputTokens !== undefined && outputTokens !== undefined) return { inputTokens, outputTokens, source: 'provider' };
    const count = await this.#counter();
    return {
      inputTokens: inputTokens ?? estimateInputTokens(request, count),
      outputTokens: outputTokens ?? estimateOutputTokens(result, count),
      source: inputTokens === undefined && outputTokens === undefined ? 'estimate' : 'mixed',
    };
  }

  #counter(): Promise<TokenCounter> {
    const custom = this.#options.countTokens;
    return custom === undefined ? loadDefaultTokenCounter() : Promise.resolve(custom);
  }
}

function retryAfterOf(error: ArborError): number | undefined {
  const value = error.data.retryAfterMs;
  return typeof value === 'number' ? value : undefined;
}

function withAttempts(error: ArborError, attempts: number): ArborError {
  // The transport errors carry their attempt count; they know how to restate it.
  const restatable = error as ArborError & { withAttempts?: (attempts: number) => ArborError };
  return typeof restatable.withAttempts === 'function' ? restatable.withAttempts(attempts) : error;
}

function sleep(ms: number, signal: AbortSignal | undefined, model: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError(`Model call to ${model}`, signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError(`Model call to ${model}`, signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
