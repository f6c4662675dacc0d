import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { InvalidModelSpecError, MissingApiKeyError } from '../../errors/index.js';
import { fromAiSdk } from '../ai-sdk/ai-sdk-model.js';
import type { ModelV1 } from '../v1/index.js';

export interface OpenAICompatibleModelSettings {
  /** The endpoint's base URL, usually ending in /v1 (for example http://127.0.0.1:11434/v1 for Ollama). */
  baseURL: string;
  /** The model name the endpoint knows (qwen2.5, gpt-4o-mini, ...). */
  model: string;
  /**
   * Environment variable holding the API key. When named, it must be set (MissingApiKeyError otherwise),
   * so a forgotten key fails before the first request rather than with a 401 halfway through a search.
   */
  apiKeyEnv?: string;
  /** Read the key from this variable when it is set, without requiring it. */
  optionalApiKeyEnv?: string;
  /** Name shown in messages and cache keys. Default `openai-compatible`. */
  provider?: string;
  headers?: Record<string, string>;
  /** Send a JSON Schema with structured-output requests (`response_format: json_schema`). Default true. */
  structuredOutputs?: boolean;
  /** Custom fetch (proxies, tests). */
  fetch?: typeof globalThis.fetch;
  /** Where API keys are read from. Default process.env. */
  env?: Record<string, string | undefined>;
}

/**
 * A model behind any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, llama.cpp server,
 * LM Studio...). Built on the AI SDK's own @ai-sdk/openai-compatible provider, so the wire protocol
 * (SSE parsing, tool-call deltas, usage chunks, error bodies) is the SDK's maintained code.
 */
export function openAICompatibleModel(settings: OpenAICompatibleModelSettings): ModelV1 {
  const provider = settings.provider ?? 'openai-compatible';
  const label = `${provider}:${settings.model}`;
  let url: URL;
  try {
    url = new URL(settings.baseURL);
  } catch {
    throw new InvalidModelSpecError(label, `the base URL "${settings.baseURL}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidModelSpecError(label, `the base URL must be http or https, not ${url.protocol}`);
  if (settings.model.trim() === '') throw new InvalidModelSpecError(settings.baseURL, 'no model name');
  const env = settings.env ?? process.env;
  let apiKey: string | undefined;
  if (settings.apiKeyEnv !== undefined) {
    apiKey = env[settings.apiKeyEnv];
    if (apiKey === undefined || apiKey === '') throw new MissingApiKeyError(settings.apiKeyEnv, label);
  } else if (settings.optionalApiKeyEnv !== undefined) {
    const value = env[settings.optionalApiKeyEnv];
    apiKey = value === '' ? undefined : value;
  }
  const languageModel = createOpenAICompatible({
    name: provider,
    baseURL: settings.baseURL,
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(settings.headers === undefined ? {} : { headers: settings.headers }),
    ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
    includeUsage: true,
    supportsStructuredOutputs: settings.structuredOutputs ?? true,
  }).chatModel(settings.model);
  return fromAiSdk(languageModel, { provider });
}
