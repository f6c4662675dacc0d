export type * from './v1/index.js';
export { fromAiSdk, type AiSdkLanguageModel, type FromAiSdkOptions } from './ai-sdk/ai-sdk-model.js';
export { openAICompatibleModel, type OpenAICompatibleModelSettings } from './openai-compatible/openai-compatible-model.js';
export {
  createModel,
  DEFAULT_COMPATIBLE_KEY_ENV,
  describeModelSettings,
  MODEL_ENV,
  modelEntrySchema,
  modelSettingsSchema,
  OLLAMA_BASE_URL,
  OPENAI_BASE_URL,
  parseModelSpec,
  resolveModelSettings,
  type CreateModelOptions,
  type ModelEntry,
  type ModelSettings,
  type ResolveModelSettingsInput,
} from './model-spec.js';
export {
  MODEL_RESPONSE_NAMESPACE,
  ModelClient,
  type ModelCacheMode,
  type ModelCall,
  type ModelCallEvent,
  type ModelCallOptions,
  type ModelCallUsage,
  type ModelClientOptions,
  type ModelRequest,
  type RecordedModelCall,
  type RetrySettings,
} from './model-client.js';
export { estimateInputTokens, estimateOutputTokens, loadDefaultTokenCounter, type TokenCounter } from './token-count.js';
export { parseRetryAfter } from './retry-after.js';
