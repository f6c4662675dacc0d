import type { ModelV1ToolCall } from './model-v1-tool-call.js';

/** One message of a conversation with a model. Text only: Arbor's prompts are text and JSON. */
export type ModelV1Message =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ModelV1ToolCall[] }
  | { role: 'tool'; toolCallId: string; toolName: string; content: string };
