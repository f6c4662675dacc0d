import type { ModelV1Message } from './model-v1-message.js';
import type { ModelV1Output } from './model-v1-output.js';
import type { ModelV1Tool, ModelV1ToolChoice } from './model-v1-tool.js';

export interface ModelV1CallOptions {
  messages: ModelV1Message[];
  /** Default `{ type: 'text' }`. */
  output?: ModelV1Output;
  tools?: ModelV1Tool[];
  toolChoice?: ModelV1ToolChoice;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stopSequences?: string[];
  /** Receive the answer as a stream (SSE) and assemble it; the result is the same shape either way. */
  stream?: boolean;
  abortSignal?: AbortSignal;
  /** Extra HTTP headers for this call. */
  headers?: Record<string, string>;
}
