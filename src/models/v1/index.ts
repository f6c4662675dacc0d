export type { ModelV1 } from './model-v1.js';
export type { ModelV1CallOptions } from './model-v1-call-options.js';
export type { ModelV1FinishReason } from './model-v1-finish-reason.js';
export type { ModelV1Message } from './model-v1-message.js';
export type { ModelV1Output } from './model-v1-output.js';
export type { ModelV1Result } from './model-v1-result.js';
export type { ModelV1Tool, ModelV1ToolChoice } from './model-v1-tool.js';
export type { ModelV1ToolCall } from './model-v1-tool-call.js';
export type { ModelV1Usage } from './model-v1-usage.js';
