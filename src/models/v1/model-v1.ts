import type { ModelV1CallOptions } from './model-v1-call-options.js';
import type { ModelV1Result } from './model-v1-result.js';

/**
 * The Model port, version 1: what Arbor asks of a language model. Messages go in; text, JSON text or tool
 * calls come out, with token usage. Adapters implement it (any AI SDK LanguageModel, an OpenAI-compatible
 * endpoint); the policies never import a provider.
 *
 * `generate` throws typed errors (ArborError) for transport failures: ModelRateLimitedError (429),
 * ModelServerError (5xx), ModelRequestRejectedError (other 4xx), ModelUnreachableError,
 * MalformedResponseError and TruncatedResponseError. When `abortSignal` fires it rejects with the signal's
 * reason. It never retries: retries, timeouts, budgets and caching are the ModelClient's job.
 */
export interface ModelV1 {
  readonly specificationVersion: 'arbor.model.v1';
  /** Who serves the model, for example `openai-compatible` or the AI SDK provider id `openai.chat`. */
  readonly provider: string;
  readonly modelId: string;
  generate(options: ModelV1CallOptions): Promise<ModelV1Result>;
}
