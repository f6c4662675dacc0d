import type { ModelV1FinishReason } from './model-v1-finish-reason.js';
import type { ModelV1ToolCall } from './model-v1-tool-call.js';
import type { ModelV1Usage } from './model-v1-usage.js';

export interface ModelV1Result {
  /** The answer's text ('' when the model only called tools). JSON output arrives here as JSON text. */
  text: string;
  toolCalls: ModelV1ToolCall[];
  finishReason: ModelV1FinishReason;
  usage: ModelV1Usage;
  /** What the provider said about the response, when it said. */
  response?: { id?: string; modelId?: string };
  /** Settings the provider ignored or features it lacks, in words. */
  warnings?: string[];
}
